import fs from 'node:fs';
import path from 'node:path';
import { CniError, ErrCode } from '../../../lib/cni/errors';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

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

/**
 * Makes sure the state directory exists (with `create`) and is a real directory, not a symlink
 * someone planted. Returns false when it is missing and `create` is off.
 */
export function ensureStateDir(dir: string, create: boolean): boolean {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (e) {
    if (errno(e) !== 'ENOENT') throw ioError(`cannot inspect ${dir}`, e);
    if (!create) return false;
    try {
      makeDirs(dir);
    } catch (e2) {
      throw ioError(`cannot create ${dir}`, e2);
    }
    st = fs.lstatSync(dir);
  }
  if (!st.isDirectory()) {
    throw new CniError(
      ErrCode.Internal,
      `host-local: ${dir} is not a directory${st.isSymbolicLink() ? ' (a symbolic link, refused)' : ''}`,
    );
  }
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

/** Creates `file` exclusively (never through a symlink) with `content`, mode 0600. */
export function createExclusive(file: string, content: string): void {
  const fd = fs.openSync(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    fs.writeSync(fd, content);
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
