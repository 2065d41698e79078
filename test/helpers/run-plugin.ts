import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestNs } from './netns';

// Runs a plugin binary the way a runtime does, but inside a throwaway "host" namespace
// (`ip netns exec <host> <binary>`): CNI_* variables, a plain PATH, the config on stdin.

export const ROOT = path.resolve(__dirname, '../..');
export const BIN_DIR = path.join(ROOT, 'dist', 'bin');
/** Debian's containernetworking-plugins (Go, cniVersion up to 1.0.0). */
export const GO_BIN_DIR = '/usr/lib/cni';

export function requireBinaries(...names: string[]): void {
  for (const name of names) {
    const file = path.join(BIN_DIR, name);
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: run "npm run build" first`);
  }
}

export interface PluginRun {
  status: number;
  stdout: string;
  stderr: string;
  /** stdout parsed, when it is JSON. */
  json?: any;
}

export interface PluginCall {
  command: 'ADD' | 'DEL' | 'CHECK' | 'STATUS' | 'GC' | 'VERSION';
  conf: unknown;
  /** CNI_NETNS: a path, or '' for none. */
  netns: string;
  containerId?: string;
  ifName?: string;
  args?: string;
  /** Directory of the plugin binaries, also CNI_PATH (default: dist/bin). */
  binDir?: string;
  env?: Record<string, string>;
}

/** Runs `plugin` from `call.binDir` inside `host`. */
export function runPlugin(host: TestNs, plugin: string, call: PluginCall): PluginRun {
  const binDir = call.binDir ?? BIN_DIR;
  const env: Record<string, string> = {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: call.command,
    CNI_CONTAINERID: call.containerId ?? 'ctr1',
    CNI_NETNS: call.netns,
    CNI_IFNAME: call.ifName ?? 'eth0',
    CNI_PATH: binDir,
    CNI_ARGS: call.args ?? '',
    ...call.env,
  };
  const stdin = typeof call.conf === 'string' ? call.conf : JSON.stringify(call.conf);
  const r = spawnSync('ip', ['netns', 'exec', host.name, path.join(binDir, plugin)], { env, input: stdin, encoding: 'utf8' });
  if (r.error) throw r.error;
  return pluginRun(r.status ?? 1, r.stdout, r.stderr);
}

/** A finished plugin process as tests look at it: stdout parsed when it is JSON. */
export function pluginRun(status: number, stdout: string, stderr: string): PluginRun {
  const run: PluginRun = { status, stdout, stderr };
  try {
    if (stdout.trim()) run.json = JSON.parse(stdout);
  } catch {
    // not JSON; the test looks at stdout
  }
  return run;
}

/**
 * Runs `file args` with exactly `env` and `stdin`, without blocking (for calls that must overlap,
 * as a runtime's concurrent ADDs do).
 */
export function spawnPlugin(
  file: string,
  args: readonly string[],
  env: Record<string, string>,
  stdin: string,
  opts: { cwd?: string } = {},
): Promise<PluginRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'], ...opts });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve(pluginRun(code ?? 1, stdout, stderr)));
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
  });
}

/** Same, failing the test with the plugin's output unless it exits 0. */
export function runOk(host: TestNs, plugin: string, call: PluginCall): PluginRun {
  const r = runPlugin(host, plugin, call);
  if (r.status !== 0) throw new Error(`${plugin} ${call.command} failed (${r.status}): ${r.stdout}${r.stderr}`);
  return r;
}

/** A temporary host-local dataDir (never /var/lib/cni), removed by the caller. */
export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-ipam-'));
}

/** Address-named files of a host-local network: the reservations. */
export function reservations(dataDir: string, network: string): string[] {
  const dir = path.join(dataDir, network);
  return fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((n) => n !== 'lock' && !n.startsWith('last_reserved_ip.') && !n.startsWith('.'))
        .sort()
    : [];
}
