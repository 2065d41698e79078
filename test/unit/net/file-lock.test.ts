import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findFlock, lockFile } from '../../../lib/net/file-lock';
import { flockWaiters, until } from '../../helpers/proc-locks';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-hl-lock-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Whether another process could take flock(LOCK_EX) on the file right now. */
function othersCanLock(file: string): boolean {
  return spawnSync(findFlock() as string, ['--nonblock', '--exclusive', file, 'true']).status === 0;
}

describe('host-local network lock', () => {
  it('finds util-linux flock(1)', () => {
    expect(findFlock()).toMatch(/\/flock$/);
  });

  it('holds flock(LOCK_EX) after the helper has exited, until released', async () => {
    const file = path.join(dir, 'lock');
    const held = await lockFile(file);
    expect(othersCanLock(file)).toBe(false);
    held.release();
    expect(othersCanLock(file)).toBe(true);
    held.release();
  });

  it('creates the lock file 0600', async () => {
    const file = path.join(dir, 'lock');
    (await lockFile(file)).release();
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('makes a second holder in the same process wait, without deadlock', async () => {
    const file = path.join(dir, 'lock');
    const first = await lockFile(file);
    let secondHeld = false;
    const second = lockFile(file).then((l) => {
      secondHeld = true;
      return l;
    });
    await until(() => flockWaiters(file) === 1, 'the second holder to wait');
    expect(secondHeld).toBe(false);
    first.release();
    (await second).release();
    expect(secondHeld).toBe(true);
  });
});
