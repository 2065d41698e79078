import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnPlugin, type PluginRun } from '../../helpers/run-plugin';

export const ROOT = path.resolve(__dirname, '../../..');
/** The built binary, under the name a runtime executes. */
export const HOST_LOCAL = path.join(ROOT, 'dist', 'bin', 'host-local');
/** Debian's containernetworking-plugins 1.1.1, the Go reference to interoperate with. */
export const GO_HOST_LOCAL = '/usr/lib/cni/host-local';

export function requireBinary(): void {
  if (!fs.existsSync(HOST_LOCAL)) throw new Error(`${HOST_LOCAL} is missing: run "npm run build" first`);
}

export function requireGoPlugin(): void {
  if (!fs.existsSync(GO_HOST_LOCAL)) {
    throw new Error(`${GO_HOST_LOCAL} is missing: install the Go reference plugins (apt-get install containernetworking-plugins)`);
  }
}

export type Run = PluginRun;

export interface Call {
  command: 'ADD' | 'DEL' | 'CHECK' | 'STATUS' | 'GC' | 'VERSION';
  conf: unknown;
  containerId?: string;
  ifName?: string;
  args?: string;
  /** Extra or overriding variables; undefined removes one. */
  env?: Record<string, string | undefined>;
  bin?: string;
}

/**
 * Runs a plugin binary the way a runtime does: a CNI_* environment (and a plain PATH, nothing
 * else), the config on stdin. host-local never enters CNI_NETNS, so this process's own
 * namespace file stands in for it, with the override the dispatcher requires for that.
 */
export function cni(call: Call): Promise<Run> {
  const env: Record<string, string> = {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: call.command,
    CNI_CONTAINERID: call.containerId ?? 'ctr1',
    CNI_NETNS: '/proc/self/ns/net',
    CNI_NETNS_OVERRIDE: '1',
    CNI_IFNAME: call.ifName ?? 'eth0',
    CNI_PATH: '/opt/cni/bin',
    CNI_ARGS: call.args ?? '',
  };
  for (const [k, v] of Object.entries(call.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return spawnPlugin(call.bin ?? HOST_LOCAL, [], env, typeof call.conf === 'string' ? call.conf : JSON.stringify(call.conf));
}

/** Fails with the plugin's own output when it did not exit 0. */
export async function ok(call: Call): Promise<Run> {
  const r = await cni(call);
  if (r.status !== 0) throw new Error(`${call.command} ${call.containerId ?? 'ctr1'} failed (${r.status}): ${r.stdout}${r.stderr}`);
  return r;
}

export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-hl-'));
}

/** A network config delegating to host-local, as bridge would pass it on. */
export function netConf(dataDir: string, ipam: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { cniVersion: '1.0.0', name: 'hlnet', type: 'bridge', ipam: { type: 'host-local', dataDir, ...ipam }, ...extra };
}

/** The names in the network's state directory, sorted. */
export function stateNames(dataDir: string, network = 'hlnet'): string[] {
  const dir = path.join(dataDir, network);
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

/** Address-named files only: what counts as a reservation. */
export function leases(dataDir: string, network = 'hlnet'): string[] {
  return stateNames(dataDir, network).filter((n) => n !== 'lock' && !n.startsWith('last_reserved_ip.') && !n.startsWith('.'));
}

export function lease(dataDir: string, ip: string, network = 'hlnet'): string {
  return fs.readFileSync(path.join(dataDir, network, ip), 'latin1');
}

/** The address part of each result IP, whatever the version family. */

export function addressesOf(result: any): string[] {
  if (result.ips) return result.ips.map((i: { address: string }) => i.address);
  return [result.ip4?.ip, result.ip6?.ip].filter(Boolean);
}
