import { Ip, ipInRange } from '../../../lib/ip';

const ip = (text: string): Ip => Ip.parse(text);

describe('ipInRange', () => {
  it.each([
    ['10.0.0.5', '10.0.0.5', '10.0.0.9', true],
    ['10.0.0.9', '10.0.0.5', '10.0.0.9', true],
    ['10.0.0.7', '10.0.0.5', '10.0.0.9', true],
    ['10.0.0.4', '10.0.0.5', '10.0.0.9', false],
    ['10.0.0.10', '10.0.0.5', '10.0.0.9', false],
    ['2001:db8::1:0', '2001:db8::ff00', '2001:db8::2:0', true],
    ['2001:db8::2:1', '2001:db8::ff00', '2001:db8::2:0', false],
    ['::a00:7', '10.0.0.5', '10.0.0.9', false],
    ['10.0.0.7', '::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', false],
  ])('%s in [%s, %s]: %s', (addr, start, end, expected) => {
    expect(ipInRange(ip(addr), ip(start), ip(end))).toBe(expected);
  });
});
