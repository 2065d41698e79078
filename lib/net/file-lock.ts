import fs from 'node:fs';
import path from 'node:path';
import { lockFileSync, LockError } from '../netlink';
import { childProcess, HELPER_ENV } from './exec';
import { SYSTEM_DIRS } from './tools';

let flockPath: string | null | undefined;

/** util-linux flock(1), or null when the machine has none. */
export function findFlock(): string | null {
  if (flockPath === undefined) {
    flockPath = null;
    for (const dir of SYSTEM_DIRS) {
      const candidate = path.join(dir, 'flock');
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        flockPath = candidate;
        break;
      } catch {
        // not here
      }
    }
  }
  return flockPath;
}

/** The lock could not be taken; the message says why (the caller adds whose lock it is). */
export class FileLockError extends Error {}

export interface HeldLock {
  release(): void;
}

/**
 * Takes flock(LOCK_EX) on `file`, the lock the Go plugin takes on the same file, so both
 * implementations exclude each other. The product (Bun) calls flock(2) in-process (lib/netlink,
 * same open flags) and blocks in the kernel as the Go plugin does, so waiters are woken in the
 * kernel's order; a plugin is one call per process and never takes one file's lock twice.
 * Node, which runs the unit tests and test helpers, has no flock(2): there util-linux flock(1)
 * does the call on a descriptor it inherits. A flock belongs to the open file description, which
 * this process keeps open after the helper exits, so the lock stays held until `release` closes
 * our descriptor; spawning asynchronously keeps the event loop free, so two waiters in one test
 * process cannot deadlock each other.
 */
export async function lockFile(file: string): Promise<HeldLock> {
  if (process.versions.bun !== undefined) {
    try {
      return lockFileSync(file);
    } catch (e) {
      // A file that cannot be opened is an I/O error to the caller, as with fs.openSync below.
      if (e instanceof LockError && !e.message.startsWith('cannot open ')) throw new FileLockError(e.message);
      throw e;
    }
  }
  const flock = findFlock();
  if (!flock) {
    throw new FileLockError(`flock(1) not found in ${SYSTEM_DIRS.join(', ')}; install util-linux`);
  }
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
  try {
    await runFlock(flock, fd, file);
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
  let held = true;
  return {
    release() {
      if (held) fs.closeSync(fd);
      held = false;
    },
  };
}

function runFlock(flock: string, fd: number, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = childProcess().spawn(flock, ['--exclusive', '3'], { stdio: ['ignore', 'ignore', 'pipe', fd], env: { ...HELPER_ENV } });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', (e) => reject(new FileLockError(`cannot run ${flock} to lock ${file}: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new FileLockError(`cannot lock ${file}: ${stderr.trim() || `flock exited with ${code ?? signal}`}`));
    });
  });
}
