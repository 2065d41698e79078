import { Ip } from '../../../lib/ip';

const ip = (text: string): Ip => Ip.parse(text);
const text = (value: Ip | null): string | null => (value === null ? null : value.toString());

describe('next / prev', () => {
  it.each([
    ['10.0.0.1', '10.0.0.2'],
    ['10.0.0.255', '10.0.1.0'],
    ['10.0.255.255', '10.1.0.0'],
    ['10.255.255.255', '11.0.0.0'],
    ['255.255.255.254', '255.255.255.255'],
    ['::', '::1'],
    ['2001:db8::ffff', '2001:db8::1:0'],
    ['2001:db8::ffff:ffff:ffff:ffff', '2001:db8:0:1::'],
    ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', '2001:db9::'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ])('%s + 1 = %s, and back', (before, after) => {
    expect(text(ip(before).next())).toBe(after);
    expect(text(ip(after).prev())).toBe(before);
  });

  it('stops at the ends of each address space instead of wrapping', () => {
    expect(ip('255.255.255.255').next()).toBeNull();
    expect(ip('0.0.0.0').prev()).toBeNull();
    expect(ip('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff').next()).toBeNull();
    expect(ip('::').prev()).toBeNull();
  });

  it('keeps the family: IPv4 never steps into IPv6', () => {
    expect(ip('255.255.255.254').next()?.family).toBe(4);
    expect(ip('::ffff:ffff').next()?.family).toBe(6);
  });

  it('returns new values and leaves the original alone', () => {
    const a = ip('10.0.0.1');
    const b = a.next();
    expect(a.toString()).toBe('10.0.0.1');
    expect(b).not.toBe(a);
  });
});

describe('equality and order', () => {
  it('compares by family then value', () => {
    expect(ip('10.0.0.1').compare(ip('10.0.0.2'))).toBe(-1);
    expect(ip('10.0.0.2').compare(ip('10.0.0.1'))).toBe(1);
    expect(ip('10.0.0.1').compare(ip('10.0.0.1'))).toBe(0);
    expect(ip('255.255.255.255').compare(ip('::'))).toBe(-1);
    expect(ip('::').compare(ip('0.0.0.0'))).toBe(1);
  });

  it('treats a v4-mapped spelling as the same address', () => {
    expect(ip('::ffff:10.0.0.1').equals(ip('10.0.0.1'))).toBe(true);
    expect(ip('::a00:1').equals(ip('10.0.0.1'))).toBe(false);
  });

  it('distinguishes families with the same integer', () => {
    expect(Ip.fromBigInt(1n, 4).equals(Ip.fromBigInt(1n, 6))).toBe(false);
  });
});

describe('BigInt conversion', () => {
  it('round-trips', () => {
    expect(Ip.fromBigInt(0x0a010203n, 4).toString()).toBe('10.1.2.3');
    expect(Ip.fromBigInt(0x20010db8000000000000000000000001n, 6).toString()).toBe('2001:db8::1');
    expect(Ip.fromBigInt(0n, 6).toString()).toBe('::');
    expect(Ip.fromBigInt((1n << 128n) - 1n, 6).bits).toBe(128);
  });

  it.each<[bigint, 4 | 6]>([
    [-1n, 4],
    [1n << 32n, 4],
    [-1n, 6],
    [1n << 128n, 6],
  ])('rejects %s for IPv%s', (value, family) => {
    expect(() => Ip.fromBigInt(value, family)).toThrow(RangeError);
  });

  it('rejects an unknown family', () => {
    expect(() => Ip.fromBigInt(1n, 5 as 4)).toThrow(RangeError);
  });
});
