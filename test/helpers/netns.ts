import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';

// Throwaway network namespaces for tests that touch the kernel (DESIGN.md testing rules).
//
// Every namespace is named `cnits-p<pid>-<random>-<role>`: the prefix lets the global teardown
// (test/helpers/global-teardown.js) find leftovers, the pid tells it whether the run that made
// one is still alive (several suites may run at once), the random part keeps names unique.
//
// Cleanup cannot be forgotten: importing this module registers an afterEach (namespaces made
// inside a test are deleted after that test) and an afterAll (everything else made by the test
// file); what a killed worker leaves behind, the global teardown removes. Processes started
// inside a namespace are killed before it is deleted.

export const NS_PREFIX = 'cnits-';

export interface Background {
  readonly pid: number;
  /** /proc/<pid>/ns/net of the process: a namespace path of the kind runtimes pass. */
  readonly nsPath: string;
  kill(): void;
}

export interface TestNs {
  /** Name under /run/netns. */
  readonly name: string;
  /** /run/netns/<name>, the CNI_NETNS form. */
  readonly path: string;
  /** `ip -n <name> ARGS`; throws with stderr unless it succeeds; returns stdout. */
  ip(...args: string[]): string;
  /** `ip -n <name> -json ARGS`, parsed. */
  ipJson<T = any>(...args: string[]): T;
  /** Runs a program inside the namespace (`ip netns exec`), whatever its exit status. */
  exec(file: string, args?: string[], input?: string): SpawnSyncReturns<string>;
  /** Same, throwing unless it exits 0; returns stdout. */
  execOk(file: string, args?: string[], input?: string): string;
  /** Starts a long-running program inside the namespace; killed at cleanup. */
  background(file: string, args?: string[]): Promise<Background>;
  /** Reads /proc/sys/<key> inside the namespace. */
  sysctl(key: string): string;
  delete(): void;
}

export interface Topology {
  /** Where plugins run (`ip netns exec <host> <binary>`): stands in for the machine's namespace. */
  host: TestNs;
  /** Container namespaces. */
  containers: TestNs[];
  /** containers[0]. */
  ctr: TestNs;
  cleanup(): void;
}

const live = new Map<string, { ns: TestNs; scope: 'test' | 'file' }>();
const children = new Map<string, ChildProcess[]>();

function run(file: string, args: string[], input?: string): SpawnSyncReturns<string> {
  const r = spawnSync(file, args, { encoding: 'utf8', input: input ?? '', env: { ...process.env, LC_ALL: 'C' } });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('the netns suite must run as root');
}

/** A unique namespace name with the owner's pid in it (see global-teardown.js). */
export function nsName(role: string): string {
  if (!/^[a-z0-9-]{1,20}$/.test(role)) throw new Error(`bad namespace role ${role}`);
  return `${NS_PREFIX}p${process.pid}-${crypto.randomBytes(4).toString('hex')}-${role}`;
}

function inTest(): boolean {
  try {
    return Boolean(expect.getState().currentTestName);
  } catch {
    return false;
  }
}

function deleteNamespace(name: string): void {
  for (const child of children.get(name) ?? []) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.delete(name);
  // A process that got in by other means would keep the namespace alive after its name is gone.
  const pids = run('ip', ['netns', 'pids', name]).stdout.split(/\s+/).filter(Boolean).map(Number);
  for (const pid of pids) {
    if (pid > 1 && pid !== process.pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  if (fs.existsSync(`/run/netns/${name}`)) {
    forgetNamespaceState(fs.statSync(`/run/netns/${name}`).ino);
    run('ip', ['netns', 'delete', name]);
  }
  live.delete(name);
}

/**
 * bridge keeps per-namespace state in /run/cni-ts keyed by the namespace's inode (GC marks,
 * locks). The kernel reuses the inode for a later namespace, so the state goes with the namespace:
 * an old GC mark would otherwise make a later test's rules look stale for long.
 */
function forgetNamespaceState(ino: number): void {
  const dir = '/run/cni-ts';
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir)) {
    if (new RegExp(`^[a-z-]+-${ino}-`).test(entry)) fs.rmSync(`${dir}/${entry}`, { force: true });
  }
}

/** Creates one namespace with lo up. */
export function makeNamespace(role: string): TestNs {
  requireRoot();
  const name = nsName(role);
  ok(run('ip', ['netns', 'add', name]), `ip netns add ${name}`);
  const ns: TestNs = {
    name,
    path: `/run/netns/${name}`,
    ip: (...args) => ok(run('ip', ['-n', name, ...args]), `ip -n ${name} ${args.join(' ')}`),
    ipJson: (...args) => JSON.parse(ok(run('ip', ['-n', name, '-json', ...args]), `ip -n ${name} -json ${args.join(' ')}`) || '[]'),
    exec: (file, args = [], input) => run('ip', ['netns', 'exec', name, file, ...args], input),
    execOk: (file, args = [], input) =>
      ok(run('ip', ['netns', 'exec', name, file, ...args], input), `${file} ${args.join(' ')} in ${name}`),
    background: (file, args = []) => startIn(name, file, args),
    sysctl: (key) => ok(run('ip', ['netns', 'exec', name, 'cat', `/proc/sys/${key}`]), `read ${key} in ${name}`).trim(),
    delete: () => deleteNamespace(name),
  };
  live.set(name, { ns, scope: inTest() ? 'test' : 'file' });
  ns.ip('link', 'set', 'lo', 'up');
  return ns;
}

async function startIn(name: string, file: string, args: string[]): Promise<Background> {
  const target = fs.statSync(`/run/netns/${name}`).ino;
  // `ip netns exec` enters the namespace and then execs the program in the same process.
  const child = spawn('ip', ['netns', 'exec', name, file, ...args], { stdio: 'ignore' });
  if (child.pid === undefined) throw new Error(`could not start ${file} in ${name}`);
  const list = children.get(name) ?? [];
  list.push(child);
  children.set(name, list);
  const pid = child.pid;
  const nsPath = `/proc/${pid}/ns/net`;
  for (let i = 0; ; i++) {
    try {
      if (fs.statSync(nsPath).ino === target) break;
    } catch {
      // not there yet
    }
    if (i > 500) throw new Error(`${file} did not enter ${name}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return { pid, nsPath, kill: () => child.kill('SIGKILL') };
}

/** A host namespace and `containers` container namespaces (default 1). */
export function makeTopology(opts: { containers?: number } = {}): Topology {
  const host = makeNamespace('host');
  const containers: TestNs[] = [];
  for (let i = 0; i < (opts.containers ?? 1); i++) containers.push(makeNamespace(`ctr${i}`));
  return {
    host,
    containers,
    ctr: containers[0],
    cleanup: () => [host, ...containers].forEach((n) => n.delete()),
  };
}

/** Deletes every namespace this process made (all, or those made inside the current test). */
export function cleanupNamespaces(scope: 'test' | 'all' = 'all'): void {
  for (const [name, entry] of [...live]) if (scope === 'all' || entry.scope === 'test') deleteNamespace(name);
}

if (typeof afterEach === 'function') afterEach(() => cleanupNamespaces('test'));
if (typeof afterAll === 'function') afterAll(() => cleanupNamespaces('all'));
