import { Ip, IpFamily } from './address';
import { IpParseError } from './errors';
import { SyntaxFault, isMappedValue, parseAddressText } from './text';

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 };

// Indexed by prefix length, filled on first use: computing 1n << n on every contains() would
// dominate range scans, and computing all 162 when the module loads ran in every process,
// VERSION calls included (0.2-1.5 ms of the executable's start-up, measured).
const HOST_MASKS: Record<IpFamily, bigint[]> = { 4: [], 6: [] };

/** The host part's mask of a /prefix network: its low (bits - prefix) bits set. */
function hostMask(family: IpFamily, prefix: number): bigint {
  return (HOST_MASKS[family][prefix] ??= (1n << BigInt(BITS[family] - prefix)) - 1n);
}

/** Go's `dtoi`: decimal digits only, leading zeros allowed ("/024" is /24 to Go). */
function parsePrefixLength(s: string): number {
  if (!/^[0-9]+$/.test(s)) throw new SyntaxFault('prefix length must be decimal digits');
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}

/**
 * An address with a prefix length: Go's `net.IPNet` as the CNI types use it, i.e. `ip` keeps
 * the host bits it was written with ("10.1.2.3/24" for an interface address) while `network`,
 * `toString()` and the set operations look only at the masked network.
 */
export class Cidr {
  readonly network: Ip;
  /** The highest address: the IPv4 broadcast address, or the last IPv6 address. */
  readonly last: Ip;

  private constructor(
    readonly ip: Ip,
    readonly prefix: number,
  ) {
    const host = hostMask(ip.family, prefix);
    const network = ip.value & ~host;
    this.network = network === ip.value ? ip : Ip.fromBigInt(network, ip.family);
    this.last = Ip.fromBigInt(network | host, ip.family);
  }

  /**
   * Go's `net.ParseCIDR` ("10.1.2.3/24", "2001:db8::/32"); host bits are kept in `ip`.
   * An IPv4-mapped IPv6 address counts its prefix over 128 bits, as in Go, and becomes the IPv4
   * network ("::ffff:10.1.2.0/120" is 10.1.2.0/24). Below /96 Go builds a network that does not
   * contain its own address; that is rejected here.
   */
  static parse(text: string): Cidr {
    try {
      const slash = text.indexOf('/');
      if (slash < 0) throw new SyntaxFault('missing "/prefix"');
      let { family, value } = parseAddressText(text.slice(0, slash));
      let prefix = parsePrefixLength(text.slice(slash + 1));
      if (prefix > BITS[family]) throw new SyntaxFault(`prefix length exceeds ${BITS[family]}`);
      if (family === 6 && isMappedValue(value)) {
        if (prefix < 96) throw new SyntaxFault('IPv4-mapped address with a prefix shorter than 96');
        family = 4;
        value &= 0xffffffffn;
        prefix -= 96;
      }
      return new Cidr(Ip.fromBigInt(value, family), prefix);
    } catch (err) {
      if (err instanceof SyntaxFault) throw new IpParseError('CIDR address', text, err.message);
      throw err;
    }
  }

  static tryParse(text: string): Cidr | null {
    try {
      return Cidr.parse(text);
    } catch (err) {
      if (err instanceof IpParseError) return null;
      throw err;
    }
  }

  get family(): IpFamily {
    return this.ip.family;
  }

  get bits(): 32 | 128 {
    return this.ip.bits;
  }

  /** Number of addresses, network and broadcast included. */
  get size(): bigint {
    return hostMask(this.family, this.prefix) + 1n;
  }

  /** True for "10.1.2.3/24": host-local requires subnets written as their network. */
  hasHostBits(): boolean {
    return !this.ip.equals(this.network);
  }

  /** This network with the host bits cleared, as Go's ParseCIDR returns it. */
  masked(): Cidr {
    return this.hasHostBits() ? new Cidr(this.network, this.prefix) : this;
  }

  /** Go's `IPNet.Contains`: an address of the other family is never contained. */
  contains(ip: Ip): boolean {
    return ip.family === this.family && (ip.value & ~hostMask(this.family, this.prefix)) === this.network.value;
  }

  /** Same address as written and same prefix length. */
  equals(other: Cidr): boolean {
    return this.prefix === other.prefix && this.ip.equals(other.ip);
  }

  /** Go's `IPNet.String()` of the masked network: "10.1.0.0/16". */
  toString(): string {
    return `${this.network.toString()}/${this.prefix}`;
  }

  /** The address as written with its prefix, "10.1.2.3/24", the form CNI results carry. */
  toAddressString(): string {
    return formatIpPrefix(this.ip, this.prefix);
  }
}

/** "ip/prefix" without masking, e.g. an allocated address in its subnet: "10.1.2.3/24". */
export function formatIpPrefix(ip: Ip, prefix: number): string {
  return `${ip.toString()}/${prefix}`;
}
