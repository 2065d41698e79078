import { Ip, type Family } from './address';

/**
 * A CIDR as Go's net.ParseCIDR returns it: the address as written (`ip`, host bits kept) and
 * the prefix length; `network` is the masked address.
 */
export class Cidr {
  private constructor(
    readonly ip: Ip,
    readonly prefix: number,
  ) {}

  static tryParse(text: string): Cidr | undefined {
    if (typeof text !== 'string') return undefined;
    const slash = text.indexOf('/');
    if (slash < 0) return undefined;
    const ip = Ip.tryParse(text.slice(0, slash));
    const len = text.slice(slash + 1);
    if (!ip || !/^(0|[1-9]\d{0,2})$/.test(len)) return undefined;
    let prefix = Number(len);
    // '::ffff:1.2.3.4/120' is an IPv4 address with a 128-bit style prefix, as in Go.
    if (ip.family === 4 && text.slice(0, slash).includes(':')) {
      if (prefix < 96) return undefined;
      prefix -= 96;
    }
    if (prefix > ip.bits) return undefined;
    return new Cidr(ip, prefix);
  }

  static parse(text: string): Cidr {
    const c = Cidr.tryParse(text);
    if (!c) throw new Error(`invalid CIDR address "${text}"`);
    return c;
  }

  static of(ip: Ip, prefix: number): Cidr {
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > ip.bits) throw new RangeError(`invalid prefix length ${prefix}`);
    return new Cidr(ip, prefix);
  }

  get family(): Family {
    return this.ip.family;
  }

  private get hostMask(): bigint {
    return (1n << BigInt(this.ip.bits - this.prefix)) - 1n;
  }

  get network(): Ip {
    return Ip.fromBigInt(this.family, this.ip.value & ~this.hostMask);
  }

  /** Broadcast for IPv4, the last address for IPv6. */
  get last(): Ip {
    return Ip.fromBigInt(this.family, this.network.value | this.hostMask);
  }

  get size(): bigint {
    return this.hostMask + 1n;
  }

  hasHostBits(): boolean {
    return (this.ip.value & this.hostMask) !== 0n;
  }

  /** The network itself ('10.1.0.0/16'), as Go's IPNet.String(). */
  networkCidr(): Cidr {
    return new Cidr(this.network, this.prefix);
  }

  contains(ip: Ip): boolean {
    return ip.family === this.family && (ip.value & ~this.hostMask) === this.network.value;
  }

  overlaps(other: Cidr): boolean {
    return this.family === other.family && (this.contains(other.network) || other.contains(this.network));
  }

  /** 'ip/prefix' with the address as written: CNI results use it ('10.1.2.3/24'). */
  toString(): string {
    return `${this.ip.toString()}/${this.prefix}`;
  }
}
