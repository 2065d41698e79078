/**
 * Address text <-> integer, ported from Go's net/netip (ParseAddr, Addr.String) because the
 * reference plugins' behaviour is defined by it: host-local file names are `net.IP.String()`,
 * and a config Go rejects must be rejected here too. ipaddr.js's parser is deliberately lenient
 * (octal and hex octets, "10.1", zone ids) and reads "::1.2.3.4" as "::ffff:1.2.3.4", so it
 * cannot stand in for either direction.
 */

/** An address family by its IP version. */
export type IpFamily = 4 | 6;

export interface ParsedAddress {
  family: IpFamily;
  value: bigint;
}

/** Thrown inside this module only; callers turn it into an IpParseError with the input. */
export class SyntaxFault extends Error {}

const CH_0 = 48;
const CH_9 = 57;
const CH_DOT = 46;
const CH_COLON = 58;
const CH_PERCENT = 37;

/** The number of a dotted quad starting at `from` and running to the end of `s`. */
function parseIPv4(s: string, from: number): number {
  let value = 0;
  let field = 0;
  let fields = 0;
  let digits = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= CH_0 && c <= CH_9) {
      // Go 1.17+ refuses "010": other parsers read it as octal, so accepting it is ambiguous.
      if (digits === 1 && field === 0) throw new SyntaxFault('IPv4 field has octet with leading zero');
      field = field * 10 + (c - CH_0);
      digits++;
      if (field > 255) throw new SyntaxFault('IPv4 field has value >255');
    } else if (c === CH_DOT) {
      if (i === from || i === s.length - 1 || s.charCodeAt(i - 1) === CH_DOT) {
        throw new SyntaxFault('IPv4 field must have at least one digit');
      }
      if (fields === 3) throw new SyntaxFault('IPv4 address too long');
      value = value * 256 + field;
      fields++;
      field = 0;
      digits = 0;
    } else {
      throw new SyntaxFault('unexpected character');
    }
  }
  if (fields < 3) throw new SyntaxFault('IPv4 address too short');
  return value * 256 + field;
}

function hexDigit(c: number): number {
  if (c >= CH_0 && c <= CH_9) return c - CH_0;
  const lower = c | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** Eight 16-bit words of an IPv6 address without zone. */
function parseIPv6(s: string): number[] {
  const words: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
  let ellipsis = -1;
  let pos = 0;
  if (s.length >= 2 && s.charCodeAt(0) === CH_COLON && s.charCodeAt(1) === CH_COLON) {
    ellipsis = 0;
    pos = 2;
    if (pos === s.length) return words;
  }

  let w = 0;
  while (w < 8) {
    let end = pos;
    let acc = 0;
    for (; end < s.length; end++) {
      const d = hexDigit(s.charCodeAt(end));
      if (d < 0) break;
      acc = acc * 16 + d;
      // Only the value is bounded, not the digit count: Go accepts "00001::".
      if (acc > 0xffff) throw new SyntaxFault('IPv6 field has value >=2^16');
    }
    if (end === pos) throw new SyntaxFault('each colon-separated field must have at least one digit');

    if (end < s.length && s.charCodeAt(end) === CH_DOT) {
      if (ellipsis < 0 && w !== 6) {
        throw new SyntaxFault('embedded IPv4 address must replace the final 2 fields of the address');
      }
      if (w + 2 > 8) throw new SyntaxFault('too many hex fields to fit an embedded IPv4 at the end of the address');
      const v4 = parseIPv4(s, pos);
      words[w] = Math.floor(v4 / 0x10000);
      words[w + 1] = v4 % 0x10000;
      w += 2;
      pos = s.length;
      break;
    }

    words[w++] = acc;
    pos = end;
    if (pos === s.length) break;
    if (s.charCodeAt(pos) !== CH_COLON) throw new SyntaxFault('unexpected character, want colon');
    if (pos + 1 === s.length) throw new SyntaxFault('colon must be followed by more characters');
    pos++;
    if (s.charCodeAt(pos) === CH_COLON) {
      if (ellipsis >= 0) throw new SyntaxFault('multiple :: in address');
      ellipsis = w;
      pos++;
      if (pos === s.length) break;
    }
  }

  if (pos !== s.length) throw new SyntaxFault('trailing garbage after address');
  if (w < 8) {
    if (ellipsis < 0) throw new SyntaxFault('address string too short');
    const shift = 8 - w;
    for (let j = w - 1; j >= ellipsis; j--) words[j + shift] = words[j];
    for (let j = ellipsis + shift - 1; j >= ellipsis; j--) words[j] = 0;
  } else if (ellipsis >= 0) {
    throw new SyntaxFault('the :: must expand to at least one field of zeros');
  }
  return words;
}

function wordsToBigInt(words: number[]): bigint {
  let v = 0n;
  for (let i = 0; i < 8; i += 2) v = (v << 32n) | BigInt(words[i] * 0x10000 + words[i + 1]);
  return v;
}

const MAPPED_PREFIX = 0xffff00000000n;
const MAPPED_MASK = ~0xffffffffn & ((1n << 128n) - 1n);

export function isMappedValue(v6: bigint): boolean {
  return (v6 & MAPPED_MASK) === MAPPED_PREFIX;
}

/**
 * Go's `netip.ParseAddr` grammar; the first '.' or ':' decides the family, as in Go. An IPv6
 * text that spells an IPv4-mapped address comes back as IPv6 here: whether to unmap is the
 * caller's decision (an address unmaps, a CIDR prefix must be rescaled).
 */
export function parseAddressText(s: string): ParsedAddress {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === CH_DOT) return { family: 4, value: BigInt(parseIPv4(s, 0)) };
    if (c === CH_COLON) {
      // A zone names a link, not an address; net.ParseIP refuses it and so do we.
      if (s.indexOf('%') >= 0) throw new SyntaxFault('zone identifiers are not allowed');
      return { family: 6, value: wordsToBigInt(parseIPv6(s)) };
    }
    if (c === CH_PERCENT) throw new SyntaxFault('missing IPv6 address');
  }
  throw new SyntaxFault('unable to parse IP');
}

export function formatIPv4(value: bigint): string {
  const n = Number(value);
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** RFC 5952 as Go writes it: lower-case, the leftmost longest run of >= 2 zero words as "::". */
export function formatIPv6(value: bigint): string {
  if (isMappedValue(value)) return formatIPv4(value & 0xffffffffn);
  const words = new Array<number>(8);
  for (let i = 3; i >= 0; i--) {
    const chunk = Number(value & 0xffffffffn);
    words[2 * i] = chunk >>> 16;
    words[2 * i + 1] = chunk & 0xffff;
    value >>= 32n;
  }
  let runStart = -1;
  let runLength = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > runLength) {
      runStart = i;
      runLength = j - i;
    }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === runStart) {
      out += '::';
      i += runLength - 1;
      continue;
    }
    if (i > 0 && i !== runStart + runLength) out += ':';
    out += words[i].toString(16);
  }
  return out;
}
