import { delegate, delegatesInProcess } from '../../lib/cni/invoke';
import { ipamAdd } from '../../lib/cni/ipam';
import { parseNetConf } from '../../lib/cni/netconf';
import type { Plugin, Request } from '../../lib/cni/plugin';
import type { IpConfig, Result } from '../../lib/cni/result';
import { allOrFirstError, Rollback } from '../../lib/cni/rollback';
import { ALL_VERSIONS, CURRENT_VERSION } from '../../lib/cni/version';
import { deleteContainerLink, readMac } from '../../lib/kit/container-link';
import { configureIface } from '../../lib/kit/configure-iface';
import { resultHasInterfaceMtu } from '../../lib/kit/interface-mtu';
import { withKernelErrors } from '../../lib/kit/errors';
import { masterReady, resolveMaster, type Master } from '../../lib/kit/master';
import { ContainerLink, temporaryName } from '../../lib/kit/temporary-link';
import { currentNs, isNetError, nsAt, type Batch, type Netns } from '../../lib/net';
import { randomMac } from '../../lib/net/mac-address';
import { parseMacvlanConf, type MacvlanConf } from './config';
import { validateMacvlanAttachment } from './check';

/**
 * The macvlan is created on its master directly in the container namespace, but under a
 * temporary name (see temporaryName): kernels before 6.x (6.1 verified) check a new link's name against the
 * namespace it is created from, so the final name (often eth0, which the host has too) would
 * clash there. It gets its final name inside the container (see ContainerLink).
 */
async function createMacvlan(conf: MacvlanConf, master: Master, container: Netns, tmpName: string, mac: string | undefined): Promise<void> {
  await master.ns
    .batch()
    .createMacvlan(tmpName, {
      master: master.name,
      mode: conf.mode,
      ...(master.ns === container ? {} : { netns: container }),
      ...(conf.mtu ? { mtu: conf.mtu } : {}),
      ...(mac ? { mac } : {}),
      ...(conf.bcQueueLen ? { bcQueueLen: conf.bcQueueLen } : {}),
    })
    .run();
}

/** Creates the link under its temporary name, replacing the remains of a killed ADD. */
async function createLink(
  conf: MacvlanConf,
  master: Master,
  container: Netns,
  link: ContainerLink,
  mac: string | undefined,
  rollback: Rollback,
): Promise<void> {
  try {
    await createMacvlan(conf, master, container, link.name, mac);
  } catch (e) {
    // A link under this attachment's temporary name is the remains of an ADD that was
    // killed before its rename: ours to replace.
    if (!isNetError(e, 'exists') || !(await container.deleteLink(link.name)).deleted) throw e;
    await createMacvlan(conf, master, container, link.name, mac);
  }
  rollback.push(`delete the new macvlan`, () => link.delete());
}

/** L3: gratuitous ARP / unsolicited NA on address changes, then the result's addresses and routes. */
function configureL3(batch: Batch, ifName: string, result: Result): Batch {
  batch.sysctl(`net/ipv4/conf/${ifName}/arp_notify`, 1, { ignoreErrors: true });
  batch.sysctl(`net/ipv6/conf/${ifName}/ndisc_notify`, 1, { ignoreErrors: true });
  return configureIface(batch, ifName, result);
}

/**
 * The link and its addresses. With cni-ts's own host-local in-process, the reservation is made
 * beside the link's creation and applied with the rename, in one batch (host-local never looks
 * at the interface). Any other IPAM plugin runs where the reference runs it: once the link has
 * its final name and is up (the dhcp daemon runs its client on it).
 */
