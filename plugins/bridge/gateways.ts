import type { Result } from '../../lib/cni/result';
import { Cidr, Ip, type IpFamily } from '../../lib/ip';
import type { MasqAddress } from '../../lib/netfilter/masquerade';
import type { BridgeConf } from './config';

/** Index of the container interface in the result: bridge, host veth, container veth. */
export const CONTAINER_IF_INDEX = 2;

const DEFAULT_DST: Record<IpFamily, string> = { 4: '0.0.0.0/0', 6: '::/0' };

/** A gateway address with the prefix of the container address it serves, e.g. "10.1.0.1/24". */
export interface GatewayAddress {
  family: IpFamily;
  cidr: string;
}

/**
 * Shapes the IPAM result as the reference does: every address belongs to the container
 * interface; with isGateway a missing gateway becomes the subnet's first address; with
 * isDefaultGateway each family gets a default route via its gateway unless IPAM already gave one
 * with a gateway. Returns the addresses to put on the bridge (per family, in order).
 */
export function applyGateways(result: Result, conf: Pick<BridgeConf, 'isGateway' | 'isDefaultGateway'>): GatewayAddress[] {
  const gateways: GatewayAddress[] = [];
  const routes = (result.routes ??= []);
  const defaultRouted = new Set<IpFamily>();
  for (const ipc of result.ips ?? []) {
    const cidr = Cidr.parse(ipc.address);
    ipc.interface = CONTAINER_IF_INDEX;
    if (ipc.gateway === undefined && conf.isGateway) ipc.gateway = cidr.network.next()?.toString();
    if (conf.isDefaultGateway && !defaultRouted.has(cidr.family)) {
      const given = routes.some((r) => r.gw !== undefined && Cidr.tryParse(r.dst)?.toString() === DEFAULT_DST[cidr.family]);
      if (!given) routes.push(ipc.gateway ? { dst: DEFAULT_DST[cidr.family], gw: ipc.gateway } : { dst: DEFAULT_DST[cidr.family] });
      defaultRouted.add(cidr.family);
    }
    if (conf.isGateway && ipc.gateway !== undefined) {
      gateways.push({ family: cidr.family, cidr: `${Ip.parse(ipc.gateway).toString()}/${cidr.prefix}` });
    }
  }
  if (routes.length === 0) delete result.routes;
  return [...gateways.filter((g) => g.family === 4), ...gateways.filter((g) => g.family === 6)];
}

/** The result's container addresses in the plain form lib/net's masquerade takes. */
export function masqAddresses(result: Result): MasqAddress[] {
  return (result.ips ?? []).map((ipc) => {
    const cidr = Cidr.parse(ipc.address);
    return { family: cidr.family, ip: cidr.ip.toString(), prefix: cidr.prefix, network: cidr.network.toString() };
  });
}

/** An address already on the gateway device, as lib/net reports it. */
export interface PresentAddress {
  family: IpFamily;
  cidr: string;
}

/**
 * The reference's rule for putting a gateway address on the bridge: nothing to do when it is
 * there; an IPv4 bridge holds one address, an IPv6 bridge any number of non-overlapping ones; a
 * conflicting address is removed with forceAddress and is an error without. Returns the
 * addresses to delete first and whether the gateway still has to be added.
 */
export function planGatewayAddress(
  device: string,
  present: readonly PresentAddress[],
  gw: GatewayAddress,
  force: boolean,
): { remove: string[]; add: boolean } {
  const want = Cidr.parse(gw.cidr);
  const same = present.filter((a) => a.family === gw.family);
  if (same.some((a) => Cidr.parse(a.cidr).equals(want))) return { remove: [], add: false };
  const conflicts = same.filter((a) => {
    if (gw.family === 4) return true;
    const have = Cidr.parse(a.cidr);
    return have.contains(want.ip) || want.contains(have.ip);
  });
  if (conflicts.length > 0 && !force) {
    throw new Error(
      `"${device}" already has an IP address different from ${gw.cidr} (${conflicts.map((a) => a.cidr).join(', ')}); set forceAddress to replace it`,
    );
  }
  return { remove: conflicts.map((a) => a.cidr), add: true };
}
