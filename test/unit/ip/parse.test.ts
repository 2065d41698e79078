import { Ip, IpParseError } from '../../../lib/ip';

describe('Ip.parse accepts what Go net.ParseIP accepts', () => {
  it.each<[string, 4 | 6, bigint]>([
    ['0.0.0.0', 4, 0n],
    ['255.255.255.255', 4, 0xffffffffn],
    ['10.1.2.3', 4, 0x0a010203n],
    ['0.10.100.200', 4, 0x000a64c8n],
    ['::', 6, 0n],
    ['::1', 6, 1n],
    ['1::', 6, 1n << 112n],
    ['1:2:3:4:5:6:7:8', 6, 0x00010002000300040005000600070008n],
    ['2001:DB8::1', 6, 0x20010db8000000000000000000000001n],
    ['1:2:3:4:5:6:7::', 6, 0x00010002000300040005000600070000n],
    ['::2:3:4:5:6:7:8', 6, 0x00000002000300040005000600070008n],
    ['00001::', 6, 1n << 112n],
    ['::1.2.3.4', 6, 0x01020304n],
    ['1:2:3:4:5:6:1.2.3.4', 6, 0x00010002000300040005000601020304n],
    ['1:2:3:4:5::1.2.3.4', 6, 0x00010002000300040005000001020304n],
    ['64:ff9b::192.0.2.33', 6, 0x0064ff9b0000000000000000c0000221n],
  ])('%s', (text, family, value) => {
    const ip = Ip.parse(text);
    expect(ip.family).toBe(family);
    expect(ip.value).toBe(value);
  });

  it.each(['::ffff:1.2.3.4', '::FFFF:1.2.3.4', '0:0:0:0:0:ffff:1.2.3.4', '::ffff:102:304'])(
    'reads the IPv4-mapped form %s as the IPv4 address, like To4()',
    (text) => {
      const ip = Ip.parse(text);
      expect(ip.family).toBe(4);
      expect(ip.equals(Ip.parse('1.2.3.4'))).toBe(true);
      expect(ip.toString()).toBe('1.2.3.4');
    },
  );
});

describe('Ip.parse rejects what Go net.ParseIP rejects', () => {
  it.each([
    ['', 'unable to parse IP'],
    ['abc', 'unable to parse IP'],
    ['01.2.3.4', 'leading zero'],
    ['1.2.3.04', 'leading zero'],
    ['00.0.0.0', 'leading zero'],
    ['256.0.0.1', '>255'],
    ['1.2.3.1000', '>255'],
    ['1.2.3', 'too short'],
    ['10.1', 'too short'],
    ['1.2.3.4.5', 'too long'],
    ['1..2.3', 'at least one digit'],
    ['.1.2.3', 'at least one digit'],
    ['1.2.3.', 'at least one digit'],
    ['0x1.2.3.4', 'unexpected character'],
    ['1.2.3.-4', 'unexpected character'],
    [' 1.2.3.4', 'unexpected character'],
    ['1.2.3.4 ', 'unexpected character'],
    ['1.2.3.4\n', 'unexpected character'],
    ['1.2.3.4/32', 'unexpected character'],
    ['1.2.3.4%eth0', 'unexpected character'],
    [' ::1', 'at least one digit'],
    ['::1 ', 'unexpected character'],
    ['::1%eth0', 'zone'],
    ['fe80::1%', 'zone'],
    ['%eth0', 'missing IPv6 address'],
    [':::', 'at least one digit'],
    ['1:::2', 'at least one digit'],
    ['1::2::3', 'multiple ::'],
    [':1::', 'at least one digit'],
    [':1', 'at least one digit'],
    ['1:', 'followed by more characters'],
    ['1::2:', 'followed by more characters'],
    ['12345::', '>=2^16'],
    ['g::1', 'at least one digit'],
    ['[::1]', 'at least one digit'],
    ['1:2:3:4:5:6:7', 'too short'],
    ['1:2:3:4:5:6:7:8:9', 'trailing garbage'],
    ['1:2:3:4:5:6:7:8::', 'at least one field of zeros'],
    ['::1:2:3:4:5:6:7:8', 'at least one field of zeros'],
    ['1:2:3:4:5:6::1.2.3.4', 'at least one field of zeros'],
    ['1:2:3:4:5:6:7:1.2.3.4', 'must replace the final 2 fields'],
    ['1:2:3:4:5:1.2.3.4', 'must replace the final 2 fields'],
    ['::ffff:01.2.3.4', 'leading zero'],
    ['::ffff:1.2.3', 'too short'],
    ['::1.2.3.4:5', 'unexpected character'],
    ['1.2.3.4::', 'unexpected character'],
  ])('%j (%s)', (text, reason) => {
    expect(Ip.tryParse(text)).toBeNull();
    let thrown: unknown;
    try {
      Ip.parse(text);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(IpParseError);
    const err = thrown as IpParseError;
    expect(err.message).toBe(`invalid IP address: ${text}`);
    expect(err.kind).toBe('IP address');
    expect(err.input).toBe(text);
    expect(err.reason).toContain(reason);
  });
});
