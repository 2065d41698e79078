import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PLUGIN_NAMES } from '../../../plugins/registry';

// The installer image (deploy/Containerfile, built by scripts/image.mjs) run the way the
// DaemonSet runs it, with temporary directories standing in for the node's /opt/cni/bin and
// /etc/cni/net.d. Podman's storage, config and the image live in one temp dir removed in
// teardown; every podman command runs in a private mount namespace with its own /dev/shm (its
// lock segment) and uses --network none, so nothing reaches the host's network or container state.

const ROOT = path.resolve(__dirname, '../../..');
const BINARY = path.join(ROOT, 'dist/bin/cni-ts');
const TAG = 'localhost/cnits-deploy-test:latest';
const PLUGINS = PLUGIN_NAMES;
const CONF = {
  cniVersion: '1.0.0',
  name: 'k8s-pod-network',
  plugins: [
    {
      type: 'bridge',
      bridge: 'cni0',
      isGateway: true,
      ipMasq: true,
      ipam: { type: 'host-local', ranges: [[{ subnet: '${NODE_POD_CIDR}' }]] },
    },
  ],
};

let tmp: string;
let env: NodeJS.ProcessEnv;
const hostBin = () => path.join(tmp, 'host/opt/cni/bin');
const hostConfDir = () => path.join(tmp, 'host/etc/cni/net.d');
const installedConf = () => path.join(hostConfDir(), '10-cni-ts.conflist');

const PRIVATE_SHM = ['--mount', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs tmpfs /dev/shm && exec podman "$@"', 'podman'];

function podmanArgs(installerArgs: string[]): string[] {
  return [
    ...PRIVATE_SHM,
    // As restricted as deploy/kubernetes/daemonset.yaml's securityContext.
    'run',
    '--rm',
    '--network',
    'none',
    '--cap-drop',
    'all',
    '--read-only',
    '--security-opt',
    'no-new-privileges',
    '-e',
    'NODE_POD_CIDR=10.244.7.0/24',
    '-v',
    `${hostBin()}:/host/opt/cni/bin`,
    '-v',
    `${hostConfDir()}:/host/etc/cni/net.d`,
    '-v',
    `${path.join(tmp, 'configmap')}:/etc/cni-ts:ro`,
    TAG,
    ...installerArgs,
  ];
}

const INSTALL = ['--bin-dir', '/host/opt/cni/bin', '--conf-dir', '/host/etc/cni/net.d', '--conf', '/etc/cni-ts/10-cni-ts.conflist'];

function run(installerArgs: string[]): SpawnSyncReturns<string> {
  return spawnSync('unshare', podmanArgs(installerArgs), { env, encoding: 'utf8', timeout: 60000 });
}

async function waitFor(check: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (check()) return;
  throw new Error('timed out');
}

beforeAll(() => {
  if (!fs.existsSync(BINARY)) throw new Error(`${BINARY} is missing: npm run build`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-deploy-'));
  for (const d of [hostBin(), hostConfDir(), path.join(tmp, 'configmap')]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(tmp, 'configmap/10-cni-ts.conflist'), JSON.stringify(CONF, null, 2));
  const podmanRoot = path.join(tmp, 'podman');
  const build = spawnSync('node', [path.join(ROOT, 'scripts/image.mjs'), '--binary', BINARY, '--tag', TAG, '--root', podmanRoot], {
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`image build failed: ${build.stdout}${build.stderr}`);
  env = {
    ...process.env,
    CONTAINERS_STORAGE_CONF: path.join(podmanRoot, 'storage.conf'),
    CONTAINERS_CONF: path.join(podmanRoot, 'containers.conf'),
  };
}, 180000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('the image installs the binary, its four names and the node-specific config', () => {
  const r = run(INSTALL);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const bin = fs.statSync(path.join(hostBin(), 'cni-ts'));
  expect(bin.mode & 0o7777).toBe(0o755);
  expect(bin.size).toBe(fs.statSync(BINARY).size);
  expect(fs.readdirSync(hostBin()).sort()).toEqual(['bridge', 'cni-ts', 'dummy', 'host-local', 'macvlan']);
  for (const name of PLUGINS) {
    expect(fs.statSync(path.join(hostBin(), name)).ino).toBe(bin.ino);
    // The installed plugins run on the host, outside the image that carried them.
    const version = spawnSync(path.join(hostBin(), name), [], { env: { CNI_COMMAND: 'VERSION' }, input: '', encoding: 'utf8' });
    expect(version.status).toBe(0);
    expect(JSON.parse(version.stdout).supportedVersions).toContain('1.0.0');
  }
  expect(fs.statSync(installedConf()).mode & 0o777).toBe(0o644);
  const conf = JSON.parse(fs.readFileSync(installedConf(), 'utf8'));
  expect(conf.plugins[0].ipam.ranges).toEqual([[{ subnet: '10.244.7.0/24' }]]);
  expect(fs.readdirSync(hostConfDir())).toEqual(['10-cni-ts.conflist']);
});

test('a second run finds everything up to date and writes nothing', () => {
  const before = [path.join(hostBin(), 'cni-ts'), installedConf()].map((f) => fs.statSync(f));
  const r = run(INSTALL);
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('/host/opt/cni/bin: cni-ts is up to date');
  expect(r.stdout).toContain('/host/etc/cni/net.d/10-cni-ts.conflist: up to date');
  const after = [path.join(hostBin(), 'cni-ts'), installedConf()].map((f) => fs.statSync(f));
  expect(after.map((s) => [s.ino, s.mtimeMs])).toEqual(before.map((s) => [s.ino, s.mtimeMs]));
});

test('an unset template variable fails the pod with exit 1 and names the variable', () => {
  const r = spawnSync(
    'unshare',
    podmanArgs(INSTALL).filter((a) => a !== 'NODE_POD_CIDR=10.244.7.0/24' && a !== '-e'),
    { env, encoding: 'utf8' },
  );
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('${NODE_POD_CIDR}');
});

test('--watch puts back removed files and stops cleanly on SIGTERM', async () => {
  const child = spawn('unshare', podmanArgs([...INSTALL, '--watch', '--interval', '0.2']), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await waitFor(() => out.includes('watching'), 30000);
    fs.unlinkSync(path.join(hostBin(), 'bridge'));
    fs.unlinkSync(installedConf());
    await waitFor(() => fs.existsSync(path.join(hostBin(), 'bridge')) && fs.existsSync(installedConf()), 10000);
    expect(fs.statSync(path.join(hostBin(), 'bridge')).ino).toBe(fs.statSync(path.join(hostBin(), 'cni-ts')).ino);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  expect(out).toContain('stopped');
}, 60000);

test('--uninstall removes what it installed', () => {
  fs.writeFileSync(path.join(hostBin(), 'other-plugin'), 'not ours');
  const r = run([...INSTALL, '--uninstall']);
  expect(r.status).toBe(0);
  expect(fs.readdirSync(hostBin())).toEqual(['other-plugin']);
  expect(fs.readdirSync(hostConfDir())).toEqual([]);
});
