import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeNamespace, type TestNs } from '../../helpers/netns';
import { BIN_DIR, requireBinaries } from '../../helpers/run-plugin';

// The built executable runs as root from whatever directory and with whatever environment the
// container runtime has. Nothing there may configure the Bun runtime inside it: no file of the
// working directory (.env, bunfig.toml, tsconfig.json, package.json), no runtime variable
// (NODE_OPTIONS, BUN_*), no library planted next to it through LD_LIBRARY_PATH.

const HOST_LOCAL = path.join(BIN_DIR, 'host-local');
const VERSION_ANSWER = /^\{"cniVersion":"1\.1\.0","supportedVersions":\[/;

let ns: TestNs;
let cwd: string;
let dataDir: string;

/** A working directory full of files Bun would read by default; preload.js leaves a marker. */
function plantRuntimeConfig(dir: string): string {
  const marker = path.join(dir, 'preload-ran');
  fs.writeFileSync(path.join(dir, 'preload.js'), `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x');\n`);
  fs.writeFileSync(path.join(dir, 'bunfig.toml'), 'preload = ["./preload.js"]\n');
  for (const name of ['.env', '.env.local', '.env.production']) fs.writeFileSync(path.join(dir, name), 'CNI_IFNAME=fromdotenv\n');
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), '{"compilerOptions":{"paths":{"*":["./preload.js"]}}}\n');
  fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"planted","type":"module","imports":{"#x":"./preload.js"}}\n');
  return marker;
}

