import { CniError, ErrCode } from '../../lib/cni/errors';
import { parseGcAttachments } from '../../lib/cni/gc-attachments';
import { delegate, delegatesInProcess } from '../../lib/cni/invoke';
import { ipamAdd } from '../../lib/cni/ipam';
import type { Plugin, Request } from '../../lib/cni/plugin';
import { formatResult, type Result } from '../../lib/cni/result';
import { allOrFirstError, Rollback } from '../../lib/cni/rollback';
import { ALL_VERSIONS, CURRENT_VERSION } from '../../lib/cni/version';
import { deleteContainerLink } from '../../lib/kit/container-link';
import { fillInterfaceMtu } from '../../lib/kit/interface-mtu';
import { Netns } from '../../lib/net';
import { gcMasquerade, missingMasquerade, setupMasquerade, teardownMasquerade, type MasqAttachment } from '../../lib/netfilter/masquerade';
import { setupSpoofCheck, spoofCheckId, teardownSpoofCheck } from '../../lib/netfilter/spoofcheck';
import { checkAddressesAndRoutes, checkBridge, checkContainerLink, checkHostVeth } from './check';
import { parseBridgeConf, type BridgeConf } from './config';
import { bringUpContainer, configureContainer } from './container-side';
import { stepFailed } from '../../lib/kit/errors';
import { ensureVlanGateways, planGatewaySteps, type GatewaySteps } from './gateway-device';
import { applyGateways, masqAddresses, type GatewayAddress } from './gateways';
import { inspectBridge, setupHostSide, type BridgeState, type HostSide } from './host-side';
import { lockBridge, removeBridgeIfUnused } from './remove-unused';
import { withStaleMarks } from './gc-marks';
import type { HeldLock } from '../../lib/net/file-lock';

function masqOwner(req: Request, conf: BridgeConf): MasqAttachment {
  return { network: conf.net.name, containerId: req.containerId, ifName: req.ifName, dropInvalid: conf.ipMasqDropInvalid };
}

/** IPAM ADD into the result being built; its reservation is released on rollback. */
async function runIpam(req: Request, conf: BridgeConf, result: Result, rollback: Rollback): Promise<void> {
  const ipam = await ipamAdd(conf.net.ipamType, req, rollback);
  result.ips = ipam.ips;
  if (ipam.routes) result.routes = ipam.routes;
  if (ipam.dns) result.dns = ipam.dns;
}

async function waitForPort(host: Netns, hostVeth: string): Promise<void> {
  const state = await host.waitForOperUp(hostVeth);
  if (state !== 'up') throw new CniError(ErrCode.Internal, `bridge port in error state: ${hostVeth} is ${state}`);
}

/** One ADD in progress: the request, its config, both namespaces, the result being built. */
interface Attachment {
  req: Request;
  conf: BridgeConf;
  host: Netns;
  ctr: Netns;
  result: Result;
  rollback: Rollback;
  /** removeBridgeWhenUnused: held from the look at the bridge until the veth is enslaved. */
  bridgeLock?: HeldLock;
}

/** Masquerading for the result's addresses, removed again on rollback. */
function startMasquerade(a: Attachment): Promise<void> | undefined {
  if (!a.conf.isLayer3 || !a.conf.ipMasq) return undefined;
  a.rollback.push('remove masquerade rules', () => teardownMasquerade(masqOwner(a.req, a.conf)));
  return setupMasquerade(a.conf.ipMasqBackend, masqOwner(a.req, a.conf), masqAddresses(a.result)).then(
    () => undefined,
    (e: unknown) => {
      throw stepFailed('set up masquerading', e);
    },
  );
}

/** The bridge and the veth pair (plus `onBridge` steps in the same host batch), then the spoof check. */
async function createLinks(a: Attachment, bridge: BridgeState, onBridge?: GatewaySteps): Promise<HostSide> {
  const { req, conf, host, ctr, rollback } = a;
  const side = await setupHostSide(
    host,
    ctr,
    conf,
    req.ifName,
    bridge,
    (hostVeth) => rollback.push(`delete veth ${hostVeth}`, () => host.batch().deleteLink(hostVeth).run()),
    onBridge,
  );
  a.bridgeLock?.release();
  a.result.interfaces = [side.bridge, side.hostVeth, side.container];
  if (conf.macSpoofCheck) {
    const id = spoofCheckId(req.containerId, req.ifName);
    await setupSpoofCheck(side.hostVeth.name, side.container.mac ?? '', id).catch((e: unknown) => {
      throw stepFailed('set up the MAC spoof check', e);
    });
    rollback.push('remove the MAC spoof check', () => teardownSpoofCheck(id));
  }
  return side;
}

