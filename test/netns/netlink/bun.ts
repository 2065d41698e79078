import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import type { TestNs } from '../../helpers/netns';

// Runs test/netns/netlink/driver.ts under Bun inside a throwaway namespace (`ip netns exec`), so
// lib/netlink's FFI layer runs for real while jest stays under Node.

const root = path.resolve(__dirname, '../../..');
export const BUN = path.join(root, 'node_modules/@oven/bun-linux-x64/bin/bun');
const DRIVER = path.join(__dirname, 'driver.ts');

export interface Op {
  op: string;
  args?: unknown[];
  /** Namespace path the op works in; absent: the one the driver runs in. */
  ns?: string;
}

export type Result =
  | { ok: true; value: any }
  | { ok: false; name: string; message: string; kind?: string; errno?: number; code?: string; reason?: string; netnsGone?: boolean };

/** Runs the ops in one Bun process inside `where`; throws if the process itself fails. */
export function runOps(where: TestNs, ops: Op[]): { results: Result[]; threadAtStart: boolean } {
  const r = spawnSync('ip', ['netns', 'exec', where.name, BUN, 'run', DRIVER, 'ops'], {
    input: JSON.stringify({ ops }),
    encoding: 'utf8',
    cwd: root,
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
  });
  if (r.status !== 0) throw new Error(`driver failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Runs the ops and expects every one to succeed; returns their values. */
export function okOps(where: TestNs, ops: Op[]): any[] {
  const { results } = runOps(where, ops);
  results.forEach((res, i) => {
    if (!res.ok) throw new Error(`op ${i} ${JSON.stringify(ops[i])} failed: ${res.message}`);
  });
  return results.map((res) => (res.ok ? res.value : undefined));
}

/** One op that must fail; returns its error. */
export function failOp(where: TestNs, op: Op): Extract<Result, { ok: false }> {
  const [res] = runOps(where, [op]).results;
  if (res.ok) throw new Error(`op ${JSON.stringify(op)} succeeded`);
  return res;
}

/** The driver in one of its lock modes. */
export function lockProcess(mode: 'hold' | 'try' | 'wait', file: string): ChildProcessWithoutNullStreams {
  return spawn(BUN, ['run', DRIVER, mode, file], { cwd: root, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
}

export function firstLine(child: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code} before a line: ${err}`)));
  });
}
