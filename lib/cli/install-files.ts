import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// Placing the cni-ts executable and its four plugin names into a plugin directory, and a config
// file into a config directory. Every file appears by rename(2), so a runtime executing a plugin
// concurrently sees either the old or the new file, never a partial one (and no ETXTBSY on a
// running binary). Shared by `cni-ts install` and `npm run install-plugins`.

export const BINARY_NAME = 'cni-ts';

export type Log = (line: string) => void;

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;

/**
 * A fresh temporary name beside `name`: unpredictable (whoever else may write in the directory
 * cannot plant a symlink there in advance), with our pid for removeStaleTemps.
 */
function tempName(dir: string, name: string): string {
  return path.join(dir, `.${name}.tmp-${process.pid}-${crypto.randomBytes(8).toString('hex')}`);
}

/**
 * Creates `tmp` exclusively, never through a symlink (O_EXCL|O_NOFOLLOW), fills it by `write`,
 * sets `mode` and syncs it; removes it again if anything fails.
 */
function createTempFile(tmp: string, mode: number, write: (fd: number) => void): void {
  const fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  try {
    write(fd);
    fs.fchmodSync(fd, mode);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
}

function copyInto(source: string, fd: number): void {
  const src = fs.openSync(source, O_RDONLY);
  try {
    const buf = Buffer.alloc(1 << 20);
    for (let n; (n = fs.readSync(src, buf, 0, buf.length, null)) > 0;) {
      for (let off = 0; off < n;) off += fs.writeSync(fd, buf, off, n - off);
    }
  } finally {
    fs.closeSync(src);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// Temp files of an install that was killed (Ctrl-C and SIGKILL skip `finally`) would stay as
// 100 MB of clutter in the plugin directory.
function removeStaleTemps(dir: string, names: readonly string[]): void {
  for (const entry of fs.readdirSync(dir)) {
    const m = /^\.(.+)\.tmp-(\d+)(?:-[0-9a-f]{16})?$/.exec(entry);
    if (m && names.includes(m[1]) && (Number(m[2]) === process.pid || !isAlive(Number(m[2])))) {
      fs.rmSync(path.join(dir, entry), { force: true });
    }
  }
}

/**
 * Where a plugin that cni-ts replaced (e.g. the Go bridge) is kept, so that uninstall puts it back:
 * a hidden directory inside the plugin directory (runtimes look up plugins by exact file name).
 */
export const REPLACED_DIR = '.cni-ts-replaced';

/**
 * Beside each kept plugin `<name>`, `<name>.sha256` records what it was when kept: "sha256 <hex>"
 * of a regular file, or "symlink <target>" (distributions link /opt/cni/bin names to their files).
 */
const HASH_SUFFIX = '.sha256';

function fingerprint(file: string): string {
  if (fs.lstatSync(file).isSymbolicLink()) return `symlink ${fs.readlinkSync(file)}`;
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW);
  try {
    const buf = Buffer.alloc(1 << 20);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return `sha256 ${hash.digest('hex')}`;
}

/** Why REPLACED_DIR cannot be trusted (a symlink, someone else's, writable by others), or null. */
function untrustedKeepDir(keep: string): string | null {
  const st = fs.lstatSync(keep);
  if (!st.isDirectory()) return `${keep} is not a directory`;
  const euid = process.geteuid?.() ?? 0;
  if (st.uid !== euid && st.uid !== 0) return `${keep} belongs to uid ${st.uid}`;
  if ((st.mode & 0o022) !== 0) return `${keep} is writable by group or others`;
  return null;
}

/** Keeps `file` under REPLACED_DIR by a hard link, with its hash, unless an earlier install already kept one. */
function keepReplaced(dir: string, name: string): void {
  const keep = path.join(dir, REPLACED_DIR);
  fs.mkdirSync(keep, { mode: 0o755, recursive: true });
  const untrusted = untrustedKeepDir(keep);
  if (untrusted) throw new Error(`cannot keep the replaced ${name}: ${untrusted}`);
  if (lstatOrNull(path.join(keep, name))) return;
  const recorded = fingerprint(path.join(dir, name));
  try {
    fs.linkSync(path.join(dir, name), path.join(keep, name));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw e;
  }
  const hashFile = path.join(keep, `${name}${HASH_SUFFIX}`);
  fs.rmSync(hashFile, { force: true });
  createTempFile(hashFile, 0o644, (fd) => fs.writeSync(fd, `${recorded}\n`));
}

/**
 * Why the kept `name` must not be put back, or null: uninstall restores only what install kept,
 * in a trusted REPLACED_DIR, owned by this user or root, and still as install recorded it: a
 * regular file (no other hard link, no set-id bit) with the same SHA-256, or the same symlink.
 */
function unfitToRestore(keep: string, name: string): string | null {
  const untrusted = untrustedKeepDir(keep);
  if (untrusted) return untrusted;
  const kept = path.join(keep, name);
  const st = fs.lstatSync(kept);
  const euid = process.geteuid?.() ?? 0;
  if (st.uid !== euid && st.uid !== 0) return `${kept} belongs to uid ${st.uid}`;
  if (!st.isFile() && !st.isSymbolicLink()) return `${kept} is not a regular file`;
  if (st.isFile() && st.nlink !== 1) return `${kept} has ${st.nlink} names`;
  if ((st.mode & 0o6000) !== 0 && st.isFile()) return `${kept} is set-uid or set-gid`;
  let recorded: string;
  try {
    const fd = fs.openSync(path.join(keep, `${name}${HASH_SUFFIX}`), O_RDONLY | O_NOFOLLOW);
    try {
      recorded = fs.readFileSync(fd, 'utf8').trim();
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return `${kept} has no recorded hash`;
  }
  return fingerprint(kept) === recorded ? null : `${kept} is not what install kept (it changed since)`;
}

function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** fs.statSync (or fs.lstatSync, which does not follow a symlink), null when the name does not exist. */
function statOrNull(p: string, stat: (p: string) => fs.Stats = fs.statSync): fs.Stats | null {
  try {
    return stat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

const lstatOrNull = (p: string): fs.Stats | null => statOrNull(p, fs.lstatSync);

/** Whether two paths hold the same bytes (true at once for two names of one inode). */
export function sameContent(a: string, b: string): boolean {
  const sa = statOrNull(a);
  const sb = statOrNull(b);
  if (!sa || !sb) return false;
  if (sa.dev === sb.dev && sa.ino === sb.ino) return true;
  if (!sa.isFile() || !sb.isFile() || sa.size !== sb.size) return false;
  const [fa, fb] = [fs.openSync(a, 'r'), fs.openSync(b, 'r')];
  try {
    const [ba, bb] = [Buffer.alloc(1 << 20), Buffer.alloc(1 << 20)];
    for (let pos = 0; pos < sa.size;) {
      const n = fs.readSync(fa, ba, 0, ba.length, pos);
      if (n === 0 || fs.readSync(fb, bb, 0, n, pos) !== n || !ba.subarray(0, n).equals(bb.subarray(0, n))) return false;
      pos += n;
    }
    return true;
  } finally {
    fs.closeSync(fa);
    fs.closeSync(fb);
  }
}

/** What a plugin directory looks like right after an install: cheap to compare on every poll. */
export interface BinaryStamp {
  ino: number;
  size: number;
  mtimeMs: number;
}

/** The stamp of an installed binary whose plugin names are all links to it, else null. */
export function installedStamp(dir: string, plugins: readonly string[]): BinaryStamp | null {
  const bin = statOrNull(path.join(dir, BINARY_NAME));
  if (!bin || !bin.isFile() || (bin.mode & 0o777) !== 0o755) return null;
  for (const name of plugins) {
    const link = statOrNull(path.join(dir, name));
    if (!link || link.ino !== bin.ino || link.dev !== bin.dev) return null;
  }
  return { ino: bin.ino, size: bin.size, mtimeMs: bin.mtimeMs };
}

export function sameStamp(a: BinaryStamp | null, b: BinaryStamp | null): boolean {
  return a !== null && b !== null && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/**
 * Installs `source` as DIR/cni-ts plus the plugin names as hard links to it. Returns false
 * (and writes nothing) when DIR already holds exactly that: same bytes, mode 0755, all names linked.
 */
export function installBinary(source: string, dir: string, plugins: readonly string[], log: Log): boolean {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const names = [BINARY_NAME, ...plugins];
  removeStaleTemps(dir, names);
  const binary = path.join(dir, BINARY_NAME);
  if (installedStamp(dir, plugins) && sameContent(source, binary)) return false;
  const foreign = plugins
    .map((name) => path.join(dir, name))
    .filter((file) => fs.existsSync(file) && !sameContent(file, binary) && !sameContent(file, source));
  for (const file of foreign) keepReplaced(dir, path.basename(file));
  const temps: string[] = [];
  try {
    if (!sameContent(source, binary) || (fs.statSync(binary).mode & 0o777) !== 0o755) {
      const tmp = tempName(dir, BINARY_NAME);
      temps.push(tmp);
      createTempFile(tmp, 0o755, (fd) => copyInto(source, fd));
      fs.renameSync(tmp, binary);
    }
    for (const name of plugins) {
      // link(2) never follows or replaces an existing name.
      const tmp = tempName(dir, name);
      temps.push(tmp);
      fs.linkSync(binary, tmp);
      fs.renameSync(tmp, path.join(dir, name));
    }
  } finally {
    // Also catches the one case where rename(2) succeeds without moving anything: when both
    // names are already links to the same inode.
    for (const tmp of temps) fs.rmSync(tmp, { force: true });
  }
  fsyncPath(dir);
  for (const file of foreign)
    log(`replaced ${file}, which was not cni-ts (kept in ${path.join(dir, REPLACED_DIR)}; uninstall puts it back)`);
  log(`installed ${binary} and ${plugins.join(', ')} (hard links) in ${dir}`);
  return true;
}

/**
 * Removes DIR/cni-ts and those plugin names that are still cni-ts, putting back (by rename) any
 * plugin an install replaced; leaves other plugins alone.
 */
export function uninstallBinary(dir: string, plugins: readonly string[], log: Log): void {
  const binary = path.join(dir, BINARY_NAME);
  if (!fs.existsSync(binary)) {
    log(`no ${binary}; nothing to compare the plugin names with, nothing removed`);
    return;
  }
  const keep = path.join(dir, REPLACED_DIR);
  const removed: string[] = [];
  const restored: string[] = [];
  for (const name of plugins) {
    const file = path.join(dir, name);
    const kept = path.join(keep, name);
    if (fs.existsSync(file) && !sameContent(file, binary)) {
      log(`left ${file}: it is not cni-ts`);
      continue;
    }
    const isKept = lstatOrNull(kept) !== null;
    const unfit = isKept ? unfitToRestore(keep, name) : null;
    if (unfit) log(`did not put back ${kept}: ${unfit}`);
    if (isKept && !unfit) {
      fs.renameSync(kept, file);
      fs.rmSync(path.join(keep, `${name}${HASH_SUFFIX}`), { force: true });
      restored.push(name);
    } else if (fs.existsSync(file)) {
      fs.unlinkSync(file);
      removed.push(name);
    }
  }
  if (lstatOrNull(keep)?.isDirectory() && fs.readdirSync(keep).length === 0) fs.rmdirSync(keep);
  // Last, so that an interrupted uninstall can be run again.
  fs.unlinkSync(binary);
  removed.push(BINARY_NAME);
  fsyncPath(dir);
  log(
    `removed ${removed.join(', ')} from ${dir}${restored.length ? `; put back the plugins it had replaced: ${restored.join(', ')}` : ''}`,
  );
}

/** Writes `content` to FILE by temp + fsync + rename; returns false when FILE already holds it. */
export function writeFileAtomic(file: string, content: string, mode = 0o644): boolean {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const current = statOrNull(file);
  if (current?.isFile() && (current.mode & 0o777) === mode && fs.readFileSync(file, 'utf8') === content) return false;
  removeStaleTemps(dir, [path.basename(file)]);
  const tmp = tempName(dir, path.basename(file));
  try {
    createTempFile(tmp, mode, (fd) => fs.writeSync(fd, content));
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  fsyncPath(dir);
  return true;
}
