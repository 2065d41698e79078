import { delegate } from '../../lib/cni/invoke';
import { ipamAdd } from '../../lib/cni/ipam';
import type { Plugin, Request } from '../../lib/cni/plugin';
import type { Result } from '../../lib/cni/result';
import { Rollback } from '../../lib/cni/rollback';
import { ALL_VERSIONS } from '../../lib/cni/version';
import { deleteContainerLink } from '../../lib/kit/container-link';
import { configureIface } from '../../lib/kit/configure-iface';
import { withKernelErrors } from '../../lib/kit/errors';
import { resultHasInterfaceMtu } from '../../lib/kit/interface-mtu';
import { nsAt, type Netns } from '../../lib/net';
import { validateDummyAttachment } from './check';
import { parseDummyConf } from './config';

/** The dummy link is created inside the container namespace, so a host link of that name never clashes. */
async function createDummy(container: Netns, ifName: string): Promise<void> {
  await container.batch().createDummy(ifName).run();
}

async function cmdAdd(req: Request): Promise<Result> {
  const conf = parseDummyConf(req, { requireIpam: true });
  const container = nsAt(req.netns);
  return Rollback.guard(async (rollback) => {
    await createDummy(container, req.ifName);
    rollback.push(`delete ${req.ifName}`, () => container.deleteLink(req.ifName));

    const result = await ipamAdd(conf.ipamType, req, rollback);
    result.interfaces = [{ name: req.ifName, sandbox: req.netns }];
    result.ips = result.ips.map((ip) => ({ ...ip, interface: 0 }));
    await configureIface(container.batch(), req.ifName, result).run();

    const link = await container.link(req.ifName);
    if (link?.mac) result.interfaces[0].mac = link.mac;
    if (link && resultHasInterfaceMtu(conf.net.cniVersion)) result.interfaces[0].mtu = link.mtu;
    return result;
  });
}

async function cmdDel(req: Request): Promise<void> {
  const conf = parseDummyConf(req, { requireIpam: false });
  if (conf.ipamType !== '') await delegate('DEL', conf.ipamType, req);
  if (req.netns === '') return;
  await deleteContainerLink(req.netns, req.ifName);
}

async function cmdCheck(req: Request): Promise<void> {
  const conf = parseDummyConf(req, { requireIpam: true });
  const container = nsAt(req.netns);
  await delegate('CHECK', conf.ipamType, req);
  await validateDummyAttachment(conf, req, container);
}

async function cmdStatus(req: Request): Promise<void> {
  const conf = parseDummyConf(req, { requireIpam: true });
  await delegate('STATUS', conf.ipamType, req);
}

async function cmdGC(req: Request): Promise<void> {
  const conf = parseDummyConf(req, { requireIpam: false });
  if (conf.ipamType !== '') await delegate('GC', conf.ipamType, req);
}

export const dummy: Plugin = {
  name: 'dummy',
  supportedVersions: ALL_VERSIONS,
  add: withKernelErrors('dummy', cmdAdd),
  del: withKernelErrors('dummy', cmdDel),
  check: withKernelErrors('dummy', cmdCheck),
  status: withKernelErrors('dummy', cmdStatus),
  gc: withKernelErrors('dummy', cmdGC),
};