/** The container interface's addresses and routes (L3) or just link up (L2), then the port wait. */
async function finishContainer(a: Attachment, side: HostSide, bridge: BridgeState, gateways: GatewayAddress[]): Promise<void> {
  const { req, conf, host, ctr, result } = a;
  if (conf.isLayer3) {
    await configureContainer(ctr, conf, req.ifName, result);
    if (conf.isGateway && conf.vlan !== 0) {
      const vlanIface = await ensureVlanGateways(host, conf, bridge, gateways);
      if (vlanIface) result.interfaces!.push(vlanIface);
    }
  } else if (!conf.disableContainerInterface) {
    await bringUpContainer(ctr, req.ifName);
  }
  if (!conf.disableContainerInterface) await waitForPort(host, side.hostVeth.name);
}

/** The gateway addresses for the bridge itself (VLAN gateways get their own device later). */
function bridgeGatewaySteps(conf: BridgeConf, bridge: BridgeState, gateways: GatewayAddress[]): GatewaySteps | undefined {
  return conf.isGateway && conf.vlan === 0 && gateways.length > 0
    ? planGatewaySteps(conf, conf.bridge, bridge.addresses, gateways)
    : undefined;
}

/**
 * In-process host-local: IPAM beside the bridge lookup, before any link. Its addresses decide
 * the gateway steps, which join the host batch, and an IPAM failure leaves the host untouched.
 * host-local never looks at the interface, so this is observably the reference's order.
 */
async function addIpamFirst(a: Attachment): Promise<void> {
  const [bridge] = await allOrFirstError([inspectBridge(a.host, a.conf), runIpam(a.req, a.conf, a.result, a.rollback)] as const);
  const gateways = applyGateways(a.result, a.conf);
  const onBridge = bridgeGatewaySteps(a.conf, bridge, gateways);
  const links = async (): Promise<void> => finishContainer(a, await createLinks(a, bridge, onBridge), bridge, gateways);
  // Masquerading first: its helper processes run while this thread is in the netlink calls.
  const masquerade = startMasquerade(a);
  await allOrFirstError([links(), masquerade] as const);
}

/**
 * Any other IPAM plugin (dhcp, static, third party), and L2: the reference's order. The container
 * interface exists under its final name and is up when IPAM runs (the dhcp daemon runs its
 * client on it), then the gateway, the masquerade rules and the container's addresses follow.
 */
async function addIpamAfterLink(a: Attachment): Promise<void> {
  const bridge = await inspectBridge(a.host, a.conf);
  const side = await createLinks(a, bridge);
  if (!a.conf.isLayer3) return finishContainer(a, side, bridge, []);
  if (!a.conf.disableContainerInterface) await bringUpContainer(a.ctr, a.req.ifName);
  await runIpam(a.req, a.conf, a.result, a.rollback);
  const gateways = applyGateways(a.result, a.conf);
  const onBridge = bridgeGatewaySteps(a.conf, bridge, gateways);
  if (onBridge) {
    const batch = a.host.batch();
    onBridge(batch);
    await batch.run().catch((e: unknown) => {
      throw stepFailed(`set gateway address on "${a.conf.bridge}"`, e);
    });
  }
  const masquerade = startMasquerade(a);
  await allOrFirstError([finishContainer(a, side, bridge, gateways), masquerade] as const);
}

async function cmdAdd(req: Request): Promise<Result> {
  const conf = parseBridgeConf(req);
  // Resolving the IPAM plugin first also fails a missing one before anything is created.
  const ipamFirst = conf.isLayer3 && delegatesInProcess(conf.net.ipamType, req);
  return Rollback.guard(async (rollback) => {
    const result: Result = { cniVersion: CURRENT_VERSION, interfaces: [] };
    const attachment: Attachment = { req, conf, host: Netns.current(), ctr: Netns.at(req.netns), result, rollback };
    if (conf.removeBridgeWhenUnused) {
      // Last on undo: a bridge this failed ADD created goes again once its veth is gone.
      rollback.push(`remove bridge ${conf.bridge} if unused`, () => removeBridgeIfUnused(attachment.host, conf));
      attachment.bridgeLock = await lockBridge(conf.bridge);
    }
    try {
      await (ipamFirst ? addIpamFirst(attachment) : addIpamAfterLink(attachment));
    } finally {
      attachment.bridgeLock?.release();
    }
    await fillInterfaceMtu(result, conf.net.cniVersion, attachment.host);

    if (conf.net.dns) result.dns = conf.net.dns;
    // A result the config's version cannot express (L2-only at 0.1/0.2) fails here, while the
    // rollback can still undo the attachment.
    formatResult(result, conf.net.cniVersion);
    return result;
  });
}

/**
 * Undoes an ADD as far as anything is left: the container interface (when the namespace is still
 * there), then the IPAM reservation; beside them the spoof check and the masquerade rules (found
 * by name, so also after the namespace or the interface is gone). Every part runs even if another
 * fails; the first failure is reported.
 */
