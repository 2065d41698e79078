import type { Result } from '../cni/result';
import type { Batch } from '../net';
import { planIface } from './plan';

/**
 * Adds the reference's ConfigureIface to a batch for the container namespace: IPv6 enabled on
 * lo and the interface (and keep_addr_on_down) when a v6 address comes, every address, link up,
 * a wait for DAD when a route may go through a v6 gateway, then every route (added beside any
 * existing route to the same destination, so ECMP routes from IPAM work) with its table, scope,
 * priority, MTU and advmss (the last two never programmed by the reference). Throws before
 * anything runs when the result does not describe `ifName` consistently.
 */
export function configureIface(batch: Batch, ifName: string, result: Result): Batch {
  const plan = planIface(ifName, result);
  if (plan.enableIpv6) {
    batch.sysctl('net/ipv6/conf/lo/disable_ipv6', 0);
    batch.sysctl(`net/ipv6/conf/${ifName}/disable_ipv6`, 0);
    batch.sysctl(`net/ipv6/conf/${ifName}/keep_addr_on_down`, 1);
  }
  for (const address of plan.addresses) batch.addAddress(ifName, address.toAddressString());
  batch.setUp(ifName);
  if (plan.waitForDad) batch.waitForDad(ifName);
  for (const r of plan.routes) {
    batch.addRoute({
      dst: r.dst.toString(),
      ...(r.gw ? { gw: r.gw.toString() } : {}),
      dev: ifName,
      ...(r.priority !== undefined ? { metric: r.priority } : {}),
      ...(r.table !== undefined ? { table: r.table } : {}),
      ...(r.scope !== undefined ? { scope: r.scope } : {}),
      ...(r.mtu !== undefined ? { mtu: r.mtu } : {}),
      ...(r.advmss !== undefined ? { advmss: r.advmss } : {}),
    });
  }
  return batch;
}
