import { CniError, ErrCode } from '../cni/errors';
import type { Result } from '../cni/result';
import { Cidr, Ip, type IpFamily } from '../ip';

/** A route for the container interface, its gateway already resolved. */
export interface PlannedRoute {
  dst: Cidr;
  gw?: Ip;
  priority?: number;
  table?: number;
  scope?: number;
  mtu?: number;
  advmss?: number;
}

/** What ConfigureIface does to one container interface, decided from a result before touching the kernel. */
export interface IfacePlan {
  ifName: string;
  addresses: Cidr[];
  /** A v6 address is coming: IPv6 must be enabled on lo and the interface, keep_addr_on_down set. */
  enableIpv6: boolean;
  /** Routes via a v6 gateway need the addresses out of DAD's tentative state first. */
  waitForDad: boolean;
  routes: PlannedRoute[];
}

function cidrOf(text: string, what: string): Cidr {
  const c = Cidr.tryParse(text);
  if (!c) throw new CniError(ErrCode.Internal, `${what} "${text}" is not a valid CIDR`);
  return c;
}

/**
 * The reference's ConfigureIface, as a plan: every address whose `interface` index points at
 * `ifName` (addresses without an index belong to no interface and are skipped; an index naming
 * another interface is an error), then every route, a route without `gw` going through the
 * first gateway of its family among those addresses.
 */
export function planIface(ifName: string, result: Result): IfacePlan {
  const interfaces = result.interfaces ?? [];
  if (interfaces.length === 0) throw new CniError(ErrCode.Internal, 'no interfaces to configure');
  const addresses: Cidr[] = [];
  const gateways = new Map<IpFamily, Ip>();
  for (const ipc of result.ips ?? []) {
    if (ipc.interface === undefined) continue;
    if (ipc.interface < 0 || ipc.interface >= interfaces.length || interfaces[ipc.interface].name !== ifName) {
      throw new CniError(ErrCode.Internal, `failed to add IP addr ${ipc.address} to "${ifName}": invalid interface index ${ipc.interface}`);
    }
    const address = cidrOf(ipc.address, 'address');
    addresses.push(address);
    const gw = ipc.gateway !== undefined ? Ip.tryParse(ipc.gateway) : undefined;
    if (gw && !gateways.has(gw.family)) gateways.set(gw.family, gw);
  }
  const routes = (result.routes ?? []).map((r): PlannedRoute => {
    const dst = cidrOf(r.dst, 'route destination');
    const gw = r.gw !== undefined ? Ip.tryParse(r.gw) : gateways.get(dst.family);
    const out: PlannedRoute = { dst: dst.masked() };
    if (gw) out.gw = gw;
    if (r.priority) out.priority = r.priority;
    // Table 0 is unspecified: the main table, as in the reference.
    if (r.table) out.table = r.table;
    if (r.scope !== undefined) out.scope = r.scope;
    // 0 is "not set" for both (Go's omitempty ints): the device's MTU, an MSS derived from it.
    if (r.mtu) out.mtu = r.mtu;
    if (r.advmss) out.advmss = r.advmss;
    return out;
  });
  return {
    ifName,
    addresses,
    enableIpv6: addresses.some((a) => a.family === 6),
    waitForDad: gateways.has(6),
    routes,
  };
}
