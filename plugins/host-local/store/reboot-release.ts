import { bootTimeMs, currentBootId } from './boot-id';
import type { DiskStore } from './disk-store';

/**
 * `releaseOnReboot`: false (default, as the Go plugin), true (reservations cni-ts recorded in an
 * earlier boot), or "all" (also those without a recorded boot — the Go plugin's, or cni-ts's
 * from before the index knew boot ids — whose file was written before this boot started).
 */
export type ReleaseOnReboot = false | true | 'all';

/**
 * Run by ADD under the network's lock, before allocating. Cheap when nothing rebooted: the index
 * tells the boot of the last release, and only a different one (or none yet) costs a scan of the
 * reservations. Returns the released addresses.
 */
export function releaseEarlierBoots(store: DiskStore, mode: ReleaseOnReboot): string[] {
  const boot = currentBootId();
  if (mode === false || boot === undefined || store.lastReleaseBoot() === boot) return [];
  const started = mode === 'all' ? bootTimeMs() : undefined;
  const released: string[] = [];
  for (const r of store.reservations()) {
    const recorded = store.bootOf(r.ip);
    const earlier =
      recorded !== undefined ? recorded !== boot : started !== undefined && (store.writtenAt(r.ip) ?? Number.POSITIVE_INFINITY) < started;
    if (!earlier) continue;
    store.release(r.ip);
    released.push(r.ip.toString());
  }
  store.recordReleaseBoot(boot);
  return released;
}
