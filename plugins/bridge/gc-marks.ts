import fs from 'node:fs';
import { olderThanGrace } from '../../lib/kit/gc-grace';
import { randomBytes } from '../../lib/net/digest';
import { lockFile } from '../../lib/net/file-lock';
import type { RipeForGc } from '../../lib/netfilter/masquerade';
import { netnsStatePath } from './remove-unused';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

// Masquerade rules carry no time, and the Go plugin's must be collected too, so their age is
// counted from the first GC that found them stale: GC records that time per attachment
// (`/run/cni-ts/masq-gc-<netns inode>-<network>.json`, { key: ms since the epoch }) and removes
// the rules only when a later GC, at least the grace period after, still finds them stale. So a
// rule goes only once it has existed, and been missing from every valid list, for the grace
// period. Marks of rules no longer stale (live again, or removed by DEL) are dropped. /run, like
// the rules, does not outlive a reboot.

function readMarks(file: string): Map<string, number> {
  const marks = new Map<string, number>();
  try {
    const fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    let text: string;
    try {
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      for (const [key, at] of Object.entries(parsed)) if (typeof at === 'number') marks.set(key, at);
    }
  } catch {
    // Missing or unreadable: every stale rule counts as just found, which only delays its removal.
  }
  return marks;
}

function writeMarks(file: string, marks: ReadonlyMap<string, number>): void {
  if (marks.size === 0) {
    fs.rmSync(file, { force: true });
    return;
  }
  const tmp = `${file}.${randomBytes(8).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(Object.fromEntries(marks)));
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Runs a masquerade GC of `network` with a RipeForGc that lets a stale attachment's rules go only
 * once they have been stale for `graceMs`, under a lock so that two GCs keep one record.
 */
export async function withStaleMarks(network: string, graceMs: number, gc: (ripe: RipeForGc) => Promise<void>): Promise<void> {
  if (graceMs === 0) return gc(() => true);
  const base = netnsStatePath('masq-gc', network);
  const lock = await lockFile(`${base}.lock`);
  try {
    const file = `${base}.json`;
    const before = readMarks(file);
    const now = Date.now();
    const seen = new Map<string, number>();
    const ripe = (key: string): boolean => {
      const first = seen.get(key) ?? before.get(key) ?? now;
      seen.set(key, first);
      return olderThanGrace(first, graceMs, now);
    };
    let removed = false;
    try {
      await gc(ripe);
      removed = true;
    } finally {
      writeMarks(file, new Map([...seen].filter(([, first]) => !(removed && olderThanGrace(first, graceMs, now)))));
    }
  } finally {
    lock.release();
  }
}
