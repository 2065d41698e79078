import fs from 'node:fs';
import path from 'node:path';
import { CniError, ErrCode } from '../../../lib/cni/errors';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY } = fs.constants;

/**
 * `<dataDir>/<network>`, refusing any name that would leave dataDir. The dispatcher already
 * validated the network name; this check keeps the state path safe on its own.
 */
export function networkDir(dataDir: string, network: string): string {
  const root = path.resolve(dataDir);
  const dir = path.resolve(root, network);
  if (network === '' || network.includes('/') || network.includes('\0') || path.dirname(dir) !== root || path.basename(dir) !== network) {
    throw new CniError(ErrCode.InvalidNetworkConfig, `host-local: network name "${network}" cannot name a directory inside ${root}`);
  }
  return dir;
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

function lstatOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch (e) {
    if (errno(e) !== 'ENOENT') throw ioError(`cannot inspect ${file}`, e);
    return undefined;
  }
}

/**
 * Refuses a directory whose owner is neither this user nor root, or that group or others may
 * write (sticky or not: in a sticky directory others still create names, say a network
 * directory or the index's). Whoever may write there can plant, hide or remove reservations, as
 * in a dataDir another local user pre-created under /tmp. `what` says which directory it is.
 */
function checkTrusted(dir: string, st: fs.Stats, what: string): void {
  const euid = process.geteuid?.() ?? 0;
  const refuse = (why: string, fix: string) =>
    new CniError(
      ErrCode.Internal,
      `host-local: ${what} ${dir} ${why}: refused, since whoever may write there controls the reservations; ${fix}`,
    );
  if (st.uid !== euid && st.uid !== 0) {
    throw refuse(`belongs to uid ${st.uid}, neither this user (uid ${euid}) nor root`, 'remove it or choose another dataDir');
  }
  // A symlink's own mode is always 0777 and means nothing.
  if (!st.isSymbolicLink() && (st.mode & 0o022) !== 0) {
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    const who = [st.mode & 0o020 ? 'its group' : '', st.mode & 0o002 ? 'others' : ''].filter(Boolean).join(' and ');
    throw refuse(`is writable by ${who} (mode ${mode})`, `run "chmod go-w ${dir}"`);
  }
}

/**
 * The dataDir as configured may be a symlink (to move the state elsewhere), but only one this user
 * or root made; what it leads to must pass the same checks.
 */
function checkDataDir(root: string): void {
  const link = lstatOrUndefined(root);
  if (!link) return;
  if (link.isSymbolicLink()) checkTrusted(root, link, 'dataDir (a symbolic link)');
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch (e) {
    throw ioError(`cannot inspect ${root}`, e);
  }
  checkTrusted(root, st, 'dataDir');
}

/**
 * Makes sure the state directory exists (with `create`), is a real directory, not a symlink
 * someone planted, and that it and the dataDir holding it are trusted (checkTrusted). Returns
 * false when it is missing and `create` is off.
 */
export function ensureStateDir(dir: string, create: boolean): boolean {
  const root = path.dirname(dir);
  let st = lstatOrUndefined(dir);
  if (!st) {
    if (!create) return false;
    // Nothing is created inside a dataDir that is refused.
    checkDataDir(root);
    try {
      makeDirs(dir);
    } catch (e) {
      throw ioError(`cannot create ${dir}`, e);
    }
    st = fs.lstatSync(dir);
  }
  if (!st.isDirectory()) {
    throw new CniError(
      ErrCode.Internal,
      `host-local: ${dir} is not a directory${st.isSymbolicLink() ? ' (a symbolic link, refused)' : ''}`,
    );
  }
  checkDataDir(root);
  checkTrusted(dir, st, 'network directory');
  return true;
}

/**
 * `mkdir -p`, one component at a time. Node's recursive mkdir is not used: it reports ENOENT for
 * any failure of the last component (a read-only file system included) and loops forever where
 * mkdir keeps answering ENOENT (under /proc). Each directory is made 0755 like the Go plugin's:
 * tools that count leases read the names; the files (which name containers) are 0600.
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (fs.existsSync(d)) break;
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      fs.mkdirSync(d, { mode: 0o755 });
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw e;
    }
    syncDir(path.dirname(d));
  }
}

/**
 * fsync(2) of a directory: makes the names created, renamed or removed in it durable (the files'
 * own contents are synced when written, see createExclusive). A symlink is followed: a dataDir
 * may be one (its owner was checked), and opening a directory read-only to sync it changes
 * nothing in it.
 */
export function syncDir(dir: string): void {
  const fd = fs.openSync(dir, O_RDONLY | O_DIRECTORY);
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function ioError(what: string, e: unknown): CniError {
  if (e instanceof CniError) return e;
  return new CniError(ErrCode.Internal, `host-local: ${what}: ${(e as Error).message}`);
}

const readBuf = Buffer.alloc(4096);

/**
 * A small file's text, or undefined when it is missing or not a regular file we may read.
 * Never follows a symlink; O_NONBLOCK keeps a planted FIFO from hanging the open.
 */
export function readStateFile(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const n = fs.readSync(fd, readBuf, 0, readBuf.length, null);
      if (n === 0) break;
      chunks.push(Buffer.from(readBuf.subarray(0, n)));
      total += n;
      if (total > 65536) return undefined;
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Creates `file` exclusively (never through a symlink) with `content`, mode 0600, and syncs the
 * content to disk before anything links or renames it into place: after a power loss a name is
 * then either missing or complete, never empty.
 */
export function createExclusive(file: string, content: string): void {
  const fd = fs.openSync(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw e;
  }
  fs.closeSync(fd);
}

/** Removes a name; true when it existed. Never follows a symlink (unlink does not). */
export function removeName(file: string): boolean {
  try {
    fs.unlinkSync(file);
    return true;
  } catch (e) {
    if (errno(e) === 'ENOENT') return false;
    throw e;
  }
}

/** Creates `tmp` afresh, dropping a leftover of a crashed run, and fills it. */
export function createTemp(tmp: string, content: string): void {
  try {
    createExclusive(tmp, content);
  } catch (e) {
    if (errno(e) !== 'EEXIST') throw e;
    removeName(tmp);
    createExclusive(tmp, content);
  }
}

/** Replaces `file` atomically: readers see the old or the new content, never a partial one. */
export function replaceFile(file: string, tmp: string, content: string): void {
  createTemp(tmp, content);
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    removeName(tmp);
    throw e;
  }
}
