import ipaddr from 'ipaddr.js';

export type Family = 4 | 6;

const V4_BITS = 32;
const V6_BITS = 128;
const V4_MAX = (1n << 32n) - 1n;
const V6_MAX = (1n << 128n) - 1n;

/**
 * An IP address as a family and a BigInt: cheap to compare, step and copy. IPv4-mapped IPv6
 * text ('::ffff:1.2.3.4') is treated as IPv4, as Go's net.IP does.
 */
export class Ip {
  private constructor(
    readonly family: Family,
    readonly value: bigint,
  ) {}

  static fromBigInt(family: Family, value: bigint): Ip {
    if (value < 0n || value > (family === 4 ? V4_MAX : V6_MAX)) throw new RangeError(`address out of range for IPv${family}`);
    return new Ip(family, value);
  }

  /** Strict parse; returns undefined for anything Go's net.ParseIP would reject. */
  static tryParse(text: string): Ip | undefined {
    if (typeof text !== 'string' || text === '' || text.includes('%') || /\s/.test(text)) return undefined;
    if (text.includes(':')) {
      if (!ipaddr.IPv6.isValid(text)) return undefined;
      const v6 = ipaddr.IPv6.parse(text);
      if (v6.isIPv4MappedAddress()) return Ip.fromBytes(4, v6.toIPv4Address().toByteArray());
      return Ip.fromBytes(6, v6.toByteArray());
    }
    // Four decimal octets, no leading zeros (Go rejects them since 1.17: they are ambiguous).
    if (!/^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}$/.test(text)) return undefined;
    const octets = text.split('.').map(Number);
    if (octets.some((o) => o > 255)) return undefined;
    return Ip.fromBytes(4, octets);
  }

  static parse(text: string): Ip {
    const ip = Ip.tryParse(text);
    if (!ip) throw new Error(`invalid IP address "${text}"`);
    return ip;
  }

  private static fromBytes(family: Family, bytes: number[]): Ip {
    let v = 0n;
    for (const b of bytes) v = (v << 8n) | BigInt(b);
    return new Ip(family, v);
  }

  get bits(): number {
    return this.family === 4 ? V4_BITS : V6_BITS;
  }

  equals(other: Ip): boolean {
    return this.family === other.family && this.value === other.value;
  }

  /** Orders by family first, then value. */
  compare(other: Ip): number {
    if (this.family !== other.family) return this.family - other.family;
    return this.value < other.value ? -1 : this.value > other.value ? 1 : 0;
  }

  /** The following address, or undefined at the end of the address space. */
  next(): Ip | undefined {
    const max = this.family === 4 ? V4_MAX : V6_MAX;
    return this.value === max ? undefined : new Ip(this.family, this.value + 1n);
  }

  /** The preceding address, or undefined at the start of the address space. */
  prev(): Ip | undefined {
    return this.value === 0n ? undefined : new Ip(this.family, this.value - 1n);
  }

  add(n: bigint): Ip {
    return Ip.fromBigInt(this.family, this.value + n);
  }

  /** Go's net.IP.String(): dotted IPv4, RFC 5952 IPv6. */
  toString(): string {
    if (this.family === 4) {
      const v = Number(this.value);
      return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
    }
    const bytes: number[] = [];
    for (let i = 15; i >= 0; i--) bytes.push(Number((this.value >> BigInt(i * 8)) & 255n));
    return new ipaddr.IPv6(bytes).toRFC5952String();
  }
}
