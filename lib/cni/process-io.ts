import fs from 'node:fs';
import type { PluginIo } from './plugin';

async function readAllStdin(): Promise<Buffer> {
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

export function processIo(): PluginIo {
  return {
    env: process.env,
    readStdin: readAllStdin,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  };
}
