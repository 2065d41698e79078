import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cniNatRules } from '../../helpers/rules';
import { makeNamespace, makeTopology, type TestNs, type Topology } from '../../helpers/netns';

// Shared by the reliability suites: the built plugins run the way a runtime runs them, inside a
// throwaway host namespace, with host-local's dataDir in a temporary directory, and a helper that
// lists everything an attachment can leave behind in those namespaces.

export const ROOT = path.resolve(__dirname, '../../..');
export const BIN = path.join(ROOT, 'dist', 'bin');
export const PLUGINS = ['bridge', 'macvlan', 'dummy', 'host-local'] as const;
export type Plugin = (typeof PLUGINS)[number];
export const VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export const MASTER = 'mvup0';
export const BRIDGE = 'cnirel0';

export type Json = any;

export function requireBinaries(): void {
  for (const p of PLUGINS) if (!fs.existsSync(path.join(BIN, p))) throw new Error(`${BIN}/${p} missing: run "npm run build" first`);
}

/** mulberry32: a small seeded generator, so a failing fuzz case can be replayed. */
export function rng(seed: number): { next(): number; int(n: number): number; pick<T>(a: readonly T[]): T; chance(p: number): boolean } {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (a) => a[Math.floor(next() * a.length)], chance: (p) => next() < p };
}

export interface Call {
  plugin: Plugin;
  command: string;
  /** Object (serialised) or raw stdin text. */
  conf: unknown;
  netns?: string;
  containerId?: string;
  ifName?: string;
  args?: string;
  /** Variables to remove from the environment. */
  unset?: string[];
  env?: Record<string, string>;
  cwd?: string;
}

export interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  json?: Json;
}

export const CALL_TIMEOUT_MS = 30_000;

export function envFor(call: Call, ctrPath: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: call.command,
    CNI_CONTAINERID: call.containerId ?? 'ctr1',
    CNI_NETNS: call.netns ?? ctrPath,
    CNI_IFNAME: call.ifName ?? 'eth0',
    CNI_PATH: BIN,
    CNI_ARGS: call.args ?? '',
    ...call.env,
  };
  for (const k of call.unset ?? []) delete env[k];
  return env;
}

function stdinOf(conf: unknown): string {
  return typeof conf === 'string' ? conf : JSON.stringify(conf);
}

function finish(status: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string, timedOut: boolean): Run {
  const run: Run = { status, signal, stdout, stderr, timedOut };
  try {
    if (stdout.trim()) run.json = JSON.parse(stdout);
  } catch {
    // not JSON
  }
  return run;
}

/** Runs a plugin synchronously inside `host`, SIGKILLed after CALL_TIMEOUT_MS. */
export function runSync(host: TestNs, ctrPath: string, call: Call): Run {
  const r = spawnSync('ip', ['netns', 'exec', host.name, path.join(BIN, call.plugin)], {
    env: envFor(call, ctrPath),
    input: stdinOf(call.conf),
    encoding: 'utf8',
    timeout: CALL_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    cwd: call.cwd,
  });
  const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
  const timedOut = code === 'ETIMEDOUT';
  // EPIPE: the plugin answered without reading all of stdin (VERSION, early errors); legitimate.
  if (r.error && !timedOut && code !== 'EPIPE') throw r.error;
  return finish(r.status, r.signal, r.stdout ?? '', r.stderr ?? '', timedOut);
}

export interface Started {
  pid: number;
  done: Promise<Run>;
  kill(): void;
}

