import { spawn } from 'node:child_process';
import path from 'node:path';
import type { TestNs } from '../../helpers/netns';
import { BUN } from '../netlink/bun';

// lib/net talks to the kernel through bun:ffi (lib/netlink), so the driver runs under Bun.
const ROOT = path.resolve(__dirname, '../../..');
const DRIVER = path.join(__dirname, 'driver-entry.ts');

export interface DriverError {
  name: string;
  message: string;
  kind?: string;
  step?: string;
  reason?: string;
  netnsGone?: boolean;
  stepIndex?: number;
}

export type DriverResult<T> = { ok: T; error?: undefined } | { ok?: undefined; error: DriverError };

/** Runs the driver (`body`, `arg`) as `file args… DRIVER body arg` and parses its one JSON answer. */
export function runDriver<T = any>(file: string, args: readonly string[], body: string, arg: unknown): Promise<DriverResult<T>> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args, DRIVER, body, JSON.stringify(arg)], { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve(JSON.parse(out) as DriverResult<T>);
      } catch {
        reject(new Error(`driver failed (exit ${code}): ${err || out}`));
      }
    });
  });
}

/**
 * Runs `body` (an async function body with `net` = lib/net and `arg` in scope) in a Bun process
 * inside `ns`, so that lib/net's current namespace is that test namespace.
 */
export function inNetns<T = any>(ns: TestNs, body: string, arg: unknown = null): Promise<DriverResult<T>> {
  return runDriver<T>('ip', ['netns', 'exec', ns.name, BUN, 'run'], body, arg);
}

/** Like inNetns, but throws if the body threw. */
export async function inNetnsOk<T = any>(ns: TestNs, body: string, arg: unknown = null): Promise<T> {
  const r = await inNetns<T>(ns, body, arg);
  if (r.error) throw new Error(`in ${ns.name}: ${r.error.message}`);
  return r.ok as T;
}
