#!/usr/bin/env node
// npm run install-plugins -- [--dir /opt/cni/bin] [--uninstall]
// Installs dist/bin/cni-ts into DIR and names it bridge, macvlan, dummy and host-local (hard
// links). Every file appears by rename(2), so a runtime executing a plugin concurrently sees
// either the old or the new binary, never a partial one (and no ETXTBSY on a running binary).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yargsParser from 'yargs-parser';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILT = path.join(root, 'dist/bin/cni-ts');
const DEFAULT_DIR = '/opt/cni/bin';
const BINARY = 'cni-ts';
const PLUGIN_NAMES = ['bridge', 'macvlan', 'dummy', 'host-local'];
const USAGE = 'usage: npm run install-plugins -- [--dir /opt/cni/bin] [--uninstall]';

class InstallError extends Error {}

function parseArgs(args) {
  const argv = yargsParser(args, {
    string: ['dir'],
    boolean: ['uninstall', 'help'],
    configuration: { 'camel-case-expansion': false },
  });
  const unknown = Object.keys(argv).filter((k) => !['_', 'dir', 'uninstall', 'help'].includes(k));
  if (unknown.length || argv._.length) {
    throw new InstallError(`unknown arguments: ${[...unknown.map((k) => `--${k}`), ...argv._].join(' ')}\n${USAGE}`);
  }
  // No yargs default: it would also replace an empty `--dir`, and a mistyped command line
  // must never fall back to the real /opt/cni/bin.
  const dir = 'dir' in argv ? argv.dir : DEFAULT_DIR;
  if (typeof dir !== 'string' || dir === '') throw new InstallError(`--dir needs exactly one directory\n${USAGE}`);
  return { dir: path.resolve(dir), uninstall: argv.uninstall, help: argv.help };
}

function tempName(dir, name) {
  return path.join(dir, `.${name}.tmp-${process.pid}`);
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

// Temp files of an install that was killed (Ctrl-C skips `finally`) would stay as 100 MB
// of clutter in the plugin directory.
function removeStaleTemps(dir) {
  for (const entry of fs.readdirSync(dir)) {
    const m = /^\.(.+)\.tmp-(\d+)$/.exec(entry);
    if (m && [BINARY, ...PLUGIN_NAMES].includes(m[1]) && !isAlive(Number(m[2]))) {
      fs.rmSync(path.join(dir, entry), { force: true });
    }
  }
}

function fsyncPath(p) {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function sameContent(a, b) {
  const sa = fs.statSync(a);
  const sb = fs.statSync(b);
  if (sa.dev === sb.dev && sa.ino === sb.ino) return true;
  if (!sa.isFile() || !sb.isFile() || sa.size !== sb.size) return false;
  const [fa, fb] = [fs.openSync(a, 'r'), fs.openSync(b, 'r')];
  try {
    const [ba, bb] = [Buffer.alloc(1 << 20), Buffer.alloc(1 << 20)];
    for (let pos = 0; pos < sa.size; ) {
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

function install(dir) {
  if (!fs.existsSync(BUILT)) throw new InstallError(`${BUILT} not found; run npm run build first`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  removeStaleTemps(dir);
  const binary = path.join(dir, BINARY);
  const foreign = PLUGIN_NAMES.map((name) => path.join(dir, name)).filter(
    (file) => fs.existsSync(file) && !(fs.existsSync(binary) && sameContent(file, binary)),
  );
  const temps = [BINARY, ...PLUGIN_NAMES].map((name) => tempName(dir, name));
  try {
    const tmp = tempName(dir, BINARY);
    fs.copyFileSync(BUILT, tmp);
    fs.chmodSync(tmp, 0o755);
    fsyncPath(tmp);
    fs.renameSync(tmp, binary);
    for (const name of PLUGIN_NAMES) {
      fs.linkSync(binary, tempName(dir, name));
      fs.renameSync(tempName(dir, name), path.join(dir, name));
    }
  } finally {
    // Also catches the one case where rename(2) succeeds without moving anything: when both
    // names are already links to the same inode.
    for (const tmp of temps) fs.rmSync(tmp, { force: true });
  }
  fsyncPath(dir);
  for (const file of foreign) console.log(`install: replaced ${file}, which was not cni-ts`);
  console.log(`install: ${binary} and ${PLUGIN_NAMES.join(', ')} (hard links) in ${dir}`);
}

function uninstall(dir) {
  const binary = path.join(dir, BINARY);
  if (!fs.existsSync(binary)) {
    console.log(`uninstall: no ${binary}; nothing to compare the plugin names with, nothing removed`);
    return;
  }
  const removed = [];
  for (const name of PLUGIN_NAMES) {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) continue;
    if (sameContent(file, binary)) {
      fs.unlinkSync(file);
      removed.push(name);
    } else {
      console.log(`uninstall: left ${file}: it is not cni-ts`);
    }
  }
  // Last, so that an interrupted uninstall can be run again.
  fs.unlinkSync(binary);
  removed.push(BINARY);
  fsyncPath(dir);
  console.log(`uninstall: removed ${removed.join(', ')} from ${dir}`);
}

try {
  const { dir, uninstall: remove, help } = parseArgs(process.argv.slice(2));
  if (help) console.log(USAGE);
  else if (remove) uninstall(dir);
  else install(dir);
} catch (e) {
  const reason = e instanceof InstallError ? e.message : e.code === 'EACCES' || e.code === 'EPERM' ? `${e.message} (run as root?)` : e.stack;
  console.error(`install-plugins: ${reason}`);
  process.exit(1);
}
