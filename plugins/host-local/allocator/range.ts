import { CniError, ErrCode } from '../../../lib/cni/errors';
import { Cidr, Ip, ipInRange } from '../../../lib/ip';

/** One pool of a range set: [start, end] inside `subnet`, with the gateway handed out alongside. */
export interface Range {
  subnet: Cidr;
  start: Ip;
  end: Ip;
  gateway: Ip;
}

/** The raw texts of a range as the config spells them; undefined or '' = not given. */
export interface RangeSpec {
  subnet?: string;
  rangeStart?: string;
  rangeEnd?: string;
  gateway?: string;
}

function invalid(where: string, msg: string): CniError {
  return new CniError(ErrCode.InvalidNetworkConfig, `${where}${msg}`);
}

function parseAddress(where: string, key: string, text: string): Ip {
  const ip = Ip.tryParse(text);
  if (!ip) throw invalid(where, `.${key} "${text}" is not an IP address`);
  return ip;
}

/**
 * Validates a range and fills the defaults the reference plugin uses: start = network+1,
 * end = the last address (IPv4: the one before broadcast), gateway = network+1. The gateway is
 * deliberately not required to lie in the subnet (the reference accepts any address).
 * `where` names the range in messages, e.g. "host-local: ipam.ranges[0][1]".
 */
export function canonicalRange(spec: RangeSpec, where: string): Range {
  if (!spec.subnet) throw invalid(where, `.subnet is required (a CIDR such as "10.1.0.0/24")`);
  const written = Cidr.tryParse(spec.subnet);
  if (!written) throw invalid(where, `.subnet "${spec.subnet}" is not a CIDR (expected e.g. "10.1.0.0/24")`);
  const subnet = written.masked();
  if (written.prefix > written.bits - 2) {
    throw invalid(
      where,
      `.subnet "${spec.subnet}" is too small to allocate from: an IPv${written.family} subnet needs a prefix of /${written.bits - 2} or shorter`,
    );
  }
  if (written.hasHostBits()) throw invalid(where, `.subnet "${spec.subnet}" has host bits set; use ${subnet.toString()}`);

  const firstHost = subnet.network.next() as Ip;
  const gateway = spec.gateway ? parseAddress(where, 'gateway', spec.gateway) : firstHost;
  const start = spec.rangeStart ? parseAddress(where, 'rangeStart', spec.rangeStart) : firstHost;
  const end = spec.rangeEnd ? parseAddress(where, 'rangeEnd', spec.rangeEnd) : defaultEnd(subnet);
  for (const [key, ip] of [
    ['rangeStart', start],
    ['rangeEnd', end],
  ] as const) {
    if (!subnet.contains(ip)) throw invalid(where, `.${key} "${ip.toString()}" is not in subnet ${subnet.toString()}`);
  }
  if (start.compare(end) > 0) throw invalid(where, `.rangeStart "${start.toString()}" is after rangeEnd "${end.toString()}"`);
  return { subnet, start, end, gateway };
}

function defaultEnd(subnet: Cidr): Ip {
  return subnet.family === 4 ? (subnet.last.prev() as Ip) : subnet.last;
}

/** An allocatable position: inside [start, end] (which lies inside the subnet). */
export function rangeContains(r: Range, ip: Ip): boolean {
  return ipInRange(ip, r.start, r.end);
}

/** The reference's overlap test: either range holds an end point of the other. */
export function rangesOverlap(a: Range, b: Range): boolean {
  return rangeContains(a, b.start) || rangeContains(a, b.end) || rangeContains(b, a.start) || rangeContains(b, a.end);
}

/** "10.1.0.1-10.1.0.254", the reference's text for a range in messages. */
export function rangeText(r: Range): string {
  return `${r.start.toString()}-${r.end.toString()}`;
}
