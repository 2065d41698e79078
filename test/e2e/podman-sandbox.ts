import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// podman 4.3 with its CNI backend, confined to a throwaway "host" network namespace and a private
// mount namespace, so that nothing it does reaches the machine:
// - a holder process (`unshare --net --mount`) owns both namespaces; every podman command joins
//   them with `nsenter --target <holder> --mount --net` (not `ip netns exec`, whose /sys remount
//   hides the cgroup v1 mounts runc needs). The network namespace has no name under /run/netns:
//   nothing can delete it under a running test (another run's teardown sweeping `cnits-*`
//   names), and it vanishes with its last process;
// - the holder's mount namespace has its own tmpfs on /run (podman's container netns bind mounts,
//   runc state), /var/lib (libcni's result cache /var/lib/cni/results, podman's blob cache),
//   /var/tmp (image import scratch space) and /dev/shm (podman's lock segment);
// - storage, configuration, CNI config dir and host-local dataDir live in one temp dir, podman's
//   HOME included; the holder reads its stdin, so it ends when this process dies.

export const PREFIX = 'cnits-e2e-';
const APPLETS = ['sh', 'ip', 'ping', 'sleep', 'cat', 'ls'];
const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

function sh(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: Buffer | string } = {}): SpawnSyncReturns<string> {
  // A hung podman fails the test instead of hanging the suite (jest cannot interrupt spawnSync).
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000, killSignal: 'SIGKILL', ...opts });
  if (r.error) throw r.error;
  return r;
}

export function must(cmd: string, args: string[]): string {
  const r = sh(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

function which(cmd: string): boolean {
  return sh('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Fails (never skips) when the machine lacks what the suite needs. */
export function requireEngine(pluginDir: string, plugins: string[]): void {
  if (process.getuid?.() !== 0) throw new Error('the e2e suite needs root');
  for (const cmd of ['podman', 'runc', 'conmon', 'nsenter', 'unshare', 'tar', 'iptables-save', 'ip6tables-save', 'nft']) {
    if (!which(cmd)) throw new Error(`${cmd} is missing (CI installs podman, runc and busybox-static through .ci/run)`);
  }
  if (!fs.existsSync('/bin/busybox')) throw new Error('/bin/busybox is missing: install busybox-static');
  for (const p of plugins) {
    if (!fs.existsSync(path.join(pluginDir, p))) throw new Error(`${path.join(pluginDir, p)} is missing: run "npm run build" first`);
  }
}

/** Live processes whose command line contains one of the strings, as `pid: cmdline`. */
export function processesMentioning(needles: string[]): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      continue;
    }
    if (cmdline && needles.some((n) => cmdline.includes(n))) found.push(`${pid}: ${cmdline}`);
  }
  return found;
}

/** podman's own environment, as when started with `env -i`; conmon's cleanup inherits it. */
function podmanEnv(tmp: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? HOST_PATH,
    HOME: path.join(tmp, 'home'),
    CONTAINERS_CONF: path.join(tmp, 'containers.conf'),
    CONTAINERS_STORAGE_CONF: path.join(tmp, 'storage.conf'),
  };
}

/**
 * Clears what a killed run left: its holder died with it (stdin closed), but its containers and
 * their conmon keep the namespaces alive until `sleep` ends. A sandbox whose holder still runs
 * belongs to a live run and is left alone. Returns what it removed.
 */
