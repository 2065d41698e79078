import type { Command, Env, Plugin, PluginIo, Request } from '../../../lib/cni/plugin';
import type { Result } from '../../../lib/cni/result';
import { ALL_VERSIONS } from '../../../lib/cni/version';

/** A PluginIo in memory: what a dispatch printed, and whether it read stdin at all. */
export interface MemoryIo {
  io: PluginIo;
  stdout(): string;
  stderr(): string;
  stdinReads(): number;
}

export function memoryIo(env: Env, stdin: string | Buffer | Error = ''): MemoryIo {
  let out = '';
  let err = '';
  let reads = 0;
  return {
    io: {
      env,
      readStdin: async () => {
        reads++;
        if (stdin instanceof Error) throw stdin;
        return Buffer.isBuffer(stdin) ? stdin : Buffer.from(stdin);
      },
      stdout: (t) => (out += t),
      stderr: (t) => (err += t),
    },
    stdout: () => out,
    stderr: () => err,
    stdinReads: () => reads,
  };
}

export interface FakePlugin extends Plugin {
  calls: { command: Command; req: Request }[];
  /** What add() returns, or throws when it is an Error (or any non-Result value). */
  addAnswer: Result | unknown;
  /** Thrown by every other handler when set. */
  failWith?: unknown;
}

export function fakePlugin(supportedVersions: readonly string[] = ALL_VERSIONS, name = 'fake'): FakePlugin {
  const p: FakePlugin = {
    name,
    supportedVersions,
    calls: [],
    addAnswer: { cniVersion: '1.1.0', ips: [{ address: '10.1.0.5/16', gateway: '10.1.0.1' }] } satisfies Result,
    async add(req) {
      p.calls.push({ command: 'ADD', req });
      if (p.addAnswer instanceof Error || typeof p.addAnswer !== 'object' || p.addAnswer === null) throw p.addAnswer;
      return p.addAnswer as Result;
    },
    async del(req) {
      p.calls.push({ command: 'DEL', req });
      if (p.failWith !== undefined) throw p.failWith;
    },
    async check(req) {
      p.calls.push({ command: 'CHECK', req });
      if (p.failWith !== undefined) throw p.failWith;
    },
    async status(req) {
      p.calls.push({ command: 'STATUS', req });
      if (p.failWith !== undefined) throw p.failWith;
    },
    async gc(req) {
      p.calls.push({ command: 'GC', req });
      if (p.failWith !== undefined) throw p.failWith;
    },
  };
  return p;
}
