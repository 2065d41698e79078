import type { ConfigReader } from '../cni/config';

// The spec only asks a runtime not to run GC beside its own ADDs and DELs. Its list of valid
// attachments is still a snapshot taken before the GC: an ADD it started just before (or one of a
// runtime that breaks the rule), and every attachment of another runtime sharing the network, are
// missing from it. The Go plugins do nothing on GC, so what cni-ts removes there must be safe:
// nothing younger than the grace period goes, whatever the list says.

/** Seconds, the default of `gcGracePeriod`. */
export const GC_GRACE_PERIOD_DEFAULT = 60;

/** `gcGracePeriod` (whole seconds, 0 and up) of a config section, in milliseconds. */
export function parseGcGracePeriod(reader: ConfigReader): number {
  return reader.int('gcGracePeriod', GC_GRACE_PERIOD_DEFAULT, { min: 0 }) * 1000;
}

/**
 * True when something that exists since `since` (ms since the epoch) is at least `graceMs` old.
 * Unknown times and times in the future (a clock set back) count as young.
 */
export function olderThanGrace(since: number | undefined, graceMs: number, now = Date.now()): boolean {
  return since !== undefined && since <= now && now - since >= graceMs;
}
