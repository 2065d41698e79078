import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pluginRun, type PluginRun } from '../../helpers/run-plugin';
import { cniNatRules } from '../../helpers/rules';
import { makeTopology, type TestNs, type Topology } from '../../helpers/netns';

// The bridge plugin as a runtime runs it: the built binary executed inside a throwaway "host"
// namespace (`ip netns exec <host> dist/bin/bridge`), CNI_NETNS a throwaway container namespace,
// host-local found through CNI_PATH with its dataDir in a temporary directory.

export const ROOT = path.resolve(__dirname, '../../..');
export const OUR_BIN = path.join(ROOT, 'dist', 'bin');
/** Debian's containernetworking-plugins 1.1.1 (bridge + host-local), the Go reference. */
export const GO_BIN = '/usr/lib/cni';

export const ALL_VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;

export function requireBinaries(): void {
  if (!fs.existsSync(path.join(OUR_BIN, 'bridge'))) throw new Error(`${OUR_BIN}/bridge is missing: run "npm run build" first`);
}

export function requireGoPlugins(): void {
  for (const p of ['bridge', 'host-local']) {
    if (!fs.existsSync(path.join(GO_BIN, p))) throw new Error(`${GO_BIN}/${p} is missing: install Debian's containernetworking-plugins`);
  }
}

export type Json = any;

export type Run = PluginRun;

export interface Call {
  command: 'ADD' | 'DEL' | 'CHECK' | 'STATUS' | 'GC' | 'VERSION';
  conf: unknown;
  /** CNI_NETNS; '' sends an empty one. Default: the sandbox's first container. */
  netns?: string;
  containerId?: string;
  ifName?: string;
  args?: string;
  /** Directory of the plugin binaries (also CNI_PATH unless cniPath is given). */
  bin?: string;
  cniPath?: string;
  env?: Record<string, string>;
  /**
   * Programs that stand in for system tools: the plugin runs in a private mount namespace where
   * they are the contents of /usr/local/sbin, the first directory cni-ts takes tools from (a
   * PATH entry cannot override a system tool, by design). The machine's own files are untouched.
   */
  toolOverlay?: string;
}

/** A host namespace, container namespaces and a temporary dataDir; deleted after each test. */
export class Sandbox {
  readonly topo: Topology;
  readonly dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-bridge-'));

  constructor(containers = 1) {
    this.topo = makeTopology({ containers });
  }

  get host(): TestNs {
    return this.topo.host;
  }

  get ctr(): TestNs {
    return this.topo.ctr;
  }

