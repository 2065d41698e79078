import { CniError, ErrCode } from '../cni/errors';
import type { Interface, IpConfig, Result, Route } from '../cni/result';
import { Cidr, Ip, type IpFamily } from '../ip';
import type { Link, LinkSnapshot } from '../net';
import { normalizeMac } from '../net/mac-address';

/** A route of the container as CHECK sees it; no `dst` is the default route. */
export interface SeenRoute {
  family: IpFamily;
  dst?: Cidr;
  gw?: Ip;
  /** Absent: the main table (254). */
  table?: number;
  metric?: number;
  /** rtnetlink scope number (0 universe, 253 link, 254 host). */
  scope?: number;
  mtu?: number;
  advmss?: number;
}

function checkError(msg: string): CniError {
  return new CniError(ErrCode.Internal, msg);
}

const MAIN_TABLE = 254;

function tableOf(route: SeenRoute): number {
  return route.table ?? MAIN_TABLE;
}

function sameDst(route: SeenRoute, dst: Cidr): boolean {
  if (route.family !== dst.family) return false;
  if (dst.prefix === 0) return route.dst === undefined || route.dst.prefix === 0;
  return route.dst !== undefined && route.dst.masked().equals(dst.masked());
}

/**
 * CHECK of the addresses a result gave `ifName` (the reference's ValidateExpectedInterfaceIPs):
 * each address with its prefix is on the link, and the main table has a route to its subnet.
 */
export function validateExpectedAddresses(
  ifName: string,
  expected: readonly IpConfig[],
  onLink: readonly Cidr[],
  routes: readonly SeenRoute[],
): void {
  for (const ipc of expected) {
    const want = Cidr.tryParse(ipc.address);
    if (!want) throw checkError(`invalid address "${ipc.address}" in prevResult`);
    if (!onLink.some((have) => have.equals(want))) throw checkError(`Failed to match addr ${ipc.address} on interface ${ifName}`);
    const subnet = want.masked();
    if (!routes.some((r) => tableOf(r) === MAIN_TABLE && sameDst(r, subnet))) {
      throw checkError(`Failed to find a route to ${subnet} (subnet of ${ipc.address}) for interface ${ifName}`);
    }
  }
}

/**
 * The 1.1 attributes a result gave a route, as ADD programmed them: its table (0 or absent:
 * main), and, when set, its priority, scope, MTU and advmss. The reference looks only in the
 * main table and compares none of them.
 */
function sameAttributes(r: SeenRoute, want: Route): boolean {
  if (tableOf(r) !== (want.table || MAIN_TABLE)) return false;
  if (want.priority && (r.metric ?? 0) !== want.priority) return false;
  if (want.scope !== undefined && (r.scope ?? 0) !== want.scope) return false;
  if (want.mtu && r.mtu !== want.mtu) return false;
  if (want.advmss && r.advmss !== want.advmss) return false;
  return true;
}

function describeAttributes(want: Route): string {
  const parts: string[] = [];
  if (want.table) parts.push(`table ${want.table}`);
  if (want.priority) parts.push(`priority ${want.priority}`);
  if (want.scope !== undefined) parts.push(`scope ${want.scope}`);
  if (want.mtu) parts.push(`mtu ${want.mtu}`);
  if (want.advmss) parts.push(`advmss ${want.advmss}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/**
 * CHECK of a result's routes (the reference's ValidateExpectedRoute): each one is in its table
 * with its gateway and the attributes of sameAttributes; for a default route the gateway does
 * not count, as in the reference.
 */
export function validateExpectedRoutes(expected: readonly Route[], routes: readonly SeenRoute[]): void {
  for (const want of expected) {
    const dst = Cidr.tryParse(want.dst);
    if (!dst) throw checkError(`invalid route destination "${want.dst}" in prevResult`);
    const gw = want.gw !== undefined ? Ip.tryParse(want.gw) : undefined;
    const found = routes.some(
      (r) => sameDst(r, dst) && (dst.prefix === 0 || !gw || (r.gw !== undefined && r.gw.equals(gw))) && sameAttributes(r, want),
    );
    if (!found) {
      throw checkError(
        `Expected Route ${want.dst}${want.gw ? ` via ${want.gw}` : ''}${describeAttributes(want)} not found in routing table`,
      );
    }
  }
}

const SCOPES: Record<string, number> = { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 };

function scopeNumber(text: string): number | undefined {
  return SCOPES[text] ?? (/^[0-9]+$/.test(text) ? Number(text) : undefined);
}

/** The addresses of a link and the routes of its namespace (every table), as the validators take them. */
export function seenState(snap: LinkSnapshot): { onLink: Cidr[]; routes: SeenRoute[] } {
  const onLink = snap.addresses.map((a) => Cidr.tryParse(a.cidr)).filter((c): c is Cidr => c !== null);
  const routes: SeenRoute[] = [];
  for (const r of snap.routes) {
    const dst = Cidr.tryParse(r.dst);
    const gw = r.gateway !== undefined ? Ip.tryParse(r.gateway) : null;
    const scope = scopeNumber(r.scope);
    const common: SeenRoute = {
      family: r.family,
      ...(dst && dst.prefix > 0 ? { dst } : {}),
      ...(r.table !== MAIN_TABLE ? { table: r.table } : {}),
      ...(r.metric !== undefined ? { metric: r.metric } : {}),
      ...(scope !== undefined ? { scope } : {}),
      ...(r.mtu !== undefined ? { mtu: r.mtu } : {}),
      ...(r.advmss !== undefined ? { advmss: r.advmss } : {}),
    };
    routes.push({ ...common, ...(gw ? { gw } : {}) });
    // Each hop of a multipath route is a route through that gateway for the reference's lookup.
    for (const hop of r.nexthops ?? []) {
      const hopGw = hop.gateway !== undefined ? Ip.tryParse(hop.gateway) : null;
      if (hopGw) routes.push({ ...common, gw: hopGw });
    }
  }
  return { onLink, routes };
}

/** The prevResult entry for the container interface: named `ifName` and in sandbox `netns`. */
export function findContainerInterface(prev: Result, ifName: string, netns: string): Interface {
  const found = (prev.interfaces ?? []).find((i) => i.name === ifName && i.sandbox === netns);
  if (!found) {
    const sandbox = (prev.interfaces ?? []).find((i) => i.name === ifName)?.sandbox ?? '';
    throw checkError(`sandbox in prevResult ${JSON.stringify(sandbox)} doesn't match configured netns: ${netns}`);
  }
  return found;
}

/** The container link exists, is of `kind` and has the MAC prevResult recorded (if any). */
export function validateContainerLink(link: Link | undefined, expected: Interface, kind: string): Link {
  if (!link) throw checkError(`container interface ${expected.name} from prevResult not found`);
  if (link.kind !== kind)
    throw checkError(`container interface ${expected.name} is not of type ${kind} (it is ${link.kind || 'a plain device'})`);
  if (expected.mac) {
    const want = normalizeMac(expected.mac) ?? expected.mac;
    if (want !== link.mac)
      throw checkError(`interface ${expected.name} MAC ${expected.mac} doesn't match container MAC: ${link.mac ?? 'none'}`);
  }
  return link;
}
