import type { Interface } from '../../lib/cni/result';
import { isNetError, type Address, type Batch, type Link, type Netns } from '../../lib/net';
import { randomBytes } from '../../lib/net/digest';
import { randomMac } from '../../lib/net/mac-address';
import type { BridgeConf } from './config';
import { BRIDGE_ALIAS } from './remove-unused';
import { stepFailed } from '../../lib/kit/errors';

/** The bridge as found before ADD changes anything (undefined: it does not exist yet). */
export interface BridgeState {
  link?: Link;
  addresses: Address[];
}

/** Reads the bridge (link and addresses, one process) and refuses a non-bridge of that name. */
export async function inspectBridge(host: Netns, conf: BridgeConf): Promise<BridgeState> {
  const snap = await host.inspect(conf.bridge).catch((e: unknown) => {
    throw stepFailed(`look up bridge "${conf.bridge}"`, e);
  });
  if (snap.link && snap.link.kind !== 'bridge')
    throw stepFailed(`create bridge "${conf.bridge}"`, `"${conf.bridge}" already exists but is not a bridge`);
  return { ...(snap.link ? { link: snap.link } : {}), addresses: snap.addresses };
}

/** What the host-side setup created: the three interfaces of the result, in the result's order. */
export interface HostSide {
  bridge: Interface;
  hostVeth: Interface;
  container: Interface;
}

const ZERO_MAC = '00:00:00:00:00:00';

/** `veth` + 8 hex digits, like the reference's random host-side names. */
export function randomVethName(): string {
  return `veth${randomBytes(4).toString('hex')}`;
}

/**
 * The bridge part of the host batch: created with a MAC of its own when missing (so it never
 * follows its ports' MACs, nor drops to all zeros when the last port leaves), else its MAC
 * pinned to its current value (or a fresh one if it already lost it), promisc on if asked, up.
 */
function addBridgeSteps(batch: Batch, conf: BridgeConf, state: BridgeState): string {
  const current = state.link?.mac;
  const mac = current && current !== ZERO_MAC ? current : randomMac();
  if (!state.link) {
    batch.createBridge(conf.bridge, { mtu: conf.mtu, vlanFiltering: conf.vlanFiltering, mac }).tolerating('exists');
    // Under the bridge lock (remove-unused.ts), so the bridge just found missing is ours.
    if (conf.removeBridgeWhenUnused) batch.setAlias(conf.bridge, BRIDGE_ALIAS);
  } else batch.setMac(conf.bridge, mac);
  if (conf.promiscMode) batch.setPromisc(conf.bridge, true);
  batch.setUp(conf.bridge);
  return mac;
}

interface VethNames {
  hostVeth: string;
  hostMac: string;
  containerMac: string;
}

/** The veth part: created here with its container end made directly in the container namespace. */
function addVethSteps(batch: Batch, conf: BridgeConf, ifName: string, ctr: Netns, names: VethNames): void {
  batch.createVeth(
    names.hostVeth,
    { mtu: conf.mtu, mac: names.hostMac },
    { name: ifName, netns: ctr, mtu: conf.mtu, mac: names.containerMac },
  );
  batch.setUp(names.hostVeth);
  batch.setMaster(names.hostVeth, conf.bridge);
  batch.setBridgePort(names.hostVeth, { hairpin: conf.hairpinMode, isolated: conf.portIsolation });
}

function addSysctlSteps(batch: Batch, conf: BridgeConf, hostVeth: string): void {
  // The reference owns the routes of both interfaces: no router advertisements.
  batch.sysctl(`net/ipv6/conf/${conf.bridge}/accept_ra`, 0, { ignoreErrors: true });
  batch.sysctl(`net/ipv6/conf/${hostVeth}/accept_ra`, 0, { ignoreErrors: true });
}

const MAX_NAME_TRIES = 10;

