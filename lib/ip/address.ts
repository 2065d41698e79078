import { IpParseError } from './errors';
import { SyntaxFault, formatIPv4, formatIPv6, isMappedValue, parseAddressText, type IpFamily } from './text';

export type { IpFamily };

const MAX: Record<IpFamily, bigint> = { 4: (1n << 32n) - 1n, 6: (1n << 128n) - 1n };

/**
 * An IPv4 or IPv6 address as an integer of its family's width. Immutable; compare with
 * `equals`/`compare`, never `===`. The value is kept as a BigInt so stepping through ranges
 * is arithmetic, not string work.
 */
export class Ip {
  #text: string | undefined;

  private constructor(
    readonly family: IpFamily,
    readonly value: bigint,
  ) {}

  /**
   * Go's `net.ParseIP`: dotted-quad without leading zeros, or IPv6 (RFC 4291 text, optional
   * trailing dotted quad), no zone, no surrounding space. An IPv4-mapped IPv6 address
   * ("::ffff:1.2.3.4") is the IPv4 address, as Go's `To4()` makes it everywhere it matters.
   */
  static parse(text: string): Ip {
    try {
      const { family, value } = parseAddressText(text);
      if (family === 6 && isMappedValue(value)) return new Ip(4, value & MAX[4]);
      return new Ip(family, value);
    } catch (err) {
      if (err instanceof SyntaxFault) throw new IpParseError('IP address', text, err.message);
      throw err;
    }
  }

  /** `parse` for callers that map invalid input to their own error. */
  static tryParse(text: string): Ip | null {
    try {
      return Ip.parse(text);
    } catch (err) {
      if (err instanceof IpParseError) return null;
      throw err;
    }
  }

  /** Throws RangeError when `value` does not fit the family; no silent wrap-around. */
  static fromBigInt(value: bigint, family: IpFamily): Ip {
    if (family !== 4 && family !== 6) throw new RangeError(`IP family must be 4 or 6, got ${String(family)}`);
    if (value < 0n || value > MAX[family]) {
      throw new RangeError(`${value} is outside the IPv${family} address space`);
    }
    return new Ip(family, value);
  }

  get bits(): 32 | 128 {
    return this.family === 4 ? 32 : 128;
  }

  /**
   * Go's `net.IP.String()`. An IPv6 value inside ::ffff:0:0/96 prints as a dotted quad just as
   * Go prints it, so host-local file names match the Go plugin's.
   */
  toString(): string {
    if (this.#text === undefined) this.#text = this.family === 4 ? formatIPv4(this.value) : formatIPv6(this.value);
    return this.#text;
  }

  toJSON(): string {
    return this.toString();
  }

  equals(other: Ip): boolean {
    return this.family === other.family && this.value === other.value;
  }

  /** IPv4 sorts before IPv6 (Go's netip order), then by value. */
  compare(other: Ip): -1 | 0 | 1 {
    if (this.family !== other.family) return this.family < other.family ? -1 : 1;
    if (this.value === other.value) return 0;
    return this.value < other.value ? -1 : 1;
  }

  /** The following address, or null after 255.255.255.255 / ffff:…:ffff. */
  next(): Ip | null {
    return this.value === MAX[this.family] ? null : new Ip(this.family, this.value + 1n);
  }

  /** The preceding address, or null before 0.0.0.0 / ::. */
  prev(): Ip | null {
    return this.value === 0n ? null : new Ip(this.family, this.value - 1n);
  }
}