function hostLocalConf(): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: 'hardening',
    type: 'host-local',
    ipam: { type: 'host-local', dataDir, ranges: [[{ subnet: '10.77.0.0/24' }]] },
  });
}

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string>, input = ''): Run {
  const r = spawnSync(file, args, {
    cwd,
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env },
    input,
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT') throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function cniEnv(command: string, extra: Record<string, string> = {}): Record<string, string> {
  return { CNI_COMMAND: command, CNI_CONTAINERID: 'hardening1', CNI_NETNS: ns.path, CNI_IFNAME: 'eth0', CNI_PATH: BIN_DIR, ...extra };
}

/** Every file path the process and its threads looked up, opened or stat'ed (strace). */
function filesTouched(env: Record<string, string>, input = ''): string[] {
  const log = path.join(os.tmpdir(), `cnits-strace-${process.pid}-${Date.now()}`);
  try {
    // strace itself must not see LD_LIBRARY_PATH: -E sets it for the traced program only.
    const { LD_LIBRARY_PATH: libraryPath, ...rest } = env;
    const only = libraryPath === undefined ? [] : ['-E', `LD_LIBRARY_PATH=${libraryPath}`];
    const r = run('strace', ['-f', '-qq', '-e', 'trace=%file', ...only, '-o', log, HOST_LOCAL], rest, input);
    if (r.status !== 0 && !r.stdout) throw new Error(`strace run failed: ${r.stderr}`);
    return [...fs.readFileSync(log, 'utf8').matchAll(/"([^"]*)"/g)].map((m) => m[1]);
  } finally {
    fs.rmSync(log, { force: true });
  }
}

beforeAll(() => {
  requireBinaries('cni-ts', 'host-local');
  ns = makeNamespace('hard');
});

beforeEach(() => {
  cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-cwd-'));
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-hl-'));
});

afterEach(() => {
  fs.rmSync(cwd, { recursive: true, force: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
});

afterAll(() => ns?.delete());

describe('the working directory configures nothing', () => {
  test('a .env does not supply a missing CNI_IFNAME and bunfig.toml preload does not run', () => {
    const marker = plantRuntimeConfig(cwd);
    const env = cniEnv('ADD');
    delete env.CNI_IFNAME;
    const r = run(HOST_LOCAL, [], env, hostLocalConf());
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/CNI_IFNAME/);
    expect(r.stdout).not.toMatch(/10\.77\.0\./);
    expect(fs.existsSync(marker)).toBe(false);
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  test('no .env, bunfig.toml, tsconfig.json or package.json is looked up, for a plugin or the CLI', () => {
    plantRuntimeConfig(cwd);
    const looked = [
      ...filesTouched(cniEnv('ADD'), hostLocalConf()),
      ...filesTouched(cniEnv('DEL'), hostLocalConf()),
      ...filesTouched(cniEnv('VERSION')),
    ];
    const config = looked.filter((f) => /(^|\/)(\.env[^/]*|bunfig\.toml|tsconfig\.json|package\.json|preload\.js)$/.test(f));
    expect(config).toEqual([]);
    const cli = spawnSync('strace', ['-f', '-qq', '-e', 'trace=%file', path.join(BIN_DIR, 'cni-ts'), '--help'], {
      cwd,
      encoding: 'utf8',
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    expect(cli.status).toBe(0);
    expect(cli.stderr).not.toMatch(/\.env|bunfig\.toml|tsconfig\.json|package\.json|preload\.js/);
  });
});

describe('runtime variables change nothing', () => {
  test.each([
    ['NODE_OPTIONS', '--require=./preload.js'],
    ['NODE_OPTIONS', '--import=./preload.js'],
    ['BUN_OPTIONS', '--preload=./preload.js'],
    ['BUN_OPTIONS', '--cpu-prof --cpu-prof-dir=.'],
    ['BUN_BE_BUN', '1'],
    ['BUN_INSPECT', 'ws://127.0.0.1:9/cnits?break=1'],
    ['BUN_INSPECT_PRELOAD', './preload.js'],
  ])('%s=%s', (name, value) => {
    const marker = plantRuntimeConfig(cwd);
    const r = run(HOST_LOCAL, [], cniEnv('VERSION', { [name]: value }));
    expect(r.signal).toBeNull();
    expect(r.stdout).toMatch(VERSION_ANSWER);
    expect(r.status).toBe(0);
    expect(fs.existsSync(marker)).toBe(false);
    expect(fs.readdirSync(cwd).filter((f) => f.endsWith('.cpuprofile'))).toEqual([]);
  });

  test('the bytecode order and digest variables write no file', () => {
    const outs = ['BUN_BYTECODE_ORDER_OUT', 'BUN_BYTECODE_ORDER_NAMES_OUT', 'BUN_BYTECODE_DIGEST_OUT'];
    const env = Object.fromEntries(outs.map((v) => [v, path.join(cwd, v)]));
    const r = run(HOST_LOCAL, [], cniEnv('ADD', env), hostLocalConf());
    expect(r.status).toBe(0);
    expect(run(HOST_LOCAL, [], cniEnv('DEL', env), hostLocalConf()).status).toBe(0);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });
});

describe('library search stays pinned', () => {
  test('LD_LIBRARY_PATH with an empty entry does not load libraries planted in the working directory', () => {
    for (const lib of ['libc.so.6', 'libm.so.6', 'libpthread.so.0', 'libdl.so.2']) fs.writeFileSync(path.join(cwd, lib), 'junk\n');
    const env = cniEnv('ADD', { LD_LIBRARY_PATH: '/nonexistent-cnits:' });
    const r = run(HOST_LOCAL, [], env, hostLocalConf());
    expect(r.stderr).not.toMatch(/error while loading shared libraries/);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).ips[0].address).toBe('10.77.0.2/24');
    const planted = filesTouched(cniEnv('DEL', { LD_LIBRARY_PATH: '/nonexistent-cnits:' }), hostLocalConf()).filter(
      (f) => f.startsWith('/nonexistent-cnits') || /^(\.\/)?lib[a-z]+\.so/.test(f) || f.startsWith(`${cwd}/lib`),
    );
    expect(planted).toEqual([]);
  });
});

describe('portable x86-64 baseline', () => {
  test('the x86-64 binary runs on a CPU without AVX/AVX2 (qemu -cpu Nehalem)', () => {
    const r = spawnSync('qemu-x86_64-static', ['-cpu', 'Nehalem', '-0', 'host-local', HOST_LOCAL], {
      cwd,
      env: { CNI_COMMAND: 'VERSION' },
      input: '',
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.error).toBeUndefined();
    expect(r.stdout).toMatch(VERSION_ANSWER);
    expect(r.status).toBe(0);
  }, 150_000);
});
