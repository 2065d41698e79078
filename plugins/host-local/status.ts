import fs from 'node:fs';
import { CniError, ErrCode } from '../../lib/cni/errors';
import type { HostLocalConfig } from './config';
import { reservedIps } from './store/disk-store';
import { rangeFor, rangeSetText, setCapacity, type RangeSet } from './allocator/range-set';
import { ensureStateDir, networkDir } from './store/state-dir';

function notAvailable(msg: string): CniError {
  return new CniError(ErrCode.PluginNotAvailable, `host-local: ${msg}`);
}

function usableStateDir(conf: HostLocalConfig): string {
  const dir = networkDir(conf.dataDir, conf.name);
  try {
    ensureStateDir(dir, true);
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch (e) {
    throw notAvailable(`state directory ${dir} cannot be created or written: ${(e as Error).message}`);
  }
  return dir;
}

/** Reservations inside the set that count against its capacity (a range's own gateway never does). */
function usedIn(set: RangeSet, reserved: ReturnType<typeof reservedIps>): bigint {
  let used = 0n;
  for (const ip of reserved) {
    const r = rangeFor(set, ip);
    if (r && !ip.equals(r.gateway)) used++;
  }
  return used;
}

/**
 * STATUS: ready unless an ADD is bound to fail. An ADD needs one free address in every range
 * set, so one exhausted set already makes the plugin unavailable (code 50), as does a state
 * directory that cannot be written. Reading the names without the lock is enough for a snapshot
 * answer.
 */
export function checkReady(conf: HostLocalConfig): void {
  const dir = usableStateDir(conf);
  const reserved = reservedIps(dir);
  for (const set of conf.rangeSets) {
    if (usedIn(set, reserved) >= setCapacity(set)) {
      throw notAvailable(`no IP addresses available in range set ${set.index} (${rangeSetText(set)})`);
    }
  }
}
