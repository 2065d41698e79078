// Entry of the helper process in-netns.ts runs inside a test namespace: there, lib/net's
// "current namespace" is the test's host namespace, never the machine's. It runs the async
// function body given on the command line with `net` (lib/net) in scope and prints
// {"ok": value} or {"error": {...}} as JSON.
import * as net from '../../../lib/net';

const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
  ...args: string[]
) => (...a: unknown[]) => Promise<unknown>;

async function main(): Promise<void> {
  const body = process.argv[2] ?? '';
  const arg: unknown = JSON.parse(process.argv[3] ?? 'null');
  try {
    const value = await new AsyncFunction('net', 'arg', body)(net, arg);
    process.stdout.write(JSON.stringify({ ok: value ?? null }));
  } catch (e) {
    const err = e as Record<string, unknown>;
    process.stdout.write(
      JSON.stringify({
        error: {
          name: err.name,
          message: err.message,
          kind: err.kind,
          step: err.step,
          reason: err.reason,
          netnsGone: err.netnsGone,
          stepIndex: err.stepIndex,
        },
      }),
    );
  }
}

void main();