async function cmdDel(req: Request): Promise<void> {
  const conf = parseBridgeConf(req);
  // The rule teardowns start first: their helper processes run while this thread is in the
  // netlink calls that delete the link.
  const rules: Array<Promise<unknown>> = [];
  if (conf.isLayer3 && conf.ipMasq) {
    rules.push(teardownMasquerade(masqOwner(req, conf)).catch((e: unknown) => Promise.reject(stepFailed('remove masquerade rules', e))));
  }
  if (conf.macSpoofCheck) {
    // As in the reference, a spoof check that cannot be removed is reported but does not fail DEL.
    rules.push(
      teardownSpoofCheck(spoofCheckId(req.containerId, req.ifName)).catch((e: unknown) =>
        process.stderr.write(`bridge: ${(e as Error).message}\n`),
      ),
    );
  }
  // The address is released only once the link is gone (or its namespace is), as the reference
  // does since it moved IPAM DEL last: a link that could not be deleted keeps its address, and
  // the failed DEL is retried, instead of the next pod getting an address still in use.
  const linkGone =
    req.netns === ''
      ? Promise.resolve()
      : deleteContainerLink(req.netns, req.ifName).catch((e: unknown) =>
          Promise.reject(stepFailed(`delete ${req.ifName} in ${req.netns}`, e)),
        );
  const released = conf.isLayer3 ? linkGone.then(() => delegate('DEL', conf.net.ipamType, req)) : linkGone;
  const parts: Array<Promise<unknown>> = [released];
  // After the release, never beside it: the bridge lock is waited for in the kernel (the whole
  // process blocks), which must not happen while host-local's lock is held (ADD takes the bridge
  // lock, then host-local's) or before the address is free.
  if (conf.removeBridgeWhenUnused) {
    const settled: Promise<unknown> = released.then(
      () => undefined,
      () => undefined,
    );
    parts.push(linkGone.then(() => settled).then(() => removeBridgeIfUnused(Netns.current(), conf)));
  }
  parts.push(...rules);
  await allOrFirstError(parts).catch((e: unknown) => {
    throw stepFailed(`delete ${req.ifName}`, e);
  });
}

async function cmdCheck(req: Request): Promise<void> {
  const conf = parseBridgeConf(req);
  // The reference also asks IPAM in L2 mode, which then always fails ("no plugin name provided").
  if (conf.isLayer3) await delegate('CHECK', conf.net.ipamType, req);
  const prev = conf.net.prevResult;
  if (!prev) throw new CniError(ErrCode.InvalidNetworkConfig, 'bridge: required prevResult missing');
  const host = Netns.current();
  const ctr = Netns.at(req.netns);
  const interfaces = prev.interfaces ?? [];
  const brIntf = interfaces.find((i) => i.name === conf.bridge);
  const ctrIntf = interfaces.find((i) => i.name === req.ifName && i.sandbox === req.netns);
  try {
    const bridgeLink = await checkBridge(host, conf, brIntf);
    if (!ctrIntf) throw new Error(`Sandbox in prevResult doesn't match configured netns: ${req.netns}`);
    const snap = await ctr.inspect(req.ifName);
    const ctrLink = checkContainerLink(ctrIntf, snap.link);
    await checkHostVeth(host, prev, bridgeLink, ctrLink, [conf.bridge, req.ifName]);
    checkAddressesAndRoutes(req.ifName, prev, snap);
    if (conf.isLayer3 && conf.ipMasq) {
      const missing = await missingMasquerade(conf.ipMasqBackend, masqOwner(req, conf), masqAddresses(prev));
      if (missing.length > 0) throw new Error(`masquerade rules missing: ${missing.join('; ')}`);
    }
  } catch (e) {
    throw e instanceof CniError ? e : new CniError(ErrCode.Internal, (e as Error).message);
  }
}

async function cmdStatus(req: Request): Promise<void> {
  const conf = parseBridgeConf(req);
  if (conf.isLayer3) await delegate('STATUS', conf.net.ipamType, req);
}

/**
 * GC: the IPAM plugin's, then this network's masquerade rules of attachments no longer live and
 * found stale at least gcGracePeriod ago (gc-marks.ts).
 */
async function cmdGc(req: Request): Promise<void> {
  const conf = parseBridgeConf(req);
  if (!conf.isLayer3) return;
  const live = parseGcAttachments(req.conf, 'bridge');
  await delegate('GC', conf.net.ipamType, req);
  if (!live) return;
  await withStaleMarks(conf.net.name, conf.gcGracePeriod, (ripe) => gcMasquerade(conf.net.name, live, ripe)).catch((e: unknown) => {
    throw stepFailed('remove stale masquerade rules', e);
  });
}

export const bridge: Plugin = {
  name: 'bridge',
  supportedVersions: ALL_VERSIONS,
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  status: cmdStatus,
  gc: cmdGc,
};
