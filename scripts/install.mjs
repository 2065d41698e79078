#!/usr/bin/env node
// npm run install-plugins -- [--dir /opt/cni/bin] [--uninstall]
// Installs dist/bin/cni-ts into DIR and names it bridge, macvlan, dummy and host-local (hard
// links), atomically. The work is done by the built binary itself (`cni-ts install`, also what
// the Kubernetes DaemonSet runs, lib/cli/install-files.ts), so there is one implementation.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yargsParser from 'yargs-parser';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILT = path.join(root, 'dist/bin/cni-ts');
const DEFAULT_DIR = '/opt/cni/bin';
const USAGE = 'usage: npm run install-plugins -- [--dir /opt/cni/bin] [--uninstall]';

function fail(message, status = 1) {
  console.error(`install-plugins: ${message}`);
  process.exit(status);
}

const argv = yargsParser(process.argv.slice(2), {
  string: ['dir'],
  boolean: ['uninstall', 'help'],
  configuration: { 'camel-case-expansion': false },
});
const unknown = Object.keys(argv).filter((k) => !['_', 'dir', 'uninstall', 'help'].includes(k));
if (unknown.length || argv._.length) fail(`unknown arguments: ${[...unknown.map((k) => `--${k}`), ...argv._].join(' ')}\n${USAGE}`);
if (argv.help) {
  console.log(USAGE);
  process.exit(0);
}
// No yargs default: it would also replace an empty `--dir`, and a mistyped command line
// must never fall back to the real /opt/cni/bin.
const dir = 'dir' in argv ? argv.dir : DEFAULT_DIR;
if (typeof dir !== 'string' || dir === '') fail(`--dir needs exactly one directory\n${USAGE}`);
if (!fs.existsSync(BUILT)) fail(`${BUILT} not found; run npm run build first`);

const args = ['install', '--bin-dir', path.resolve(dir), ...(argv.uninstall ? ['--uninstall'] : [])];
const run = spawnSync(BUILT, args, { stdio: 'inherit', argv0: 'cni-ts' });
if (run.error) fail(`${BUILT}: ${run.error.message}`);
process.exit(run.status ?? 1);
