import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeNamespace, makeTopology, type TestNs, type Topology } from '../../helpers/netns';
import { BIN_DIR, GO_BIN_DIR, pluginRun, runPlugin, spawnPlugin, type PluginCall, type PluginRun } from '../../helpers/run-plugin';

// cni-ts next to the plugins a node already runs: the Go IPAM and meta plugins of Debian's
// containernetworking-plugins 1.1.1 (/usr/lib/cni), a third-party-style IPAM stub, a DHCP
// server (busybox udhcpd) and the Go dhcp daemon, all inside the test's own namespaces.

export type Json = any;

/** Whose main plugin (bridge, macvlan) runs: ours, or the Go reference for comparison. */
export type Impl = 'cni-ts' | 'go';
export const IMPLS: Impl[] = ['go', 'cni-ts'];

export const ALL_VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
/** What the Go plugins 1.1.1 advertise. */
export const GO_VERSIONS = ALL_VERSIONS.filter((v) => v !== '1.1.0');

export function requireInterop(...goPlugins: string[]): void {
  if (!fs.existsSync(path.join(BIN_DIR, 'cni-ts'))) throw new Error(`${BIN_DIR}/cni-ts is missing: run "npm run build" first`);
  for (const p of goPlugins) {
    if (!fs.existsSync(path.join(GO_BIN_DIR, p)))
      throw new Error(`${GO_BIN_DIR}/${p} is missing: install Debian's containernetworking-plugins`);
  }
}

export function binDir(impl: Impl): string {
  return impl === 'cni-ts' ? BIN_DIR : GO_BIN_DIR;
}

/**
 * CNI_PATH as a node has it: for cni-ts its directory first (host-local is then ours), the Go
 * plugins after it; `extra` directories (a stub IPAM) in front.
 */
export function cniPath(impl: Impl, extra: string[] = []): string {
  return [...extra, ...(impl === 'cni-ts' ? [BIN_DIR, GO_BIN_DIR] : [GO_BIN_DIR])].join(':');
}

export function tempDir(role: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `cnits-${role}-`));
}

/** Temporary directories removed after each test of the file that imports this module. */
const dirs: string[] = [];
export function scratch(role: string): string {
  const d = tempDir(role);
  dirs.push(d);
  return d;
}
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** Runs plugin `type` of `impl` (or from /usr/lib/cni for a Go meta plugin) inside `host`. */
export function run(host: TestNs, impl: Impl, type: string, call: PluginCall & { cniPath?: string }): PluginRun {
  const dir = impl === 'cni-ts' && fs.existsSync(path.join(BIN_DIR, type)) ? BIN_DIR : GO_BIN_DIR;
  return runPlugin(host, type, { ...call, binDir: dir, env: { CNI_PATH: call.cniPath ?? cniPath(impl), ...call.env } });
}

