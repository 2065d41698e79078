import { SYSTEM_DIRS } from './tools';

export interface ExecResult {
  /** Exit status; -1 when the program could not be started. */
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * node:child_process, loaded on first use: it costs every call of the executable ~2.5 MiB and
 * ~1.5 ms, and most calls (macvlan, host-local, bridge without masquerade) start no process.
 */
export function childProcess(): typeof import('node:child_process') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('node:child_process') as typeof import('node:child_process');
}

/**
 * The whole environment of every helper (iptables-save/-restore and nft for lib/netfilter; flock(1)
 * only where Node runs lib/net, in tests),
 * built from scratch rather than filtered: the runtime's may carry LD_LIBRARY_PATH with an empty
 * entry (the working directory, where another user may plant a libc.so.6), LD_PRELOAD,
 * BASH_FUNC_*, ENV or SHELLOPTS for /bin/sh, NODE_OPTIONS, BUN_*, and the CNI_* of the request.
 * None of the tools needs anything from it. LC_ALL=C: the tools' and the kernel's strerror texts
 * are matched to classify errors, so they must not be translated.
 */
export const HELPER_ENV: Readonly<Record<string, string>> = Object.freeze({ PATH: SYSTEM_DIRS.join(':'), LC_ALL: 'C' });

/** Runs a program with `input` on stdin and collects its output. Never rejects. */
export function execFile(file: string, args: readonly string[], input = ''): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = childProcess().spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...HELPER_ENV } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let startError: Error | undefined;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    // A tool that exits early (a failing batch) closes its stdin: EPIPE is not our error.
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => (startError = e));
    child.on('close', (code, signal) =>
      resolve({
        status: startError ? -1 : (code ?? (signal ? 128 : -1)),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: startError ? `${file}: ${startError.message}` : Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.end(input);
  });
}
