import fs from 'node:fs';
import path from 'node:path';
import { lockFile, type HeldLock } from '../../lib/net/file-lock';
import type { Netns } from '../../lib/net';
import type { BridgeConf } from './config';

// removeBridgeWhenUnused (plugins#282): the bridge goes with its last port, if cni-ts created
// it. The upstream attempt (PR #283) was turned down for its race: a DEL sees no port and
// deletes the bridge while a concurrent ADD has just found it and is about to enslave its veth.
// Here both sides take one lock per (network namespace, bridge): ADD from its look at the bridge
// until its veth is enslaved, DEL around "no port left? then delete". A bridge cni-ts created
// with the option carries the alias BRIDGE_ALIAS: a bridge made by anyone else is never deleted.

export const BRIDGE_ALIAS = 'cni-ts-removable';
const RUN_DIR = '/run/cni-ts';

/**
 * `/run/cni-ts/<kind>-<netns inode>-<name>`: state of the network namespace this process is in,
 * which, like the namespace's links and rules, does not outlive a reboot.
 */
export function netnsStatePath(kind: string, name: string): string {
  const netnsIno = fs.statSync('/proc/self/ns/net').ino;
  fs.mkdirSync(RUN_DIR, { recursive: true, mode: 0o700 });
  return path.join(RUN_DIR, `${kind}-${netnsIno}-${name}`);
}

/** The lock of `bridge` in the namespace this process is in (bridges of other namespaces are others). */
export async function lockBridge(bridge: string): Promise<HeldLock> {
  return lockFile(`${netnsStatePath('bridge', bridge)}.lock`);
}

/** Under the bridge lock: deletes the bridge when cni-ts created it and no link is enslaved to it any more. */
export async function removeBridgeIfUnused(host: Netns, conf: Pick<BridgeConf, 'bridge'>): Promise<boolean> {
  const lock = await lockBridge(conf.bridge);
  try {
    const links = await host.links();
    const bridge = links.find((l) => l.name === conf.bridge);
    if (!bridge || bridge.kind !== 'bridge' || bridge.alias !== BRIDGE_ALIAS) return false;
    // Any port counts, the VLAN gateway's veth peer too: such a bridge stays.
    if (links.some((l) => l.master === conf.bridge)) return false;
    return (await host.deleteLink(conf.bridge)).deleted;
  } finally {
    lock.release();
  }
}
