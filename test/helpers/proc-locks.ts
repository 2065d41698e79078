import fs from 'node:fs';

/** The "major:minor:inode" id /proc/locks prints for a file. */
function lockId(file: string): string {
  const st = fs.statSync(file, { bigint: true });
  const major = ((st.dev >> 8n) & 0xfffn) | ((st.dev >> 32n) & ~0xfffn);
  const minor = (st.dev & 0xffn) | ((st.dev >> 12n) & ~0xffn);
  const hex = (n: bigint) => n.toString(16).padStart(2, '0');
  return `${hex(major)}:${hex(minor)}:${st.ino}`;
}

/**
 * How many processes are blocked in flock(2) on `file`, from /proc/locks ("->" lines). Lets a
 * test see that a process is waiting for a lock without sleeping and guessing.
 */
export function flockWaiters(file: string): number {
  const id = lockId(file);
  return fs
    .readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .filter((l) => l.includes('->') && l.includes(' FLOCK ') && l.split(/\s+/).includes(id)).length;
}

/** Polls until `cond` holds; the jest timeout bounds the wait, nothing asserts a duration. */
export async function until(cond: () => boolean, what: string, stepMs = 10): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i > 3000) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