async function attach(
  req: Request,
  conf: MacvlanConf,
  container: Netns,
  link: ContainerLink,
  create: () => Promise<void>,
  result: Result,
  rollback: Rollback,
): Promise<void> {
  const applyIpam = (ipam: Result & { ips: IpConfig[] }): void => {
    result.ips = ipam.ips.map((ip) => ({ ...ip, interface: 0 }));
    if (ipam.routes) result.routes = ipam.routes;
  };
  if (conf.isLayer3 && delegatesInProcess(conf.net.ipamType, req)) {
    const [, ipam] = await allOrFirstError([create(), ipamAdd(conf.net.ipamType, req, rollback)] as const);
    applyIpam(ipam);
    await link.renameAnd((batch) => configureL3(batch, req.ifName, result));
    return;
  }
  await create();
  await link.renameAnd((batch) => batch.setUp(req.ifName));
  if (!conf.isLayer3) return;
  applyIpam(await ipamAdd(conf.net.ipamType, req, rollback));
  await configureL3(container.batch(), req.ifName, result).run();
}

async function cmdAdd(req: Request): Promise<Result> {
  const conf = parseMacvlanConf(req);
  const container = nsAt(req.netns);
  const master = await resolveMaster(conf, currentNs(), container);
  return Rollback.guard(async (rollback) => {
    const link = new ContainerLink(container, req.containerId, req.ifName);
    // The MAC is chosen here (random, locally administered, as the kernel would) so that it
    // need not be read back; passthru takes its master's, which only the kernel knows.
    const mac = conf.mac ?? (conf.mode === 'passthru' ? undefined : randomMac());
    const result: Result = { cniVersion: CURRENT_VERSION, interfaces: [{ name: req.ifName, sandbox: req.netns }] };
    await attach(req, conf, container, link, () => createLink(conf, master, container, link, mac, rollback), result, rollback);

    const finalMac = mac ?? (await readMac(container, req.ifName));
    if (finalMac) result.interfaces![0].mac = finalMac;
    // A macvlan without an mtu option takes its master's when created.
    if (resultHasInterfaceMtu(conf.net.cniVersion)) result.interfaces![0].mtu = conf.mtu || master.mtu;
    if (conf.net.dns) result.dns = conf.net.dns;
    return result;
  });
}

async function cmdDel(req: Request): Promise<void> {
  // Only what cleanup needs is read: a DEL must not fail on options that no longer resolve.
  const net = parseNetConf(req, 'macvlan');
  // IPAM release and link removal are independent: side by side, both always attempted.
  const parts: Array<Promise<unknown>> = [];
  if (net.ipamType !== '') parts.push(delegate('DEL', net.ipamType, req));
  if (req.netns !== '') parts.push(removeLink(req));
  await allOrFirstError(parts);
}

async function removeLink(req: Request): Promise<void> {
  const removed = await deleteContainerLink(req.netns, req.ifName);
  // No final link: an ADD may have been killed before it renamed its temporary one.
  if (removed === 'absent') await deleteContainerLink(req.netns, temporaryName(req.containerId, req.ifName));
}

async function cmdCheck(req: Request): Promise<void> {
  const conf = parseMacvlanConf(req);
  const container = nsAt(req.netns);
  await resolveMaster(conf, currentNs(), container);
  if (conf.isLayer3) await delegate('CHECK', conf.net.ipamType, req);
  await validateMacvlanAttachment(conf, req, container);
}

async function cmdStatus(req: Request): Promise<void> {
  const conf = parseMacvlanConf(req);
  await masterReady(conf);
  if (conf.isLayer3) await delegate('STATUS', conf.net.ipamType, req);
}

async function cmdGC(req: Request): Promise<void> {
  const net = parseNetConf(req, 'macvlan');
  if (net.ipamType !== '') await delegate('GC', net.ipamType, req);
}

export const macvlan: Plugin = {
  name: 'macvlan',
  supportedVersions: ALL_VERSIONS,
  add: withKernelErrors('macvlan', cmdAdd),
  del: withKernelErrors('macvlan', cmdDel),
  check: withKernelErrors('macvlan', cmdCheck),
  status: withKernelErrors('macvlan', cmdStatus),
  gc: withKernelErrors('macvlan', cmdGC),
};
