import { Cidr, Ip, IpParseError, formatIpPrefix } from '../../../lib/ip';

const ip = (text: string): Ip => Ip.parse(text);
const cidr = (text: string): Cidr => Cidr.parse(text);

describe('Cidr.parse, like Go net.ParseCIDR', () => {
  it.each<[string, 4 | 6, string, number, string, boolean]>([
    // text, family, ip as written, prefix, network string, host bits
    ['10.1.2.3/24', 4, '10.1.2.3', 24, '10.1.2.0/24', true],
    ['10.1.0.0/16', 4, '10.1.0.0', 16, '10.1.0.0/16', false],
    ['0.0.0.0/0', 4, '0.0.0.0', 0, '0.0.0.0/0', false],
    ['1.2.3.4/0', 4, '1.2.3.4', 0, '0.0.0.0/0', true],
    ['10.1.2.3/32', 4, '10.1.2.3', 32, '10.1.2.3/32', false],
    ['10.0.0.0/024', 4, '10.0.0.0', 24, '10.0.0.0/24', false],
    ['::/0', 6, '::', 0, '::/0', false],
    ['::1/128', 6, '::1', 128, '::1/128', false],
    ['2001:DB8::1/64', 6, '2001:db8::1', 64, '2001:db8::/64', true],
    ['2001:db8::/32', 6, '2001:db8::', 32, '2001:db8::/32', false],
    ['2001:db8:1:2:3:4:5:6/127', 6, '2001:db8:1:2:3:4:5:6', 127, '2001:db8:1:2:3:4:5:6/127', false],
    ['::ffff:10.1.2.3/120', 4, '10.1.2.3', 24, '10.1.2.0/24', true],
    ['::ffff:10.1.2.3/128', 4, '10.1.2.3', 32, '10.1.2.3/32', false],
    ['::ffff:10.1.2.3/96', 4, '10.1.2.3', 0, '0.0.0.0/0', true],
  ])('%s', (text, family, written, prefix, network, hostBits) => {
    const c = cidr(text);
    expect(c.family).toBe(family);
    expect(c.ip.toString()).toBe(written);
    expect(c.prefix).toBe(prefix);
    expect(c.toString()).toBe(network);
    expect(c.hasHostBits()).toBe(hostBits);
    expect(c.toAddressString()).toBe(`${written}/${prefix}`);
  });

  it.each([
    '10.0.0.0',
    '10.0.0.0/',
    '/8',
    '10.0.0.0/33',
    '::/129',
    '10.0.0.0/-1',
    '10.0.0.0/+8',
    '10.0.0.0/ 8',
    '10.0.0.0/8 ',
    ' 10.0.0.0/8',
    '10.0.0.0/8/8',
    '10.0.0.0/0x8',
    '10.0.0.0/8.0',
    '10.0.0.0/99999999999999999999',
    '10.0.0/8',
    '01.0.0.0/8',
    'abc/8',
    'fe80::%eth0/64',
    'fe80::/64%eth0',
    '::ffff:10.1.2.3/95',
  ])('rejects %j', (text) => {
    expect(Cidr.tryParse(text)).toBeNull();
    expect(() => Cidr.parse(text)).toThrow(IpParseError);
    expect(() => Cidr.parse(text)).toThrow(`invalid CIDR address: ${text}`);
  });

  it('says why in the error', () => {
    try {
      Cidr.parse('10.0.0.0/33');
      throw new Error('not reached');
    } catch (err) {
      expect(err).toBeInstanceOf(IpParseError);
      expect((err as IpParseError).kind).toBe('CIDR address');
      expect((err as IpParseError).reason).toContain('exceeds 32');
    }
  });
});

describe('network, last address and size', () => {
  it.each([
    ['10.1.2.0/24', '10.1.2.0', '10.1.2.255', 256n],
    ['10.1.2.77/24', '10.1.2.0', '10.1.2.255', 256n],
    ['10.0.0.0/30', '10.0.0.0', '10.0.0.3', 4n],
    ['10.0.0.0/31', '10.0.0.0', '10.0.0.1', 2n],
    ['10.0.0.5/32', '10.0.0.5', '10.0.0.5', 1n],
    ['0.0.0.0/0', '0.0.0.0', '255.255.255.255', 1n << 32n],
    ['2001:db8::/64', '2001:db8::', '2001:db8::ffff:ffff:ffff:ffff', 1n << 64n],
    ['2001:db8::/126', '2001:db8::', '2001:db8::3', 4n],
    ['2001:db8::/32', '2001:db8::', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 1n << 96n],
    ['::/0', '::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 1n << 128n],
    ['::1/128', '::1', '::1', 1n],
  ])('%s: %s .. %s, %s addresses', (text, network, last, size) => {
    const c = cidr(text);
    expect(c.network.toString()).toBe(network);
    expect(c.last.toString()).toBe(last);
    expect(c.size).toBe(size);
  });
});

describe('contains', () => {
  it.each([
    ['10.1.0.0/16', '10.1.0.0', true],
    ['10.1.0.0/16', '10.1.255.255', true],
    ['10.1.0.0/16', '10.2.0.0', false],
    ['10.1.0.0/16', '10.0.255.255', false],
    ['10.1.2.3/24', '10.1.2.200', true],
    ['0.0.0.0/0', '255.255.255.255', true],
    ['10.0.0.5/32', '10.0.0.5', true],
    ['10.0.0.5/32', '10.0.0.6', false],
    ['2001:db8::/64', '2001:db8::ffff:ffff:ffff:ffff', true],
    ['2001:db8::/64', '2001:db8:0:1::', false],
    ['::/0', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', true],
    // Family-aware like Go's IPNet.Contains: a v4 address, however spelled, is not in a v6 net.
    ['::/0', '1.2.3.4', false],
    ['::/0', '::ffff:1.2.3.4', false],
    ['0.0.0.0/0', '::', false],
    ['::ffff:10.1.2.0/120', '10.1.2.9', true],
  ])('%s contains %s: %s', (net, addr, expected) => {
    expect(cidr(net).contains(ip(addr))).toBe(expected);
  });
});

describe('building and formatting', () => {
  it('masked() drops the host bits', () => {
    const c = cidr('10.1.2.3/24').masked();
    expect(c.ip.toString()).toBe('10.1.2.0');
    expect(c.hasHostBits()).toBe(false);
    const already = cidr('10.1.2.0/24');
    expect(already.masked()).toBe(already);
  });

  it('equals compares the address as written and the prefix', () => {
    expect(cidr('10.1.2.3/24').equals(cidr('10.1.2.3/24'))).toBe(true);
    expect(cidr('::ffff:10.1.2.3/120').equals(cidr('10.1.2.3/24'))).toBe(true);
    expect(cidr('10.1.2.3/24').equals(cidr('10.1.2.0/24'))).toBe(false);
    expect(cidr('10.1.2.0/24').equals(cidr('10.1.2.0/25'))).toBe(false);
  });

  it('formatIpPrefix writes ip/prefix without masking', () => {
    expect(formatIpPrefix(ip('10.1.2.3'), 24)).toBe('10.1.2.3/24');
    expect(formatIpPrefix(ip('2001:DB8::5'), 64)).toBe('2001:db8::5/64');
    expect(formatIpPrefix(ip('::ffff:10.0.0.1'), 8)).toBe('10.0.0.1/8');
  });
});
