import { LOCK_EX, LOCK_NB } from './constants';
import { EAGAIN, SyscallError } from './errors';
import { libc, O_CLOEXEC, O_CREAT, O_NOFOLLOW, O_RDONLY } from './libc';

// flock(2) on a file, in-process (Bun only): the lock host-local and the Go plugin both take on
// `<dataDir>/<network>/lock`, so the two implementations exclude each other. The lock belongs
// to the open file description, held until `release` closes the fd (or the process exits).

/** The lock could not be taken; the message says why (the caller adds whose lock it is). */
export class LockError extends Error {
  override readonly name = 'LockError';
}

export interface HeldLock {
  readonly fd: number;
  release(): void;
}

// As the iproute2-era driver (lib/net/file-lock.ts): created if missing, never through a
// symlink, mode 0600.
function openLockFile(file: string): number {
  try {
    return libc.open(file, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600);
  } catch (e) {
    throw e instanceof SyscallError ? new LockError(`cannot open ${file}: ${e.message.replace(/^open \S+: /, '')}`) : e;
  }
}

function held(fd: number): HeldLock {
  let open = true;
  return {
    fd,
    release() {
      if (open) libc.close(fd);
      open = false;
    },
  };
}

function attempt(fd: number, file: string, wait: boolean): boolean {
  try {
    libc.flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB));
    return true;
  } catch (e) {
    if (e instanceof SyscallError && e.errno === EAGAIN && !wait) return false;
    throw e instanceof SyscallError ? new LockError(`cannot lock ${file}: ${e.message.replace(/^flock: /, '')}`) : e;
  }
}

/** LOCK_EX, blocking this thread until the lock is free (a one-shot plugin process may). */
export function lockFileSync(file: string): HeldLock {
  const fd = openLockFile(file);
  try {
    attempt(fd, file, true);
  } catch (e) {
    libc.close(fd);
    throw e;
  }
  return held(fd);
}

/** LOCK_EX|LOCK_NB: the lock, or undefined when another holder has it. */
export function tryLockFile(file: string): HeldLock | undefined {
  const fd = openLockFile(file);
  let ok = false;
  try {
    ok = attempt(fd, file, false);
  } finally {
    if (!ok) libc.close(fd);
  }
  return ok ? held(fd) : undefined;
}

/**
 * LOCK_EX without blocking the event loop: tries LOCK_NB, sleeping between tries (1 ms doubling
 * to `maxPollMs`), so two waiters in one process (in-process IPAM delegation, tests) cannot
 * deadlock. A blocked Go plugin is woken by the kernel first; under contention this waiter may
 * be served after waiters that block in the kernel.
 */
export async function lockFile(file: string, opts: { maxPollMs?: number } = {}): Promise<HeldLock> {
  const fd = openLockFile(file);
  const max = opts.maxPollMs ?? 20;
  try {
    for (let delay = 1; !attempt(fd, file, false); delay = Math.min(delay * 2, max)) {
      await new Promise((r) => setTimeout(r, delay));
    }
  } catch (e) {
    libc.close(fd);
    throw e;
  }
  return held(fd);
}