export function sweepLeftovers(): string[] {
  const swept: string[] = [];
  for (const name of fs.readdirSync(os.tmpdir())) {
    const m = /^(cnits-e2e-[0-9a-z]+)-\w+$/.exec(name);
    if (!m) continue;
    const dir = path.join(os.tmpdir(), name);
    const procs = processesMentioning([m[1]]);
    if (procs.some((p) => !p.includes(dir))) continue;
    const conmon = procs.find((p) => /^\d+: \S*conmon /.test(p));
    if (conmon) {
      const enter = ['--target', conmon.split(':')[0], '--mount', '--net', 'podman'];
      for (const args of [
        ['rm', '-a', '-f', '-t', '0'],
        ['system', 'reset', '-f'],
      ])
        sh('nsenter', [...enter, ...args], { env: podmanEnv(dir) });
    }
    for (const p of processesMentioning([dir])) {
      try {
        process.kill(Number(p.split(':')[0]), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
    swept.push(dir);
  }
  return swept;
}

export class PodmanSandbox {
  /** Names the holder process (its `$0`), so a leftover is recognisable in `ps`. */
  readonly label = `${PREFIX}${process.pid.toString(36)}${crypto.randomBytes(3).toString('hex')}`;
  readonly tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${this.label}-`));
  readonly netConfDir = path.join(this.tmp, 'net.d');
  readonly dataDir = path.join(this.tmp, 'host-local');
  private holder: ChildProcess | undefined;
  private holderExit: Promise<void> | undefined;
  private env: NodeJS.ProcessEnv = {};

  private constructor(readonly pluginDir: string) {}

  static async create(pluginDir: string): Promise<PodmanSandbox> {
    sweepLeftovers();
    const sb = new PodmanSandbox(pluginDir);
    try {
      sb.writeConfig();
      await sb.startHolder();
      sb.importImage();
    } catch (e) {
      await sb.destroy();
      throw e;
    }
    return sb;
  }

  private writeConfig(): void {
    for (const d of ['net.d', 'tmp', 'home', 'host-local']) fs.mkdirSync(path.join(this.tmp, d));
    const conf = path.join(this.tmp, 'containers.conf');
    const storage = path.join(this.tmp, 'storage.conf');
    fs.writeFileSync(
      conf,
      [
        '[containers]',
        'default_ulimits = []',
        '[network]',
        'network_backend = "cni"',
        `cni_plugin_dirs = [${JSON.stringify(this.pluginDir)}]`,
        `network_config_dir = ${JSON.stringify(this.netConfDir)}`,
        '[engine]',
        'runtime = "runc"',
        'cgroup_manager = "cgroupfs"',
        'events_logger = "file"',
        `tmp_dir = ${JSON.stringify(path.join(this.tmp, 'tmp'))}`,
        '',
      ].join('\n'),
    );
    fs.writeFileSync(
      storage,
      [
        '[storage]',
        'driver = "vfs"',
        `graphroot = ${JSON.stringify(path.join(this.tmp, 'root'))}`,
        `runroot = ${JSON.stringify(path.join(this.tmp, 'run'))}`,
        '',
      ].join('\n'),
    );
    this.env = podmanEnv(this.tmp);
  }

  private startHolder(): Promise<void> {
    const script = [
      'set -e',
      'mount -t tmpfs tmpfs /run',
      'mount -t tmpfs tmpfs /var/lib',
      'mount -t tmpfs tmpfs /var/tmp',
      'mount -t tmpfs tmpfs /dev/shm',
      'ip link set lo up',
      'echo ready',
      'exec cat >/dev/null',
    ].join('\n');
    const child = spawn('unshare', ['--net', '--mount', '--propagation', 'private', 'sh', '-c', script, this.label], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.holder = child;
    this.holderExit = new Promise((resolve) => child.once('exit', () => resolve()));
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready\n')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`namespace holder exited (${code}): ${err}`)));
      child.once('error', reject);
    });
  }

  /** A busybox image made locally: the static busybox plus a few applet links, through `podman import`. */
  private importImage(): void {
    const rootfs = path.join(this.tmp, 'rootfs');
    fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
    fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
    fs.chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
    for (const a of APPLETS) fs.symlinkSync('busybox', path.join(rootfs, 'bin', a));
    const tar = spawnSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 64 * 1024 * 1024 });
    if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
    const r = this.podman(['import', '-', IMAGE], tar.stdout);
    if (r.status !== 0) throw new Error(`podman import failed: ${r.stderr}`);
  }

  /** Writes a conflist into podman's network config dir. */
  addNetwork(conflist: { name: string; [key: string]: unknown }): void {
    fs.writeFileSync(path.join(this.netConfDir, `${conflist.name}.conflist`), JSON.stringify(conflist, null, 2));
  }

  private enter(): string[] {
    if (!this.holder?.pid) throw new Error('the namespace holder is not running');
    return ['--target', String(this.holder.pid), '--mount', '--net'];
  }

  podman(args: string[], input?: Buffer | string): Run {
    const r = sh('nsenter', [...this.enter(), 'podman', ...args], { env: this.env, input });
    return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
  }

  /** podman, throwing with its stderr on failure; returns trimmed stdout. */
  ok(args: string[]): string {
    const r = this.podman(args);
    if (r.status !== 0) throw new Error(`podman ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return r.stdout.trim();
  }

  /** A command inside the holder's namespaces (host netns + private mounts). */
  inHost(cmd: string, args: string[]): Run {
    const r = sh('nsenter', [...this.enter(), cmd, ...args]);
    return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
  }

  /** `ip <args>` in the host namespace. */
  hostIp(args: string[]): string {
    return must('nsenter', [...this.enter(), 'ip', ...args]);
  }

  hostLinks(): Array<{ ifname: string; master?: string; link_type?: string; linkinfo?: { info_kind?: string } }> {
    return JSON.parse(this.hostIp(['-j', '-d', 'link', 'show']) || '[]');
  }

  /**
   * Masquerade state in the host namespace, whichever backend made it: iptables nat rules and CNI-*
   * chains (iptables-save, the distribution's default iptables), nft masquerade rules and chains
   * named CNI-* (nft list ruleset). An empty nftables table or base chain is not a rule.
   */
  masqueradeRules(): string[] {
    const out: string[] = [];
    for (const tool of ['iptables-save', 'ip6tables-save']) {
      const r = this.inHost(tool, ['-t', 'nat']);
      if (r.status !== 0) throw new Error(`${tool} failed in the host namespace: ${r.stderr}`);
      out.push(...r.stdout.split('\n').filter((l) => /MASQUERADE|CNI-/.test(l)));
    }
    const nft = this.inHost('nft', ['list', 'ruleset']);
    if (nft.status !== 0) throw new Error(`nft list ruleset failed in the host namespace: ${nft.stderr}`);
    out.push(
      ...nft.stdout
        .split('\n')
        .filter((l) => /\bmasquerade\b|CNI-/.test(l))
        .map((l) => l.trim()),
    );
    return out;
  }

  /** host-local reservations of a network: its files besides lock and last_reserved_ip.N. */
  reservations(network: string): Map<string, string> {
    const dir = path.join(this.dataDir, network);
    const out = new Map<string, string>();
    if (!fs.existsSync(dir)) return out;
    for (const f of fs.readdirSync(dir)) {
      if (f === 'lock' || f.startsWith('last_reserved_ip')) continue;
      out.set(f, fs.readFileSync(path.join(dir, f), 'utf8'));
    }
    return out;
  }

  /** Everything this sandbox made goes, whatever state the scenario left; safe to call twice. */
  async destroy(): Promise<string[]> {
    const problems: string[] = [];
    if (this.holder?.pid && this.holder.exitCode === null && this.holder.signalCode === null) {
      for (const args of [
        ['rm', '-a', '-f', '-t', '0'],
        ['system', 'reset', '-f'],
      ]) {
        const r = this.podman(args);
        if (r.status !== 0) problems.push(`podman ${args.join(' ')}: ${r.stderr.trim()}`);
      }
      this.holder.kill('SIGKILL');
    }
    await this.holderExit;
    this.holder = undefined;
    fs.rmSync(this.tmp, { recursive: true, force: true });
    return problems;
  }
}

export const IMAGE = 'localhost/cnits-busybox';
