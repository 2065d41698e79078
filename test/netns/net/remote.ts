import fs from 'node:fs';
import { netnsStatus, type Batch, type Netns } from '../../../lib/net';
import { BUN } from '../netlink/bun';
import { runDriver } from './in-netns';

// lib/net talks to the kernel through bun:ffi, which jest's Node lacks: `nsAt(path)` here is a
// stand-in whose calls (reads, and batches recorded step by step) run in a Bun process on the
// test's namespace path, results and NetErrors (as plain objects) coming back as JSON. Only
// namespace paths the tests made are ever named.

const REVIVE = `const revive = (v) => v && typeof v === 'object'
  ? (typeof v.__ns === 'string' ? net.nsAt(v.__ns) : Array.isArray(v) ? v.map(revive) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)])))
  : v;`;

async function call<T>(body: string, arg: unknown): Promise<T> {
  const r = await runDriver<T>(BUN, ['run'], `${REVIVE}\n${body}`, arg);
  if (r.error) throw Object.assign(new Error(String(r.error.message)), r.error);
  return (r.ok ?? undefined) as T; // the driver prints undefined as null
}

/** Netns's async interface, run remotely; batches are recorded and sent on `run()`. */
export type RemoteNs = Omit<Netns, 'batch' | 'sameAs' | 'handle'> & { batch(): Batch; sameAs(other: RemoteNs): boolean };

export function nsAt(nsPath: string): RemoteNs {
  const local = {
    ref: nsPath,
    isCurrent: false,
    toJSON: () => ({ __ns: nsPath }),
    status: () => netnsStatus(nsPath),
    sameAs: (other: RemoteNs) => {
      try {
        const a = fs.statSync(nsPath);
        const b = fs.statSync(other.ref);
        return a.dev === b.dev && a.ino === b.ino;
      } catch {
        return false;
      }
    },
    batch: (): Batch => {
      const steps: Array<[string, unknown[]]> = [];
      const b: Batch = new Proxy({} as Batch, {
        get: (_t, m: string) => {
          if (m === 'run') {
            return () =>
              call(`let b = net.nsAt(arg.path).batch(); for (const [m, a] of arg.steps) b = b[m](...revive(a)); return await b.run();`, {
                path: nsPath,
                steps,
              });
          }
          if (m === 'then') return undefined;
          return (...args: unknown[]) => {
            steps.push([m, args]);
            return b;
          };
        },
      });
      return b;
    },
  };
  return new Proxy(local as unknown as RemoteNs, {
    get: (t, m: string) => {
      if (m in t || typeof m !== 'string') return (t as Record<string, unknown>)[m];
      if (m === 'then') return undefined;
      return (...args: unknown[]) => call(`return await net.nsAt(arg.path)[arg.m](...revive(arg.args));`, { path: nsPath, m, args });
    },
  });
}
