import fs from 'node:fs';
import path from 'node:path';
import { CniError, ErrCode } from './errors';
import type { Command, Env, Plugin, Request } from './plugin';
import { parseResult, type Result } from './result';
import { dispatch } from './skel';

let selfIdentity: { dev: number; ino: number } | null | undefined;

/** Same search as the Go library's FindInPath: the first regular file named `type` in CNI_PATH. */
export function findInPath(type: string, dirs: readonly string[]): string {
  if (type === '') throw new CniError(ErrCode.InvalidNetworkConfig, 'no plugin name provided');
  if (type.includes('/')) throw new CniError(ErrCode.InvalidNetworkConfig, `invalid plugin name: ${type}`);
  for (const dir of dirs) {
    const candidate = path.join(dir, type);
    try {
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new CniError(ErrCode.InvalidNetworkConfig, `failed to find plugin "${type}" in path [${dirs.join(' ')}]`);
}

/** Running as the built binary (a Bun single-file executable), not from sources under jest or bun. */
function isSingleExecutable(): boolean {
  return (globalThis as { Bun?: { isStandaloneExecutable?: boolean } }).Bun?.isStandaloneExecutable === true;
}

/** The file the delegate resolved to is this very executable (under another name or link). */
function isThisExecutable(file: string): boolean {
  if (selfIdentity === undefined) {
    selfIdentity = null;
    if (isSingleExecutable()) {
      const st = fs.statSync(process.execPath);
      selfIdentity = { dev: st.dev, ino: st.ino };
    }
  }
  if (!selfIdentity) return false;
  const st = fs.statSync(file);
  return st.dev === selfIdentity.dev && st.ino === selfIdentity.ino;
}

/** What a plugin run left behind: its exit status and everything it printed. */
export interface PluginOutcome {
  status: number;
  stdout: string;
  stderr: string;
}

async function runInProcess(plugin: Plugin, cmd: Command, req: Request): Promise<PluginOutcome> {
  let stdout = '';
  let stderr = '';
  const status = await dispatch(plugin, {
    env: { ...req.env, CNI_COMMAND: cmd },
    readStdin: async () => req.stdin,
    plugins: req.plugins,
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  return { status, stdout, stderr };
}

function execOnce(file: string, env: Env, stdin: Buffer | string): Promise<PluginOutcome> {
  // Loaded here, not with the module: node:child_process costs every call of the executable ~2.5
  // MiB and ~1.5 ms, and with cni-ts's own IPAM in-process most calls never start a process.
  // (lib/cni may not import lib/net, whose childProcess() does the same.)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(file, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.stdin.on('error', () => undefined); // a plugin may exit without reading stdin
    child.on('close', (code, signal) =>
      resolve({
        status: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.end(stdin);
  });
}

/**
 * Runs the plugin executable `file` with exactly `env` and `stdin`. A binary being replaced (e.g.
 * by an installer) fails with ETXTBSY for a moment: retried like libcni. Rejects only when the
 * file cannot be started at all; a plugin that fails is a resolved outcome with its status.
 */
export async function execPlugin(file: string, env: Env, stdin: Buffer | string): Promise<PluginOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await execOnce(file, env, stdin);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ETXTBSY' && attempt < 5) {
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      throw e;
    }
  }
}

async function exec(file: string, cmd: Command, req: Request): Promise<PluginOutcome> {
  try {
    return await execPlugin(file, { ...req.env, CNI_COMMAND: cmd }, req.stdin);
  } catch (e) {
    throw new CniError(ErrCode.Internal, `failed to run IPAM plugin ${file}: ${(e as Error).message}`);
  }
}

/** The CNI error object a failed plugin printed on stdout, or undefined when it printed none. */
export function errorFromOutput(stdout: string): CniError | undefined {
  const text = stdout.trim();
  if (text === '') return undefined;
  try {
    const e = JSON.parse(text) as { code?: unknown; msg?: unknown; details?: unknown };
    if (typeof e.code === 'number' && typeof e.msg === 'string') {
      return new CniError(e.code, e.msg, typeof e.details === 'string' ? e.details : undefined);
    }
  } catch {
    // not a CNI error object
  }
  return undefined;
}

function delegateError(type: string, o: PluginOutcome): CniError {
  const parsed = errorFromOutput(o.stdout);
  if (parsed) return parsed;
  const why = o.stdout.trim() || o.stderr.trim() || `exit status ${o.status}`;
  return new CniError(ErrCode.Internal, `IPAM plugin ${type} failed: ${why}`);
}

/** Where IPAM plugin `type` is found in CNI_PATH, and our own handler when that file is this executable. */
function resolveDelegate(type: string, req: Request): { file: string; local?: Plugin } {
  const file = findInPath(type, req.path);
  const local = req.plugins?.(type);
  return local !== undefined && isThisExecutable(file) ? { file, local } : { file };
}

/**
 * Whether `delegate` runs IPAM plugin `type` in-process: only then may a main plugin ask IPAM
 * before its container interface exists (any other IPAM, dhcp for one, may act on that interface).
 * Throws as `delegate` would when CNI_PATH has no such plugin.
 */
export function delegatesInProcess(type: string, req: Request): boolean {
  return resolveDelegate(type, req).local !== undefined;
}

/**
 * Runs the IPAM plugin `type` for `cmd` the way the spec describes (found in CNI_PATH, same
 * environment but CNI_COMMAND, same stdin), returning its result on ADD. When CNI_PATH resolves
 * to this same executable the plugin runs in-process through the same dispatcher, which saves a
 * whole runtime start-up and gives byte-identical behaviour.
 */
export async function delegate(cmd: Command, type: string, req: Request): Promise<Result | undefined> {
  const { file, local } = resolveDelegate(type, req);
  if (req.env.CNI_TS_TRACE) process.stderr.write(`cni-ts: delegate ${cmd} ${type}: ${local ? 'in-process' : `exec ${file}`}\n`);
  const outcome = local ? await runInProcess(local, cmd, req) : await exec(file, cmd, req);
  if (outcome.stderr) process.stderr.write(outcome.stderr);
  if (outcome.status !== 0) throw delegateError(type, outcome);
  if (cmd !== 'ADD') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(outcome.stdout);
  } catch {
    throw new CniError(ErrCode.DecodingFailure, `IPAM plugin ${type} printed no valid result: ${outcome.stdout.slice(0, 200)}`);
  }
  return parseResult(json, req.cniVersion);
}