/** Starts a plugin inside `host` (`ip netns exec` execs it, so the pid is the plugin's). */
export function start(host: TestNs, ctrPath: string, call: Call): Started {
  const child = spawn('ip', ['netns', 'exec', host.name, path.join(BIN, call.plugin)], { env: envFor(call, ctrPath), cwd: call.cwd });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.on('error', () => undefined);
  child.stdin.end(stdinOf(call.conf));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, CALL_TIMEOUT_MS);
  const done = new Promise<Run>((resolve) =>
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve(finish(status, signal, stdout, stderr, timedOut));
    }),
  );
  return { pid: child.pid ?? -1, done, kill: () => child.kill('SIGKILL') };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * What is wrong with the shape of a plugin's answer: exit 0 or 1 only; on 1, stdout is one
 * JSON object with an integer code and a string msg; never a stack trace on stdout; never a hang.
 */
export function shapeProblem(r: Run): string | undefined {
  if (r.timedOut) return 'hang (killed after timeout)';
  if (r.signal) return `killed by ${r.signal}`;
  if (/\n\s+at .+(\(|:\d+)/.test(r.stdout) || /^\w*Error: /m.test(r.stdout)) return 'stack trace on stdout';
  if (r.status === 0) return undefined;
  if (r.status !== 1) return `exit status ${r.status}`;
  if (r.json === undefined) return `exit 1 without a JSON object on stdout: ${JSON.stringify(r.stdout.slice(0, 200))}`;
  if (typeof r.json !== 'object' || r.json === null || Array.isArray(r.json)) return 'error is not a JSON object';
  if (!Number.isInteger(r.json.code)) return `error code is not an integer: ${JSON.stringify(r.json.code)}`;
  if (typeof r.json.msg !== 'string') return 'error msg is not a string';
  return undefined;
}

/** A host namespace with a macvlan master, container namespaces, a deep temporary work dir. */
export class Env {
  readonly topo: Topology;
  /** Everything the plugins may write lives under `tmp`; dataDir is deep so `../..` stays inside. */
  readonly tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-rel-'));
  readonly dataDir = path.join(this.tmp, 'a', 'b', 'c', 'd', 'e', 'data');
  readonly cwd = path.join(this.tmp, 'cwd');

  constructor(containers = 1) {
    this.topo = makeTopology({ containers });
    this.host.ip('link', 'add', 'name', MASTER, 'type', 'veth', 'peer', 'name', 'mvup1');
    this.host.ip('link', 'set', MASTER, 'up');
    this.host.ip('link', 'set', 'mvup1', 'up');
    fs.mkdirSync(this.dataDir, { recursive: true });
    fs.mkdirSync(this.cwd);
  }

  get host(): TestNs {
    return this.topo.host;
  }

  get ctr(): TestNs {
    return this.topo.ctr;
  }

  /** One more container namespace (deleted with the sandbox). */
  addContainer(): TestNs {
    const ns = makeNamespace(`ctr${this.topo.containers.length}`);
    this.topo.containers.push(ns);
    return ns;
  }

  cleanup(): void {
    this.topo.cleanup();
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }

  run(call: Call, ctr: TestNs = this.ctr): Run {
    return runSync(this.host, ctr.path, { cwd: this.cwd, ...call });
  }

  start(call: Call, ctr: TestNs = this.ctr): Started {
    return start(this.host, ctr.path, { cwd: this.cwd, ...call });
  }

  ok(call: Call, ctr: TestNs = this.ctr): Run {
    const r = this.run(call, ctr);
    if (r.status !== 0) throw new Error(`${call.plugin} ${call.command} failed (${r.status}): ${r.stdout}${r.stderr}`);
    return r;
  }

  ipam(extra: Record<string, unknown> = {}): Json {
    return { type: 'host-local', dataDir: this.dataDir, ranges: [[{ subnet: '10.77.0.0/24' }]], ...extra };
  }

  /** A valid config for `plugin` on network `name`. */
  conf(plugin: Plugin, cniVersion = '1.0.0', name = 'relnet', extra: Record<string, unknown> = {}): Json {
    const base: Json = { cniVersion, name, type: plugin };
    switch (plugin) {
      case 'bridge':
        return { ...base, bridge: BRIDGE, isGateway: true, ipMasq: true, ipam: this.ipam(), ...extra };
      case 'macvlan':
        return { ...base, master: MASTER, ipam: this.ipam({ ranges: [[{ subnet: '10.78.0.0/24' }]] }), ...extra };
      case 'dummy':
        return { ...base, ipam: this.ipam({ ranges: [[{ subnet: '10.79.0.0/24' }]] }), ...extra };
      case 'host-local':
        return { ...base, ipam: this.ipam(), ...extra };
    }
  }

  links(ns: TestNs): Json[] {
    return ns.ipJson('-d', 'link', 'show');
  }

  /** Reservation files of every network in dataDir (and anything odd: symlinks, empty files). */
  reservations(): string[] {
    // Every reserved-address file under dataDir, at any depth: a fuzzed dataDir may be a
    // subdirectory of it. Directories themselves (network dirs) are not reservations.
    const out: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (e.name.startsWith('.')) continue;
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name !== 'lock' && !e.name.startsWith('last_reserved_ip')) out.push(path.relative(this.dataDir, p));
      }
    };
    if (fs.existsSync(this.dataDir)) walk(this.dataDir);
    return out.sort();
  }

  /** Files anywhere under tmp that are outside dataDir and cwd is empty too. */
  strayFiles(): string[] {
    const out: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (p === this.dataDir) continue;
        if (e.isDirectory() && this.dataDir.startsWith(p + path.sep)) walk(p);
        else out.push(path.relative(this.tmp, p));
      }
    };
    walk(this.tmp);
    return out.filter((p) => p !== 'cwd').concat(fs.readdirSync(this.cwd).map((f) => `cwd/${f}`));
  }

  natRules(): string[] {
    return cniNatRules(this.host);
  }

  nftRules(): string[] {
    const out: string[] = [];
    for (const [family, table] of [
      ['inet', 'cni_plugins_masquerade'],
      ['bridge', 'nat'],
    ]) {
      const r = this.host.exec('nft', ['-j', 'list', 'table', family, table]);
      if (r.status !== 0) continue;
      for (const o of JSON.parse(r.stdout).nftables as Json[]) {
        // postrouting's fixed three rules are the shared base chain, rewritten by every ADD.
        if (o.rule && o.rule.chain !== 'postrouting') out.push(`${family} ${table} ${o.rule.chain} ${o.rule.comment ?? ''}`);
      }
    }
    return out;
  }

  /**
   * Everything an attachment can leave: host links other than lo, the macvlan master pair and
   * the shared bridge (which, like the reference, is never deleted), container links other than
   * lo, reservations, masquerade / spoof-check rules.
   */
  leftovers(): Json {
    const keep = new Set(['lo', MASTER, 'mvup1', BRIDGE]);
    return {
      hostLinks: this.links(this.host)
        .map((l) => l.ifname as string)
        .filter((n) => !keep.has(n)),
      containerLinks: this.topo.containers.flatMap((c) =>
        fs.existsSync(c.path)
          ? this.links(c)
              .map((l) => l.ifname as string)
              .filter((n) => n !== 'lo')
          : [],
      ),
      reservations: this.reservations(),
      natRules: this.natRules(),
      nftRules: this.nftRules(),
    };
  }
}

export const NOTHING_LEFT = { hostLinks: [], containerLinks: [], reservations: [], natRules: [], nftRules: [] };

export async function withEnv<T>(fn: (e: Env) => T | Promise<T>, containers = 1): Promise<T> {
  const e = new Env(containers);
  try {
    return await fn(e);
  } finally {
    e.cleanup();
  }
}

/** Recursive listing (path + type) of a directory, for "nothing appeared here" checks. */
export function listTree(root: string, skip: (p: string) => boolean = () => false): Set<string> {
  const out = new Set<string>();
  const walk = (dir: string, depth: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (skip(p)) continue;
      out.add(p);
      if (e.isDirectory() && depth < 3) walk(p, depth + 1);
    }
  };
  walk(root, 0);
  return out;
}
