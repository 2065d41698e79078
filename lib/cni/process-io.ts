import type { PluginIo } from './plugin';

// In the Bun executable each Node module a call touches costs resident memory and start-up time
// (node:fs ~3 MiB and ~2 ms, the process.stdout stream another 3-5 MiB). VERSION, the most
// frequent call, needs neither: stdin is read with Bun.stdin (node:fs only under Node), and
// results go out through Bun's console.write (the text written to fd 1 as it is, no stream);
// under Node (unit tests), through process.stdout.

/** Bun's unformatted write to fd 1: the bytes written, or a promise when the pipe was full. */
type ConsoleWrite = (text: string) => number | Promise<number>;
const consoleWrite = (console as Console & { write?: ConsoleWrite }).write?.bind(console);

/** The rest of a write a full pipe did not take (a slow or non-blocking reader), in order. */
let pendingStdout: Promise<unknown> | undefined;

/**
 * Bun's reader of fd 0: reads a non-blocking pipe to its end (the EAGAIN fallback below, through
 * process.stdin, failed there under Bun) and loads no Node module.
 */
const bunStdin = (globalThis as { Bun?: { stdin: { bytes(): Promise<Uint8Array> } } }).Bun?.stdin;

async function readAllStdin(): Promise<Buffer> {
  if (bunStdin) {
    const bytes = await bunStdin.bytes();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('node:fs') as typeof import('node:fs');
  try {
    return fs.readFileSync(0);
  } catch (e) {
    // A non-blocking stdin (inherited from some runtimes' pipes) answers EAGAIN to a
    // synchronous read; the stream API waits for data instead.
    if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }
}

function writeStdout(text: string): void {
  if (!consoleWrite) {
    process.stdout.write(text);
  } else if (pendingStdout) {
    pendingStdout = pendingStdout.then(() => consoleWrite(text));
  } else {
    const written = consoleWrite(text);
    if (typeof written !== 'number') pendingStdout = written;
  }
}

export function processIo(): PluginIo {
  return {
    env: process.env,
    readStdin: readAllStdin,
    stdout: writeStdout,
    stderr: (t) => process.stderr.write(t),
  };
}

/**
 * Resolves once all stdout text is written (a reader that went away loses it, as with a stream);
 * process.exit() before that would cut off a result larger than the pipe's buffer.
 */
export async function flushStdout(): Promise<void> {
  await pendingStdout?.catch(() => undefined);
}