  cleanup(): void {
    this.topo.cleanup();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** A bridge config with host-local IPAM in this sandbox's dataDir; `ipam: null` for L2-only. */
  conf(options: Record<string, unknown> = {}, ipam: Record<string, unknown> | null = { subnet: '10.99.0.0/24' }): Json {
    const conf: Json = { cniVersion: '1.0.0', name: 'testnet', type: 'bridge', bridge: 'cnitest0', ...options };
    if (ipam) conf.ipam = { type: 'host-local', dataDir: this.dataDir, ...ipam };
    return conf;
  }

  run(call: Call): Run {
    const bin = call.bin ?? OUR_BIN;
    const env: Record<string, string> = {
      // The runner's PATH: under user-mode-linux it puts the legacy iptables first.
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: call.command,
      CNI_CONTAINERID: call.containerId ?? 'ctr1',
      CNI_NETNS: call.netns ?? this.ctr.path,
      CNI_IFNAME: call.ifName ?? 'eth0',
      CNI_PATH: call.cniPath ?? bin,
      CNI_ARGS: call.args ?? '',
      ...call.env,
    };
    const input = typeof call.conf === 'string' ? call.conf : JSON.stringify(call.conf);
    const plugin = ['ip', 'netns', 'exec', this.host.name, path.join(bin, 'bridge')];
    const overlay = 'mount -t tmpfs cnits-tools /usr/local/sbin && cp -p "$1"/* /usr/local/sbin/ && shift && exec "$@"';
    const r = call.toolOverlay
      ? spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', overlay, 'sh', call.toolOverlay, ...plugin], {
          env,
          input,
          encoding: 'utf8',
        })
      : spawnSync(plugin[0], plugin.slice(1), { env, input, encoding: 'utf8' });
    if (r.error) throw r.error;
    return pluginRun(r.status ?? 1, r.stdout, r.stderr);
  }

  /** Runs and requires success. */
  ok(call: Call): Run {
    const r = this.run(call);
    if (r.status !== 0) throw new Error(`${call.command} failed (${r.status}): ${r.stdout}${r.stderr}`);
    return r;
  }

  /** Runs and requires failure; returns the CNI error object. */
  fails(call: Call): Json {
    const r = this.run(call);
    if (r.status === 0) throw new Error(`${call.command} should have failed: ${r.stdout}`);
    if (!r.json) throw new Error(`${call.command} failed without an error object: ${r.stdout}${r.stderr}`);
    return r.json;
  }

  /** Names of the links in a namespace. */
  links(ns: TestNs): string[] {
    return (ns.ipJson('link', 'show') as Json[]).map((l) => l.ifname as string);
  }

  link(ns: TestNs, name: string): Json {
    return ns.ipJson('-d', 'link', 'show', 'dev', name)[0];
  }

  /** Global addresses of a link as "addr/prefix". */
  addresses(ns: TestNs, name: string): string[] {
    const info = ns.ipJson('address', 'show', 'dev', name)[0];
    return (info.addr_info as Json[]).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
  }

  /** Masquerade-related iptables lines (both families) in the host namespace. */
  natRules(): string[] {
    return cniNatRules(this.host);
  }

  /** Comments of the nftables masquerade rules in the host namespace. */
  nftMasqRules(): string[] {
    const r = this.host.exec('nft', ['-j', 'list', 'chain', 'inet', 'cni_plugins_masquerade', 'masq_checks']);
    if (r.status !== 0) return [];
    return (JSON.parse(r.stdout).nftables as Json[]).filter((o) => o.rule).map((o) => o.rule.comment as string);
  }

  /** Rules of the spoof check (table bridge nat) in the host namespace. */
  spoofRules(): string[] {
    const r = this.host.exec('nft', ['-j', 'list', 'table', 'bridge', 'nat']);
    if (r.status !== 0) return [];
    return (JSON.parse(r.stdout).nftables as Json[])
      .filter((o) => o.rule || (o.chain && o.chain.name !== 'PREROUTING'))
      .map((o) => JSON.stringify(o));
  }

  /** Reservation files (IP addresses) host-local holds for any network. */
  reservations(): string[] {
    if (!fs.existsSync(this.dataDir)) return [];
    // Network directories hold one file per reserved address (host-local's own bookkeeping
    // lives in dot-directories beside them).
    return fs
      .readdirSync(this.dataDir)
      .filter((net) => !net.startsWith('.'))
      .flatMap((net) => fs.readdirSync(path.join(this.dataDir, net)).filter((f) => f !== 'lock' && !f.startsWith('last_reserved_ip')));
  }

  /** Everything an attachment can leave behind; all empty after a clean DEL or a failed ADD. */
  leftovers(bridge = 'cnitest0'): Json {
    return {
      hostLinks: this.links(this.host).filter((l) => l !== 'lo' && l !== bridge),
      containerLinks: this.topo.containers.flatMap((c) => (fs.existsSync(c.path) ? this.links(c).filter((l) => l !== 'lo') : [])),
      reservations: this.reservations(),
      natRules: this.natRules(),
      nftRules: this.nftMasqRules(),
      spoofRules: this.spoofRules(),
    };
  }
}

export const NOTHING_LEFT = { hostLinks: [], containerLinks: [], reservations: [], natRules: [], nftRules: [], spoofRules: [] };

/** Runs `fn` with a fresh sandbox, cleaned up afterwards even when it throws. */
export async function withSandbox<T>(fn: (s: Sandbox) => T | Promise<T>, containers = 1): Promise<T> {
  const s = new Sandbox(containers);
  try {
    return await fn(s);
  } finally {
    s.cleanup();
  }
}
