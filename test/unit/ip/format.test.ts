import ipaddr from 'ipaddr.js';
import { Ip } from '../../../lib/ip';

describe('Ip.toString matches Go net.IP.String()', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['::ffff:0:0', '0.0.0.0'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:DB8::ABCD', '2001:db8::abcd'],
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', '2001:db8::ff00:42:8329'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['0:0:1:1:1:0:0:1', '::1:1:1:0:0:1'],
    ['1:0:0:1:1:1:0:0', '1::1:1:1:0:0'],
    ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7:0'],
    ['0:2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['1:2:3:4:5:6:0:0', '1:2:3:4:5:6::'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
    ['::1.2.3.4', '::102:304'],
    ['::fffe:1.2.3.4', '::fffe:102:304'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['00001::', '1::'],
    ['fe80::0001', 'fe80::1'],
  ])('%s -> %s', (text, expected) => {
    expect(Ip.parse(text).toString()).toBe(expected);
  });

  it('prints an IPv6 value inside ::ffff:0:0/96 as a dotted quad, as Go does', () => {
    expect(Ip.fromBigInt(0xffff0a000001n, 6).toString()).toBe('10.0.0.1');
  });

  it('serialises to JSON as its text', () => {
    expect(JSON.stringify({ a: Ip.parse('2001:db8::1'), b: Ip.parse('10.0.0.1') })).toBe('{"a":"2001:db8::1","b":"10.0.0.1"}');
  });
});

// ipaddr.js is an independent RFC 5952 implementation; agreeing with it on many generated
// addresses (zero-heavy, to exercise the "::" choice) guards the formatter and the parser.
describe('agreement with ipaddr.js on generated IPv6 addresses', () => {
  function generator(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  const random = generator(20240611);
  const samples: number[][] = [];
  for (let n = 0; n < 2000; n++) {
    samples.push(Array.from({ length: 8 }, () => (random() < 0.5 ? 0 : Math.floor(random() * 0x10000))));
  }
  const unmapped = samples.filter((w) => !(w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff));

  function valueOf(words: number[]): bigint {
    return words.reduce((acc, w) => (acc << 16n) | BigInt(w), 0n);
  }

  it('formats like toRFC5952String', () => {
    for (const words of unmapped) {
      expect(Ip.fromBigInt(valueOf(words), 6).toString()).toBe(new ipaddr.IPv6(words).toRFC5952String());
    }
  });

  it('parses the full and the compressed forms to the same value, and round-trips', () => {
    for (const words of unmapped) {
      const value = valueOf(words);
      const v6 = new ipaddr.IPv6(words);
      expect(Ip.parse(v6.toNormalizedString()).value).toBe(value);
      const padded = words.map((w) => w.toString(16).padStart(4, '0').toUpperCase()).join(':');
      expect(Ip.parse(padded).value).toBe(value);
      expect(Ip.parse(Ip.fromBigInt(value, 6).toString()).value).toBe(value);
    }
  });
});
