import type { Interface, Result } from '../../lib/cni/result';
import { seenState, validateExpectedAddresses, validateExpectedRoutes } from '../../lib/kit/validate';
import type { Link, LinkSnapshot, Netns } from '../../lib/net';
import type { BridgeConf } from './config';

// CHECK of an attachment against its prevResult, with the reference's checks and messages:
// the bridge, the container veth and its host peer on the bridge, then addresses and routes.

function fail(msg: string): Error {
  return new Error(msg);
}

function macMatches(expected: string | undefined, link: Link): boolean {
  return !expected || expected.toLowerCase() === (link.mac ?? '').toLowerCase();
}

async function hostLink(host: Netns, intf: Interface): Promise<Link> {
  if (!intf.name) throw fail('Interface name missing');
  const link = await host.link(intf.name);
  if (!link) throw fail(`Interface name ${intf.name} not found`);
  if (intf.sandbox) throw fail(`Interface ${intf.name} should not be in sandbox`);
  return link;
}

export async function checkBridge(host: Netns, conf: BridgeConf, intf: Interface | undefined): Promise<Link> {
  if (!intf) throw fail(`CNI created bridge ${conf.bridge} in host namespace was not found`);
  const link = await hostLink(host, intf);
  if (link.kind !== 'bridge') throw fail(`Interface ${intf.name} does not have link type of bridge`);
  if (!macMatches(intf.mac, link)) throw fail(`Bridge interface ${intf.name} Mac doesn't match: ${intf.mac}`);
  if (link.promisc !== conf.promiscMode) {
    throw fail(`Bridge interface ${intf.name} configured Promisc Mode ${conf.promiscMode} doesn't match current state: ${link.promisc}`);
  }
  return link;
}

export function checkContainerLink(intf: Interface, link: Link | undefined): Link {
  if (!link) throw fail(`Interface name ${intf.name} not found`);
  if (link.kind !== 'veth') throw fail(`Error: Container interface ${intf.name} not of type veth`);
  if (link.parentIndex === undefined) throw fail(`Unable to obtain veth peer index for veth ${intf.name}`);
  if (!macMatches(intf.mac, link)) throw fail(`Interface ${intf.name} Mac ${intf.mac} doesn't match container Mac: ${link.mac}`);
  return link;
}

/**
 * Looks among the other host interfaces of the result for the veth whose peer is the container
 * interface and whose master is the bridge. Interfaces that are not veths are skipped, as in the
 * reference; one that is missing is an error.
 */
export async function checkHostVeth(host: Netns, result: Result, bridge: Link, container: Link, skip: readonly string[]): Promise<void> {
  for (const intf of result.interfaces ?? []) {
    if (skip.includes(intf.name)) continue;
    const link = await hostLink(host, intf);
    if (link.kind !== 'veth') continue;
    const isPeer = link.ifindex === container.parentIndex && link.parentIndex === container.ifindex && link.master === bridge.name;
    if (!isPeer) continue;
    if (!macMatches(intf.mac, link)) throw fail(`Interface ${intf.name} Mac doesn't match: ${intf.mac} not found`);
    return;
  }
  throw fail(`CNI veth created for bridge ${bridge.name} was not found`);
}

/** The addresses and routes of prevResult are on the container interface and in its main table. */
export function checkAddressesAndRoutes(ifName: string, result: Result, snap: LinkSnapshot): void {
  const { onLink, routes } = seenState(snap);
  validateExpectedAddresses(ifName, result.ips ?? [], onLink, routes);
  validateExpectedRoutes(result.routes ?? [], routes);
}
