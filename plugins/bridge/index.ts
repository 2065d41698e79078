import { CniError, ErrCode } from '../../lib/cni/errors';
import { parseGcAttachments } from '../../lib/cni/gc-attachments';
import { delegate } from '../../lib/cni/invoke';
import { ipamAdd } from '../../lib/cni/ipam';
import type { Plugin, Request } from '../../lib/cni/plugin';
import { formatResult, type Result } from '../../lib/cni/result';
import { allOrFirstError, Rollback } from '../../lib/cni/rollback';
import { ALL_VERSIONS, CURRENT_VERSION } from '../../lib/cni/version';
import { deleteContainerLink } from '../../lib/kit/container-link';
import { Netns } from '../../lib/net';
import { gcMasquerade, missingMasquerade, setupMasquerade, teardownMasquerade, type MasqOwner } from '../../lib/netfilter/masquerade';
import { setupSpoofCheck, spoofCheckId, teardownSpoofCheck } from '../../lib/netfilter/spoofcheck';
import { checkAddressesAndRoutes, checkBridge, checkContainerLink, checkHostVeth } from './check';
import { parseBridgeConf, type BridgeConf } from './config';
import { bringUpContainer, configureContainer } from './container-side';
import { stepFailed } from '../../lib/kit/errors';
import { ensureVlanGateways, planGatewaySteps } from './gateway-device';
import { applyGateways, masqAddresses, type GatewayAddress } from './gateways';
import { inspectBridge, setupHostSide, type HostSide } from './host-side';

function masqOwner(req: Request, conf: BridgeConf): MasqOwner {
  return { network: conf.net.name, containerId: req.containerId, ifName: req.ifName };
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

async function cmdAdd(req: Request): Promise<Result> {
  const conf = parseBridgeConf(req);
  const host = Netns.current();
  const ctr = Netns.at(req.netns);
  return Rollback.guard(async (rollback) => {
    // The bridge lookup and IPAM are independent: side by side. IPAM comes before any link (the
    // reference asks it after the veth exists): its addresses decide the gateway steps, which
    // then join the host batch, and an IPAM failure leaves the host untouched.
    const result: Result = { cniVersion: CURRENT_VERSION, interfaces: [] };
    const [bridge] = await allOrFirstError([
      inspectBridge(host, conf),
      conf.isLayer3 ? runIpam(req, conf, result, rollback) : undefined,
    ] as const);
    const gateways: GatewayAddress[] = conf.isLayer3 ? applyGateways(result, conf) : [];
    const onBridge =
      conf.isGateway && conf.vlan === 0 && gateways.length > 0
        ? planGatewaySteps(conf, conf.bridge, bridge.addresses, gateways)
        : undefined;

    // Masquerading needs only the addresses: it is set up while the links are.
    let masquerade: Promise<void> | undefined;
    if (conf.isLayer3 && conf.ipMasq) {
      rollback.push('remove masquerade rules', () => teardownMasquerade(masqOwner(req, conf)));
      masquerade = setupMasquerade(conf.ipMasqBackend, masqOwner(req, conf), masqAddresses(result)).then(
        () => undefined,
        (e: unknown) => {
          throw stepFailed('set up masquerading', e);
        },
      );
    }

    const links = async (): Promise<void> => {
      const side: HostSide = await setupHostSide(
        host,
        ctr,
        conf,
        req.ifName,
        bridge,
        (hostVeth) => rollback.push(`delete veth ${hostVeth}`, () => host.batch().deleteLink(hostVeth).run()),
        onBridge,
      );
      result.interfaces = [side.bridge, side.hostVeth, side.container];

      if (conf.macSpoofCheck) {
        const id = spoofCheckId(req.containerId, req.ifName);
        await setupSpoofCheck(side.hostVeth.name, side.container.mac ?? '', id).catch((e: unknown) => {
          throw stepFailed('set up the MAC spoof check', e);
        });
        rollback.push('remove the MAC spoof check', () => teardownSpoofCheck(id));
      }

      if (conf.isLayer3) {
        await configureContainer(ctr, conf, req.ifName, result);
        if (conf.isGateway && conf.vlan !== 0) {
          const vlanIface = await ensureVlanGateways(host, conf, bridge, gateways);
          if (vlanIface) result.interfaces.push(vlanIface);
        }
      } else if (!conf.disableContainerInterface) {
        await bringUpContainer(ctr, req.ifName);
      }
      if (!conf.disableContainerInterface) await waitForPort(host, side.hostVeth.name);
    };
    await allOrFirstError([links(), masquerade] as const);

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
  // The address is released only once the link is gone (or its namespace is), as the reference
  // does since it moved IPAM DEL last: a link that could not be deleted keeps its address, and
  // the failed DEL is retried, instead of the next pod getting an address still in use.
  const linkGone =
    req.netns === ''
      ? Promise.resolve()
      : deleteContainerLink(req.netns, req.ifName).catch((e: unknown) =>
          Promise.reject(stepFailed(`delete ${req.ifName} in ${req.netns}`, e)),
        );
  const parts: Array<Promise<unknown>> = [conf.isLayer3 ? linkGone.then(() => delegate('DEL', conf.net.ipamType, req)) : linkGone];
  if (conf.isLayer3 && conf.ipMasq) {
    parts.push(teardownMasquerade(masqOwner(req, conf)).catch((e: unknown) => Promise.reject(stepFailed('remove masquerade rules', e))));
  }
  if (conf.macSpoofCheck) {
    // As in the reference, a spoof check that cannot be removed is reported but does not fail DEL.
    parts.push(
      teardownSpoofCheck(spoofCheckId(req.containerId, req.ifName)).catch((e: unknown) =>
        process.stderr.write(`bridge: ${(e as Error).message}\n`),
      ),
    );
  }
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

/** GC: the IPAM plugin's, then this network's masquerade rules of attachments no longer live. */
async function cmdGc(req: Request): Promise<void> {
  const conf = parseBridgeConf(req);
  if (!conf.isLayer3) return;
  const live = parseGcAttachments(req.conf, 'bridge');
  await delegate('GC', conf.net.ipamType, req);
  await gcMasquerade(conf.net.name, live).catch((e: unknown) => {
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
