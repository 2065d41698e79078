import { Ip, ipInRange, ipRange } from '../../../lib/ip';

const ip = (text: string): Ip => Ip.parse(text);
const walk = (start: string, end: string): string[] => [...ipRange(ip(start), ip(end))].map(String);

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

describe('ipRange', () => {
  it('walks inclusively across octet boundaries', () => {
    expect(walk('10.0.0.254', '10.0.1.1')).toEqual(['10.0.0.254', '10.0.0.255', '10.0.1.0', '10.0.1.1']);
  });

  it('walks across IPv6 word boundaries', () => {
    expect(walk('2001:db8::fffe', '2001:db8::1:1')).toEqual(['2001:db8::fffe', '2001:db8::ffff', '2001:db8::1:0', '2001:db8::1:1']);
  });

  it('yields one address when start is end, none when start is after end', () => {
    expect(walk('10.0.0.1', '10.0.0.1')).toEqual(['10.0.0.1']);
    expect(walk('10.0.0.2', '10.0.0.1')).toEqual([]);
  });

  it('terminates at the top of the address space', () => {
    expect(walk('255.255.255.254', '255.255.255.255')).toEqual(['255.255.255.254', '255.255.255.255']);
    expect(walk('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toHaveLength(1);
  });

  it('is lazy, so huge ranges can be walked partially', () => {
    const taken: string[] = [];
    for (const addr of ipRange(ip('2001:db8::'), ip('2001:db8::ffff:ffff:ffff:ffff'))) {
      taken.push(addr.toString());
      if (taken.length === 3) break;
    }
    expect(taken).toEqual(['2001:db8::', '2001:db8::1', '2001:db8::2']);
  });

  it('refuses to walk between families', () => {
    expect(() => [...ipRange(ip('10.0.0.1'), ip('::1'))]).toThrow(TypeError);
  });
});
