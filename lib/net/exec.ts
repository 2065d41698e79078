import { spawn } from 'node:child_process';

export interface ExecResult {
  /** Exit status; -1 when the program could not be started. */
  status: number;
  stdout: string;
  stderr: string;
}

// iproute2 and the kernel's strerror texts are matched to classify errors, so they must not be
// translated.
let childEnv: NodeJS.ProcessEnv | undefined;
function env(): NodeJS.ProcessEnv {
  childEnv ??= { ...process.env, LC_ALL: 'C' };
  return childEnv;
}

/** Runs a program with `input` on stdin and collects its output. Never rejects. */
export function execFile(file: string, args: readonly string[], input = ''): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env() });
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
