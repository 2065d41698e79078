import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// A throwaway "node" network namespace with "pod" namespaces beside it, a NETCONFPATH holding
// copies of conf-examples with host-local's dataDir moved to a temp dir, and a temp CNI cache.
// The CLI always runs inside the node namespace; nothing touches the machine's own namespace.

export const ROOT = path.resolve(__dirname, '../../..');
export const EXAMPLES = path.join(ROOT, 'conf-examples');
export const CLI = path.join(ROOT, 'dist', 'bin', 'cni-ts');

export interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
}

function sh(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) throw r.error;
  return r;
}

export function must(cmd: string, args: string[]): string {
  const r = sh(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export function requireRootAndBinary(): void {
  if (process.getuid?.() !== 0) throw new Error('the netns suite needs root');
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
}

export class Sandbox {
  readonly suffix = `${process.pid.toString(36)}${crypto.randomBytes(3).toString('hex')}`;
  readonly node = `cnits-cli-node-${this.suffix}`;
  readonly tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-cli-'));
  readonly netconf = path.join(this.tmp, 'net.d');
  readonly dataDir = path.join(this.tmp, 'host-local');
  readonly cache = path.join(this.tmp, 'cache');
  private readonly namespaces: string[] = [];

  constructor(readonly cniPath: string) {
    fs.mkdirSync(this.netconf);
    for (const file of fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.conflist'))) {
      const conf = JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8'));
      for (const p of conf.plugins) if (p.ipam?.type === 'host-local') p.ipam.dataDir = this.dataDir;
      fs.writeFileSync(path.join(this.netconf, file), JSON.stringify(conf, null, 2));
    }
    this.addNamespace(this.node);
  }

  private addNamespace(name: string): void {
    must('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
  }

  /** A pod namespace; returns its path, the netns argument of the CLI. */
  pod(label: string): { ns: string; path: string } {
    const ns = `cnits-cli-${label}-${this.suffix}`;
    this.addNamespace(ns);
    return { ns, path: `/run/netns/${ns}` };
  }

  /** `ip netns exec <node> dist/bin/cni-ts <args>` with this sandbox's config, plugins and cache. */
  cli(args: string[], env: Record<string, string> = {}): CliRun {
    const base = { ...process.env };
    for (const v of ['CNI_IFNAME', 'CNI_ARGS', 'CAP_ARGS', 'CNI_COMMAND']) delete base[v];
    const r = sh('ip', ['netns', 'exec', this.node, CLI, ...args], {
      env: { ...base, NETCONFPATH: this.netconf, CNI_PATH: this.cniPath, CNI_CACHE_DIR: this.cache, ...env },
    });
    return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
  }

  /** Runs `ip -j <args>` in a namespace and parses the answer. */
  ipJson<T = Array<Record<string, unknown>>>(ns: string, args: string[]): T {
    return JSON.parse(must('ip', ['-n', ns, '-j', ...args]) || '[]') as T;
  }

  /** Reservation files of a host-local network (its lock and last_reserved_ip.N do not count). */
  reservations(network: string): string[] {
    const dir = path.join(this.dataDir, network);
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f !== 'lock' && !f.startsWith('last_reserved_ip')) : [];
  }

  cacheEntries(): string[] {
    const dir = path.join(this.cache, 'results');
    return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  }

  /** nat rules in the node namespace beyond the built-in chains' policies. */
  natRules(): string[] {
    const out: string[] = [];
    for (const tool of ['iptables', 'ip6tables']) {
      const r = sh('ip', ['netns', 'exec', this.node, tool, '-t', 'nat', '-S']);
      if (r.status === 0) out.push(...r.stdout.split('\n').filter((l) => l.startsWith('-A') || l.startsWith('-N')));
    }
    const nft = sh('ip', ['netns', 'exec', this.node, 'nft', 'list', 'ruleset']);
    if (nft.status === 0)
      out.push(
        ...nft.stdout
          .split('\n')
          .filter((l) => /\bmasquerade\b/.test(l))
          .map((l) => l.trim()),
      );
    return out;
  }

  ping(ns: string, address: string): boolean {
    for (let i = 0; i < 3; i++) if (sh('ip', ['netns', 'exec', ns, 'ping', '-c', '1', '-W', '2', '-n', address]).status === 0) return true;
    return false;
  }

  destroy(): void {
    for (const ns of this.namespaces.reverse()) sh('ip', ['netns', 'delete', ns]);
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}