/**
 * Ensures the bridge and creates the veth pair, attached to the bridge with the configured port
 * flags, and puts the gateway addresses on the bridge (`gatewaySteps`), in one host batch over
 * netlink (VLANs in a second one). A clash of the random host
 * name is retried with a new name, as in the reference. `onVethCreated` is called as soon as the
 * pair exists, so a later failure can remove it.
 */
export async function setupHostSide(
  host: Netns,
  ctr: Netns,
  conf: BridgeConf,
  ifName: string,
  state: BridgeState,
  onVethCreated: (hostVeth: string) => void,
  gatewaySteps?: (batch: Batch) => void,
): Promise<HostSide> {
  const containerMac = conf.mac ?? randomMac();
  for (let attempt = 1; ; attempt++) {
    const names: VethNames = { hostVeth: randomVethName(), hostMac: randomMac(), containerMac };
    const batch = host.batch();
    let bridgeMac = addBridgeSteps(batch, conf, state);
    const vethStep = batch.size;
    addVethSteps(batch, conf, ifName, ctr, names);
    addSysctlSteps(batch, conf, names.hostVeth);
    const gatewayStep = batch.size;
    gatewaySteps?.(batch);
    try {
      const outcome = await batch.run();
      onVethCreated(names.hostVeth);
      // Someone else created the bridge between our look and our batch: report its real MAC.
      if (outcome.tolerated.some((t) => t.index === 0)) bridgeMac = (await host.link(conf.bridge))?.mac ?? bridgeMac;
    } catch (e) {
      const failedAt = isNetError(e) ? (e.stepIndex ?? -1) : -1;
      if (failedAt > vethStep) onVethCreated(names.hostVeth);
      if (failedAt === vethStep && isNetError(e, 'exists')) {
        const hostNameTaken = (await host.link(names.hostVeth)) !== undefined;
        if (hostNameTaken && attempt < MAX_NAME_TRIES) continue;
        if (!hostNameTaken) throw stepFailed('create veth pair', `container interface "${ifName}" already exists in ${ctr}`);
      }
      if (gatewaySteps && failedAt >= gatewayStep) throw stepFailed(`set gateway address on "${conf.bridge}"`, e);
      throw stepFailed(failedAt >= vethStep ? `set up veth pair for ${ifName}` : `set up bridge "${conf.bridge}"`, e);
    }
    await setPortVlans(host, conf, names.hostVeth);
    return {
      bridge: { name: conf.bridge, mac: bridgeMac },
      hostVeth: { name: names.hostVeth, mac: names.hostMac },
      container: { name: ifName, mac: containerMac, sandbox: ctr.ref },
    };
  }
}

/**
 * The host port's VLANs: without preserveDefaultVlan the entries the port got on joining (the
 * bridge's default PVID) go first; then `vlan` as PVID/untagged, the trunk VIDs tagged, and a
 * trunk without `vlan` gets native VLAN 1.
 */
export async function setPortVlans(
  host: Netns,
  conf: Pick<BridgeConf, 'vlan' | 'vlanTrunk' | 'preserveDefaultVlan'>,
  port: string,
): Promise<void> {
  if (conf.vlan === 0 && conf.vlanTrunk.length === 0) return;
  const batch = host.batch();
  if (!conf.preserveDefaultVlan) {
    const existing = await host.portVlans(port).catch((e: unknown) => {
      throw stepFailed(`read VLANs of ${port}`, e);
    });
    for (const vid of existing) batch.bridgeVlanDel(port, vid);
  }
  if (conf.vlan !== 0) batch.bridgeVlanAdd(port, conf.vlan, { pvid: true, untagged: true });
  for (const vid of conf.vlanTrunk) batch.bridgeVlanAdd(port, vid);
  if (conf.vlan === 0 && conf.vlanTrunk.length > 0) batch.bridgeVlanAdd(port, 1, { pvid: true, untagged: true });
  await batch.run().catch((e: unknown) => {
    throw stepFailed(`set VLANs on ${port}`, e);
  });
}