export function ok(r: PluginRun, what: string): PluginRun {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stdout}${r.stderr}`);
  return r;
}

export function linkNames(ns: TestNs): string[] {
  return (ns.ipJson('link', 'show') as Json[]).map((l) => l.ifname as string);
}

export function globalAddresses(ns: TestNs, ifname: string): string[] {
  const [entry] = ns.ipJson('address', 'show', 'dev', ifname) as Json[];
  return ((entry?.addr_info ?? []) as Json[]).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
}

/** IPv4 routes of a namespace as "dst via gw dev" strings (kernel-made subnet routes left out). */
export function routes(ns: TestNs): string[] {
  return (ns.ipJson('-4', 'route', 'show') as Json[])
    .filter((r) => r.protocol !== 'kernel')
    .map((r) => `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''} dev ${r.dev}`);
}

/** MACs, veth names and sandbox paths differ between two runs; everything else must not. */
export function masked(result: Json): Json {
  const out = JSON.parse(JSON.stringify(result));
  for (const i of out.interfaces ?? []) {
    if (i.mac) i.mac = 'MAC';
    if (/^veth[0-9a-f]{8}$/.test(i.name)) i.name = 'VETH';
    if (i.sandbox) i.sandbox = 'SANDBOX';
  }
  // The Go library of 1.1.1 prints an empty dns object at 1.x.
  if (out.dns && Object.keys(out.dns).length === 0) delete out.dns;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Topologies

/** A host namespace with a bridge made beforehand (address 10.77.0.1/24), as a DHCP server needs. */
export interface BridgeNet extends Topology {
  bridge: string;
}

export function bridgeNet(opts: { containers?: number; bridge?: string; address?: string } = {}): BridgeNet {
  const topo = makeTopology({ containers: opts.containers ?? 1 });
  const bridge = opts.bridge ?? 'cnitsbr0';
  topo.host.ip('link', 'add', 'name', bridge, 'type', 'bridge');
  if (opts.address) topo.host.ip('address', 'add', opts.address, 'dev', bridge);
  topo.host.ip('link', 'set', bridge, 'up');
  return { ...topo, bridge };
}

/**
 * A host namespace whose macvlan master `mvup0` is one end of a veth; the other end lives in a
 * "server" namespace (address 10.78.0.1/24) where a DHCP server can listen.
 */
export interface MacvlanNet extends Topology {
  master: string;
  server: TestNs;
  serverIf: string;
}

export function macvlanNet(opts: { containers?: number; serverAddress?: string } = {}): MacvlanNet {
  const topo = makeTopology({ containers: opts.containers ?? 1 });
  const server = makeNamespace('srv');
  const master = 'mvup0';
  const serverIf = 'srv0';
  topo.host.ip('link', 'add', 'name', master, 'type', 'veth', 'peer', 'name', serverIf, 'netns', server.name);
  topo.host.ip('link', 'set', master, 'up');
  server.ip('address', 'add', opts.serverAddress ?? '10.78.0.1/24', 'dev', serverIf);
  server.ip('link', 'set', serverIf, 'up');
  return { ...topo, master, server, serverIf, cleanup: () => [topo.host, ...topo.containers, server].forEach((n) => n.delete()) };
}

// ---------------------------------------------------------------------------------------------
// DHCP: busybox udhcpd as the server, the Go dhcp daemon as the client side of the dhcp plugin

export interface DhcpServer {
  leaseFile: string;
  /** Leases the server holds as "mac ip expires" lines (after asking it to write them out). */
  leases(): Promise<string[]>;
}

/** busybox udhcpd serving `start`..`end` on `ifname` inside `ns`. */
export async function startUdhcpd(ns: TestNs, ifname: string, range: { start: string; end: string; router: string }): Promise<DhcpServer> {
  const dir = scratch('udhcpd');
  const leaseFile = path.join(dir, 'leases');
  fs.writeFileSync(leaseFile, '');
  const conf = path.join(dir, 'udhcpd.conf');
  fs.writeFileSync(
    conf,
    [
      `start ${range.start}`,
      `end ${range.end}`,
      `interface ${ifname}`,
      `pidfile ${path.join(dir, 'pid')}`,
      `lease_file ${leaseFile}`,
      'opt subnet 255.255.255.0',
      `opt router ${range.router}`,
      'opt lease 3600',
      '',
    ].join('\n'),
  );
  // -a: short ARP probe before an offer, the test network is empty.
  const server = await ns.background('busybox', ['udhcpd', '-f', '-a', '100', conf]);
  return {
    leaseFile,
    leases: async () => {
      process.kill(server.pid, 'SIGUSR1');
      await sleep(300);
      const r = spawnSync('busybox', ['dumpleases', '-f', leaseFile], { encoding: 'utf8' });
      return r.stdout
        .split('\n')
        .slice(1)
        .map((l) => l.trim().split(/\s+/).join(' '))
        .filter(Boolean);
    },
  };
}

export interface DhcpDaemon {
  socket: string;
  /** What the daemon logged so far. */
  log(): string;
}

/**
 * The Go `dhcp daemon` inside `ns` with its socket in a temporary directory. It enters each
 * request's CNI_NETNS itself; it never acts on the namespace it runs in.
 */
export async function startDhcpDaemon(ns: TestNs, opts: { timeout?: string; resendMax?: string } = {}): Promise<DhcpDaemon> {
  const dir = scratch('dhcpd');
  const socket = path.join(dir, 'dhcp.sock');
  const logFile = path.join(dir, 'daemon.log');
  const args = ['daemon', '-socketpath', socket, '-timeout', opts.timeout ?? '5s', '-resendmax', opts.resendMax ?? '5s'];
  // sh execs the daemon: the process the namespace helper kills at cleanup is the daemon itself.
  await ns.background('sh', ['-c', `exec ${GO_BIN_DIR}/dhcp ${args.join(' ')} >${logFile} 2>&1`]);
  for (let i = 0; !fs.existsSync(socket); i++) {
    if (i > 200) throw new Error(`dhcp daemon did not create ${socket}: ${fs.readFileSync(logFile, 'utf8')}`);
    await sleep(25);
  }
  return { socket, log: () => fs.readFileSync(logFile, 'utf8') };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------------------------
// Third-party-style IPAM: a shell script that logs each call and prints a fixed result

export interface StubIpam {
  dir: string;
  type: string;
  /** One entry per call: command, container id, ifname, netns and the stdin it got. */
  calls(): Array<{ command: string; containerId: string; ifName: string; netns: string; stdin: Json }>;
}

export function stubIpam(type: string, result: Json): StubIpam {
  const dir = scratch('stub');
  const log = path.join(dir, 'calls');
  fs.mkdirSync(log);
  const resultFile = path.join(dir, 'result.json');
  fs.writeFileSync(resultFile, JSON.stringify(result));
  const script = [
    '#!/bin/sh',
    `n=$(ls ${log} | wc -l)`,
    `f=${log}/$(printf %03d "$n")`,
    'printf "%s\\n%s\\n%s\\n%s\\n" "$CNI_COMMAND" "$CNI_CONTAINERID" "$CNI_IFNAME" "$CNI_NETNS" > "$f.env"',
    'cat > "$f.stdin"',
    'case "$CNI_COMMAND" in',
    `ADD) cat ${resultFile} ;;`,
    'VERSION) echo \'{"cniVersion":"1.1.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}\' ;;',
    'esac',
    'exit 0',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, type), script, { mode: 0o755 });
  return {
    dir,
    type,
    calls: () =>
      fs
        .readdirSync(log)
        .filter((f) => f.endsWith('.env'))
        .sort()
        .map((f) => {
          const [command, containerId, ifName, netns] = fs.readFileSync(path.join(log, f), 'utf8').split('\n');
          const stdin = fs.readFileSync(path.join(log, f.replace(/\.env$/, '.stdin')), 'utf8');
          return { command, containerId, ifName, netns, stdin: JSON.parse(stdin) };
        }),
  };
}

// ---------------------------------------------------------------------------------------------
// A libcni-shaped runtime: conflists, prevResult flowing, a result cache, GC and STATUS

export interface NetList {
  cniVersion: string;
  name: string;
  plugins: Json[];
}

export interface RuntimeConf {
  containerId: string;
  netns: string;
  ifName: string;
  /** CNI_ARGS as libcni joins them. */
  args?: string;
  capabilityArgs?: Record<string, unknown>;
}

interface Cached {
  list: string;
  rt: RuntimeConf;
  result: Json;
}

function versionAtLeast(v: string, min: string): boolean {
  const a = v.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

/** JSON with keys sorted at every level, compact: how libcni re-marshals a plugin's config. */
function sortedJson(v: unknown): string {
  const sort = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(sort)
      : x && typeof x === 'object'
        ? Object.fromEntries(
            Object.keys(x)
              .sort()
              .map((k) => [k, sort((x as Record<string, unknown>)[k])]),
          )
        : x;
  return JSON.stringify(sort(v));
}

export interface Invocation {
  type: string;
  command: string;
  stdin: Json;
  run: PluginRun;
}

/** libcni's buildOneConfig: name and cniVersion from the list, prevResult, runtimeConfig of declared capabilities. */
export function buildOneConfig(list: NetList, plugin: Json, prevResult: Json | undefined, rt?: RuntimeConf): Json {
  const conf: Json = { ...plugin, name: list.name, cniVersion: list.cniVersion };
  if (prevResult !== undefined) conf.prevResult = prevResult;
  const rc: Record<string, unknown> = {};
  for (const [cap, on] of Object.entries((plugin.capabilities ?? {}) as Record<string, boolean>)) {
    if (on && rt?.capabilityArgs && cap in rt.capabilityArgs) rc[cap] = rt.capabilityArgs[cap];
  }
  if (Object.keys(rc).length > 0) conf.runtimeConfig = rc;
  return conf;
}

/**
 * Drives conflists the way libcni 1.2 does (libcni/api.go): buildOneConfig injects name,
 * cniVersion, prevResult and the runtimeConfig of declared capabilities; ADD in order, CHECK with
 * the cached result, DEL in reverse with the cached result (>= 0.4.0); GC first DELs the cached
 * attachments not in the valid list, then (>= 1.1.0) sends GC to every plugin with
 * `cni.dev/valid-attachments` injected only when the runtime passed GCArgs; STATUS (>= 1.1.0).
 * Plugins are looked up in CNI_PATH order, inside the test's host namespace.
 */
export class Runtime {
  readonly cache = new Map<string, Cached>();
  readonly invocations: Invocation[] = [];

  constructor(
    readonly host: TestNs,
    readonly path: string[],
  ) {}

  private find(type: string): string {
    for (const dir of this.path) if (fs.existsSync(path.join(dir, type))) return path.join(dir, type);
    throw new Error(`failed to find plugin "${type}" in path [${this.path.join(' ')}]`);
  }

  private env(command: string, rt?: RuntimeConf): Record<string, string> {
    return {
      PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: rt?.containerId ?? '',
      CNI_NETNS: rt?.netns ?? '',
      CNI_ARGS: rt?.args ?? '',
      CNI_IFNAME: rt?.ifName ?? '',
      CNI_PATH: this.path.join(':'),
    };
  }

  private exec(type: string, command: string, conf: Json, rt?: RuntimeConf): PluginRun {
    const stdin = sortedJson(conf);
    const r = spawnSync('ip', ['netns', 'exec', this.host.name, this.find(type)], {
      env: this.env(command, rt),
      input: stdin,
      encoding: 'utf8',
    });
    if (r.error) throw r.error;
    const run = pluginRun(r.status ?? 1, r.stdout, r.stderr);
    this.invocations.push({ type, command, stdin: conf, run });
    return run;
  }

  /** Same call without blocking (containerd's concurrent loopback + pod ADDs). */
  async execAsync(type: string, command: string, conf: Json, rt: RuntimeConf): Promise<PluginRun> {
    return spawnPlugin('ip', ['netns', 'exec', this.host.name, this.find(type)], this.env(command, rt), sortedJson(conf));
  }

  private key(list: string, rt: RuntimeConf): string {
    return `${list}-${rt.containerId}-${rt.ifName}`;
  }

  add(list: NetList, rt: RuntimeConf): Json {
    let result: Json;
    for (const plugin of list.plugins) {
      const r = this.exec(plugin.type, 'ADD', buildOneConfig(list, plugin, result, rt), rt);
      if (r.status !== 0) throw new Error(`plugin type="${plugin.type}" failed (add): ${r.stdout}${r.stderr}`);
      result = r.json;
    }
    this.cache.set(this.key(list.name, rt), { list: list.name, rt, result });
    return result;
  }

  /** libcni.AddNetworkList's error text, or undefined when it succeeded. */
  addFails(list: NetList, rt: RuntimeConf): string | undefined {
    try {
      this.add(list, rt);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  }

  check(list: NetList, rt: RuntimeConf): void {
    if (!versionAtLeast(list.cniVersion, '0.4.0'))
      throw new Error(`configuration version "${list.cniVersion}" does not support the CHECK command`);
    const cached = this.cache.get(this.key(list.name, rt))?.result;
    for (const plugin of list.plugins) {
      const r = this.exec(plugin.type, 'CHECK', buildOneConfig(list, plugin, cached, rt), rt);
      if (r.status !== 0) throw new Error(`plugin type="${plugin.type}" failed (check): ${r.stdout}${r.stderr}`);
    }
  }

  /** CHECK of each plugin with the cached result, not stopping at a failure (libcni stops). */
  checkEach(list: NetList, rt: RuntimeConf): Invocation[] {
    const cached = this.cache.get(this.key(list.name, rt))?.result;
    return list.plugins.map((plugin) => {
      this.exec(plugin.type, 'CHECK', buildOneConfig(list, plugin, cached, rt), rt);
      return this.invocations[this.invocations.length - 1];
    });
  }

  del(list: NetList, rt: RuntimeConf): void {
    const key = this.key(list.name, rt);
    const cached = versionAtLeast(list.cniVersion, '0.4.0') ? this.cache.get(key)?.result : undefined;
    for (const plugin of [...list.plugins].reverse()) {
      const r = this.exec(plugin.type, 'DEL', buildOneConfig(list, plugin, cached, rt), rt);
      if (r.status !== 0) throw new Error(`plugin type="${plugin.type}" failed (delete): ${r.stdout}${r.stderr}`);
    }
    this.cache.delete(key);
  }

  /** GCNetworkList; `validAttachments` undefined = no GCArgs (cnitool gc), null = GCArgs with a nil list. */
  gc(list: NetList, validAttachments?: Array<{ containerID: string; ifname: string }> | null): string[] {
    const errors: string[] = [];
    const valid = new Set((validAttachments ?? []).map((a) => `${a.containerID}\n${a.ifname}`));
    for (const c of [...this.cache.values()]) {
      if (c.list !== list.name || valid.has(`${c.rt.containerId}\n${c.rt.ifName}`)) continue;
      try {
        this.del(list, c.rt);
      } catch (e) {
        errors.push(`failed to delete stale attachment ${c.rt.containerId} ${c.rt.ifName}: ${(e as Error).message}`);
      }
    }
    if (versionAtLeast(list.cniVersion, '1.1.0')) {
      for (const plugin of list.plugins) {
        const conf: Json = { ...plugin, name: list.name, cniVersion: list.cniVersion };
        if (validAttachments !== undefined) conf['cni.dev/valid-attachments'] = validAttachments;
        const r = this.exec(plugin.type, 'GC', conf);
        if (r.status !== 0) errors.push(`failed to GC plugin ${plugin.type}: ${r.stdout}${r.stderr}`);
      }
    }
    return errors;
  }

  /** GetStatusNetworkList: stops at the first failing plugin. */
  status(list: NetList): string | undefined {
    if (!versionAtLeast(list.cniVersion, '1.1.0')) return undefined;
    for (const plugin of list.plugins) {
      const r = this.exec(plugin.type, 'STATUS', { ...plugin, name: list.name, cniVersion: list.cniVersion });
      if (r.status !== 0) return `${plugin.type}: ${r.stdout}${r.stderr}`;
    }
    return undefined;
  }
}
