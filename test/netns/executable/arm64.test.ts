import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeNamespace, type TestNs } from '../../helpers/netns';
import { ROOT } from '../../helpers/run-plugin';

// The arm64 executable (`npm run build -- --arch arm64`, cross-compiled) under qemu-user with
// Debian's arm64 libc: the protocol, host-local's state and the CLI. The full suites run on
// x86-64; this proves the cross-built binary starts and works the same way.

const ARM_BIN = path.join(ROOT, 'dist', 'arm64', 'bin');
const X64_BINARY = path.join(ROOT, 'dist', 'bin', 'cni-ts');
const QEMU = 'qemu-aarch64-static';
const ARM_LIBC = '/usr/aarch64-linux-gnu';

let ns: TestNs;
let dataDir: string;

/** Builds the arm64 binary unless it is newer than the x86-64 one (same sources, built by npm test). */
function ensureArm64Build(): void {
  const arm = path.join(ARM_BIN, 'cni-ts');
  const fresh = fs.existsSync(arm) && (!fs.existsSync(X64_BINARY) || fs.statSync(arm).mtimeMs >= fs.statSync(X64_BINARY).mtimeMs);
  if (!fresh) execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), '--arch', 'arm64'], { stdio: 'pipe' });
}

function qemu(name: string, args: string[], env: Record<string, string>, input = '') {
  const r = spawnSync(QEMU, ['-L', ARM_LIBC, path.join(ARM_BIN, name), ...args], {
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env },
    input,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  return r;
}

function cniEnv(command: string): Record<string, string> {
  return { CNI_COMMAND: command, CNI_CONTAINERID: 'arm1', CNI_NETNS: ns.path, CNI_IFNAME: 'eth0', CNI_PATH: ARM_BIN };
}

beforeAll(() => {
  ensureArm64Build();
  ns = makeNamespace('arm');
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-hl-'));
}, 300_000);

afterAll(() => {
  ns?.delete();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

test('the binary is an aarch64 ELF with its library search pinned', () => {
  const header = fs.readFileSync(path.join(ARM_BIN, 'cni-ts')).subarray(0, 20);
  expect(header.readUInt16LE(18)).toBe(183); // EM_AARCH64
  const dynamic = execFileSync('readelf', ['-d', path.join(ARM_BIN, 'cni-ts')], { encoding: 'utf8' });
  expect(dynamic).toMatch(/\(RPATH\)/);
  expect(fs.readlinkSync(path.join(ARM_BIN, 'host-local'))).toBe('cni-ts');
});

test('VERSION', () => {
  const r = qemu('host-local', [], { CNI_COMMAND: 'VERSION' });
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual({
    cniVersion: '1.1.0',
    supportedVersions: ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'],
  });
}, 150_000);

test('host-local ADD then DEL in a temporary dataDir', () => {
  const conf = JSON.stringify({
    cniVersion: '1.0.0',
    name: 'armnet',
    type: 'host-local',
    ipam: { type: 'host-local', dataDir, ranges: [[{ subnet: '10.78.0.0/24' }]] },
  });
  const add = qemu('host-local', [], cniEnv('ADD'), conf);
  expect(add.stderr).toBe('');
  expect(add.status).toBe(0);
  expect(JSON.parse(add.stdout).ips).toEqual([{ address: '10.78.0.2/24', gateway: '10.78.0.1' }]);
  expect(fs.readFileSync(path.join(dataDir, 'armnet', '10.78.0.2'), 'utf8')).toBe('arm1\r\neth0');
  const del = qemu('host-local', [], cniEnv('DEL'), conf);
  expect(del.status).toBe(0);
  expect(fs.existsSync(path.join(dataDir, 'armnet', '10.78.0.2'))).toBe(false);
}, 300_000);

test('cni-ts --help', () => {
  const r = qemu('cni-ts', ['--help'], {});
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^cni-ts \d+\.\d+\.\d+: the CNI plugins bridge, macvlan, dummy, host-local in one executable/);
}, 150_000);
