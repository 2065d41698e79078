import fs from 'node:fs';

// Which boot of the machine a reservation was made in. The kernel draws a random UUID at every
// boot (/proc/sys/kernel/random/boot_id); cni-ts records it with each reservation it makes, in
// its own index (attachment-index.ts), never in the reservation files the Go plugin shares.

const BOOT_ID = '/proc/sys/kernel/random/boot_id';
const STAT = '/proc/stat';

let cached: string | null | undefined;

/** This boot's id; undefined when /proc cannot tell (then nothing is recorded or released). */
export function currentBootId(): string | undefined {
  if (cached === undefined) {
    try {
      cached = fs.readFileSync(BOOT_ID, 'utf8').trim() || null;
    } catch {
      cached = null;
    }
  }
  return cached ?? undefined;
}

/** When this boot started (ms since the epoch, `btime` of /proc/stat); undefined if unknown. */
export function bootTimeMs(): number | undefined {
  try {
    const m = /^btime (\d+)$/m.exec(fs.readFileSync(STAT, 'utf8'));
    return m ? Number(m[1]) * 1000 : undefined;
  } catch {
    return undefined;
  }
}
