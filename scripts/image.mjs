#!/usr/bin/env node
// node scripts/image.mjs [--binary dist/bin/cni-ts] [--tag localhost/cni-ts:VERSION] [--root DIR] [--output FILE.tar]
// Builds the installer image of deploy/Containerfile with podman, offline: FROM scratch, the
// binary, and the shared libraries `ldd` says it loads, copied from this host.
//
// Podman's storage and configuration live under --root (default /tmp/cni-ts-image): the vfs
// driver (works on any filesystem, no fuse-overlayfs), cgroupfs, file events, runc. Nothing is
// written to the host's own container storage. The files DIR/storage.conf and DIR/containers.conf
// are what CONTAINERS_STORAGE_CONF and CONTAINERS_CONF must name to use the image afterwards.
// --output also saves the image as an OCI archive (`podman load`, `ctr images import`, `skopeo copy`).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yargsParser from 'yargs-parser';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const USAGE = 'usage: node scripts/image.mjs [--binary FILE] [--tag NAME] [--root DIR] [--output FILE.tar]';
const OPTIONS = ['binary', 'tag', 'root', 'output'];

class ImageError extends Error {}

function podmanEnv(storageRoot) {
  return {
    ...process.env,
    CONTAINERS_STORAGE_CONF: path.join(storageRoot, 'storage.conf'),
    CONTAINERS_CONF: path.join(storageRoot, 'containers.conf'),
  };
}

function writePodmanConfig(storageRoot) {
  fs.mkdirSync(storageRoot, { recursive: true });
  fs.writeFileSync(
    path.join(storageRoot, 'storage.conf'),
    `[storage]\ndriver = "vfs"\ngraphroot = "${path.join(storageRoot, 'storage')}"\nrunroot = "${path.join(storageRoot, 'run')}"\n`,
  );
  fs.writeFileSync(
    path.join(storageRoot, 'containers.conf'),
    `[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nruntime = "runc"\n` +
      `tmp_dir = "${path.join(storageRoot, 'tmp')}"\nvolume_path = "${path.join(storageRoot, 'volumes')}"\n` +
      `[network]\nnetwork_config_dir = "${path.join(storageRoot, 'networks')}"\n`,
  );
}

/** The files the dynamic loader maps for BINARY: `ldd` output, loader included, vdso excluded. */
function sharedLibraries(binary) {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  const libs = [];
  for (const line of out.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push(m[1]);
    else if (/not found/.test(line)) throw new ImageError(`ldd ${binary}: ${line.trim()}`);
  }
  if (!libs.some((l) => l.startsWith('/lib64/ld-linux'))) throw new ImageError(`ldd ${binary}: no /lib64 loader in\n${out}`);
  return libs;
}

// The Containerfile copies rootfs/lib64 and rootfs/lib/x86_64-linux-gnu: a library anywhere else
// would silently be left out.
function stageContext(binary, context) {
  const rootfs = path.join(context, 'rootfs');
  for (const lib of sharedLibraries(binary)) {
    if (!/^\/(lib64|lib\/x86_64-linux-gnu)\/[^/]+$/.test(lib))
      throw new ImageError(`${lib}: not in /lib64 or /lib/x86_64-linux-gnu; extend deploy/Containerfile`);
    const dest = path.join(rootfs, lib);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(fs.realpathSync(lib), dest);
    fs.chmodSync(dest, 0o755);
  }
  const bin = path.join(rootfs, 'usr/local/bin/cni-ts');
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  fs.copyFileSync(binary, bin);
  fs.chmodSync(bin, 0o755);
  fs.copyFileSync(path.join(root, 'deploy/Containerfile'), path.join(context, 'Containerfile'));
}

// Podman keeps its lock segment in /dev/shm/libpod_lock whatever the storage root says: a private
// mount namespace with its own /dev/shm keeps even that off the host.
const PRIVATE_SHM = ['--mount', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs tmpfs /dev/shm && exec podman "$@"', 'podman'];

function podman(storageRoot, args) {
  try {
    return execFileSync('unshare', [...PRIVATE_SHM, ...args], {
      env: podmanEnv(storageRoot),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    if (e.status === 127) throw new ImageError('podman not found (apt-get install podman runc)');
    throw new ImageError(`podman ${args.join(' ')}: ${(e.stderr || e.message).trim()}`);
  }
}

function main() {
  const argv = yargsParser(process.argv.slice(2), { string: OPTIONS, configuration: { 'camel-case-expansion': false } });
  const bad = Object.entries(argv).some(([k, v]) => (k === '_' ? v.length > 0 : !OPTIONS.includes(k) || typeof v !== 'string' || v === ''));
  if (bad) throw new ImageError(USAGE);
  const binary = path.resolve(argv.binary ?? path.join(root, 'dist/bin/cni-ts'));
  const tag = argv.tag ?? `localhost/cni-ts:${version}`;
  const storageRoot = path.resolve(argv.root ?? '/tmp/cni-ts-image');
  if (!fs.existsSync(binary)) throw new ImageError(`${binary} not found; run npm run build first`);

  writePodmanConfig(storageRoot);
  const context = fs.mkdtempSync(path.join(storageRoot, 'context-'));
  try {
    stageContext(binary, context);
    // --network none: building FROM scratch with COPY only runs nothing and needs no network;
    // --pull never: no registry is ever asked.
    podman(storageRoot, [
      'build',
      '--network',
      'none',
      '--pull=never',
      '--layers=false',
      '-f',
      path.join(context, 'Containerfile'),
      '-t',
      tag,
      context,
    ]);
  } finally {
    fs.rmSync(context, { recursive: true, force: true });
  }
  const size = podman(storageRoot, ['image', 'inspect', '--format', '{{.Size}}', tag]).trim();
  if (argv.output) {
    fs.rmSync(argv.output, { force: true });
    podman(storageRoot, ['save', '--format', 'oci-archive', '-o', path.resolve(argv.output), tag]);
  }
  console.log(
    `image: ${tag}, ${(Number(size) / 2 ** 20).toFixed(1)} MiB, in ${storageRoot}` +
      (argv.output ? `; saved to ${argv.output}` : '') +
      `\n  use it: CONTAINERS_STORAGE_CONF=${path.join(storageRoot, 'storage.conf')} CONTAINERS_CONF=${path.join(storageRoot, 'containers.conf')} podman ...`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (e) {
    console.error(`image: ${e instanceof ImageError ? e.message : e.stack}`);
    process.exit(1);
  }
}
