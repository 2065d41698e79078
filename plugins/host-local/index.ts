import { CniError, ErrCode } from '../../lib/cni/errors';
import type { Plugin, Request } from '../../lib/cni/plugin';
import type { Result } from '../../lib/cni/result';
import { ALL_VERSIONS, CURRENT_VERSION } from '../../lib/cni/version';
import { formatIpPrefix } from '../../lib/ip';
import { olderThanGrace } from '../../lib/kit/gc-grace';
import { allocate } from './allocator/allocator';
import { parseConfig, type HostLocalConfig } from './config';
import { DiskStore } from './store/disk-store';
import { releaseEarlierBoots } from './store/reboot-release';
import { parseValidAttachments, isValid } from './gc';
import { readResolvConf } from './resolv-conf';
import { checkReady } from './status';
import type { AttachmentKey } from './store/store';

function attachment(req: Request): AttachmentKey {
  return { containerId: req.containerId, ifName: req.ifName };
}

/**
 * Runs `fn` on the network's store under its lock, and makes what it changed durable before the
 * answer; undefined when the state dir is missing and `create` is off.
 */
async function withStore<T>(conf: HostLocalConfig, create: boolean, fn: (store: DiskStore) => T): Promise<T | undefined> {
  const store = await DiskStore.open(conf.dataDir, conf.name, create, conf.rangeSets.length);
  if (!store) return undefined;
  try {
    const result = fn(store);
    store.sync();
    return result;
  } finally {
    store.close();
  }
}

async function cmdAdd(req: Request): Promise<Result> {
  const conf = parseConfig(req);
  const dns = conf.resolvConf ? readResolvConf(conf.resolvConf) : undefined;
  const allocations =
    (await withStore(conf, true, (store) => {
      releaseEarlierBoots(store, conf.releaseOnReboot);
      return allocate(store, conf.rangeSets, attachment(req), conf.requestedIps);
    })) ?? [];
  const result: Result = {
    cniVersion: CURRENT_VERSION,
    ips: allocations.map((a) => ({ address: formatIpPrefix(a.ip, a.range.subnet.prefix), gateway: a.range.gateway.toString() })),
  };
  if (conf.routes.length > 0) result.routes = conf.routes;
  if (dns) result.dns = dns;
  return result;
}

async function cmdDel(req: Request): Promise<void> {
  const conf = parseConfig(req);
  await withStore(conf, false, (store) => store.releaseByAttachment(attachment(req)));
}

async function cmdCheck(req: Request): Promise<void> {
  const conf = parseConfig(req);
  const found = await withStore(conf, false, (store) => store.findByAttachment(attachment(req)).length > 0);
  if (!found) throw new CniError(ErrCode.Internal, `host-local: Failed to find address added by container ${req.containerId}`);
}

/**
 * Under the lock ADD takes: releases the reservations of attachments not in the valid list, except
 * those written less than gcGracePeriod ago (an ADD the runtime's list predates, or another
 * runtime's attachment: see lib/kit/gc-grace.ts).
 */
async function cmdGC(req: Request): Promise<void> {
  const conf = parseConfig(req);
  const valid = parseValidAttachments(req.conf);
  if (!valid) return;
  await withStore(conf, false, (store) => {
    const now = Date.now();
    for (const r of store.reservations()) {
      if (!isValid(valid, r) && olderThanGrace(store.writtenAt(r.ip), conf.gcGracePeriod, now)) store.release(r.ip);
    }
  });
}

async function cmdStatus(req: Request): Promise<void> {
  checkReady(parseConfig(req));
}

export const hostLocal: Plugin = {
  name: 'host-local',
  supportedVersions: ALL_VERSIONS,
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  status: cmdStatus,
  gc: cmdGC,
};
