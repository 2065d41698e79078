import { Ip } from '../../../lib/ip';
import { roundRobin, setCapacity, setContains } from '../../../plugins/host-local/allocator/range-set';
import { set } from './sets';

function order(s: ReturnType<typeof set>, last?: string): string[] {
  return [...roundRobin(s, last ? Ip.parse(last) : undefined)].map((c) => c.ip.toString());
}

describe('host-local round-robin order', () => {
  const slash29 = set(0, '192.168.1.0/29');

  it('starts at rangeStart, skips the gateway and stops before broadcast', () => {
    expect(order(slash29)).toEqual(['192.168.1.2', '192.168.1.3', '192.168.1.4', '192.168.1.5', '192.168.1.6']);
  });

  it('continues after the last reserved address and wraps round to it', () => {
    expect(order(slash29, '192.168.1.3')).toEqual(['192.168.1.4', '192.168.1.5', '192.168.1.6', '192.168.1.2', '192.168.1.3']);
  });

  it('wraps from the range end to the start, skipping the gateway', () => {
    expect(order(slash29, '192.168.1.6')).toEqual(['192.168.1.2', '192.168.1.3', '192.168.1.4', '192.168.1.5', '192.168.1.6']);
  });

  it('starts from the beginning when the last address lies outside the set', () => {
    expect(order(slash29, '10.0.0.128')[0]).toBe('192.168.1.2');
    expect(order(slash29, 'fd00::5')[0]).toBe('192.168.1.2');
  });

  it('walks the ranges of a set in turn and wraps to the first', () => {
    const multi = set(0, '10.0.0.0/30', '10.0.1.0/30', '10.0.2.0/30');
    expect(order(multi)).toEqual(['10.0.0.2', '10.0.1.2', '10.0.2.2']);
    expect(order(multi, '10.0.0.2')).toEqual(['10.0.1.2', '10.0.2.2', '10.0.0.2']);
    expect(order(multi, '10.0.2.2')).toEqual(['10.0.0.2', '10.0.1.2', '10.0.2.2']);
  });

  it('moves to the next range after the last address of a range', () => {
    const multi = set(
      0,
      { subnet: '192.168.1.0/30', rangeStart: '192.168.1.0', rangeEnd: '192.168.1.3' },
      { subnet: '192.168.2.0/30', rangeStart: '192.168.2.0', rangeEnd: '192.168.2.3' },
    );
    expect(order(multi, '192.168.1.3')).toEqual(['192.168.2.0', '192.168.2.2', '192.168.2.3', '192.168.1.0', '192.168.1.2', '192.168.1.3']);
  });

  it('offers an address equal to another range’s gateway, as the reference does', () => {
    const s = set(0, { subnet: '10.0.0.0/29', gateway: '10.0.1.2' }, { subnet: '10.0.1.0/30', gateway: '10.0.1.1' });
    expect(order(s)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6', '10.0.1.2']);
  });

  it('offers nothing when the only address is the gateway', () => {
    expect(order(set(0, { subnet: '10.0.0.0/30', rangeStart: '10.0.0.1', rangeEnd: '10.0.0.1' }))).toEqual([]);
  });

  it('walks IPv6 lazily', () => {
    const it6 = roundRobin(set(0, '2001:db8:1::/64'), undefined);
    expect([it6.next().value, it6.next().value].map((c) => c && c.ip.toString())).toEqual(['2001:db8:1::2', '2001:db8:1::3']);
  });
});

describe('host-local range set helpers', () => {
  it('contains only addresses inside [rangeStart, rangeEnd]', () => {
    const s = set(0, { subnet: '10.0.0.0/24', rangeStart: '10.0.0.10', rangeEnd: '10.0.0.20' });
    expect(['10.0.0.9', '10.0.0.10', '10.0.0.20', '10.0.0.21'].map((a) => setContains(s, Ip.parse(a)))).toEqual([false, true, true, false]);
  });

  it('counts allocatable addresses without the gateway', () => {
    expect(setCapacity(set(0, '10.0.0.0/29'))).toBe(5n);
    expect(setCapacity(set(0, { subnet: '10.0.0.0/29', gateway: '10.9.9.9' }))).toBe(6n);
    expect(setCapacity(set(0, '10.0.0.0/30', '10.0.1.0/30'))).toBe(2n);
  });
});
