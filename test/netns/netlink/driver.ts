// Runs lib/netlink for the netns suite under Bun (bun:ffi needs it; jest runs under Node):
//
//   bun run driver.ts ops        reads {"ops": [...]} on stdin, prints one result per op (JSON)
//   bun run driver.ts hold FILE  takes flock(LOCK_EX) on FILE, prints "locked", holds it until
//                                stdin closes
//   bun run driver.ts try FILE   prints "locked" or "busy" (LOCK_NB)
//   bun run driver.ts wait FILE  blocks in flock(LOCK_EX), then prints "locked"
//   bun run driver.ts bench N NS N x (open NS by path, setns in, socket, link dump), for timings
//   bun run driver.ts noop       start-up only
//
// An op is {"op": "<Rtnl method>", "args": [...], "ns": "/run/netns/x"} (ns absent: the namespace
// the driver runs in), or one of the special ops below. An argument {"$ns": PATH} stands for that
// namespace opened as a NetnsHandle. Results: {"ok": true, "value": ...} or {"ok": false, ...error}.
import fs from 'node:fs';
import {
  lockFileSync,
  NetnsHandle,
  nftChainExists,
  nftRemoveChains,
  nftTableExists,
  tryLockFile,
  type NftFamily,
  type Rtnl,
} from '../../../lib/netlink';

type Op = { op: string; args?: unknown[]; ns?: string };

const handles = new Map<string, NetnsHandle>();

function handle(path: string | undefined): NetnsHandle {
  const key = path ?? '';
  let h = handles.get(key);
  if (!h) {
    h = path === undefined ? NetnsHandle.host() : NetnsHandle.open(path);
    handles.set(key, h);
  }
  return h;
}

function resolveArgs(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(resolveArgs);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.$ns === 'string') return handle(o.$ns);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolveArgs(x)]));
  }
  return v;
}

const threadNs = () => fs.statSync('/proc/thread-self/ns/net').ino;
const startNs = threadNs();

function special(o: Op): unknown {
  const args = (o.args ?? []) as never[];
  switch (o.op) {
    case 'open':
      return NetnsHandle.open(args[0]).path;
    case 'writeSysctl':
      return handle(o.ns).writeSysctl(args[0], args[1]);
    case 'readSysctl':
      return handle(o.ns).readSysctl(args[0]);
    // Runs a callback that throws inside the namespace: the thread must come back all the same.
    case 'throwInside':
      return handle(o.ns).run(() => {
        throw new Error(`thrown inside, thread in ${threadNs() === startNs ? 'start' : 'other'} namespace`);
      });
    case 'threadInside':
      return handle(o.ns).run(() => threadNs() !== startNs);
    case 'threadAtStart':
      return threadNs() === startNs;
    case 'asyncInside':
      return handle(o.ns).run(() => Promise.resolve(1) as unknown as number);
    case 'nftTableExists':
      return handle(o.ns).run(() => nftTableExists(args[0] as NftFamily, args[1]));
    case 'nftChainExists':
      return handle(o.ns).run(() => nftChainExists(args[0] as NftFamily, args[1], args[2]));
    case 'nftRemoveChains':
      return handle(o.ns).run(() => nftRemoveChains(args[0] as NftFamily, args[1], args.slice(2)));
    default:
      return undefined;
  }
}

function run(o: Op): unknown {
  if (
    [
      'open',
      'writeSysctl',
      'readSysctl',
      'throwInside',
      'threadInside',
      'threadAtStart',
      'asyncInside',
      'nftTableExists',
      'nftChainExists',
      'nftRemoveChains',
    ].includes(o.op)
  )
    return special(o);
  const rtnl = handle(o.ns).rtnl();
  const fn = (rtnl as unknown as Record<string, unknown>)[o.op];
  if (typeof fn !== 'function') throw new Error(`no such op ${o.op}`);
  const value = (fn as (...a: unknown[]) => unknown).apply(rtnl as Rtnl, resolveArgs(o.args ?? []) as unknown[]);
  return value instanceof Map ? Object.fromEntries(value) : value;
}

function errorOf(e: unknown): Record<string, unknown> {
  const x = e as Record<string, unknown> & Error;
  return {
    name: x.name,
    message: x.message,
    kind: x.kind,
    errno: x.errno,
    code: x.code,
    reason: x.reason,
    step: x.step,
    netnsGone: x.netnsGone,
  };
}

function ops(): void {
  const { ops: list } = JSON.parse(fs.readFileSync(0, 'utf8')) as { ops: Op[] };
  const out = list.map((o) => {
    try {
      return { ok: true, value: run(o) ?? null };
    } catch (e) {
      return { ok: false, ...errorOf(e) };
    }
  });
  process.stdout.write(JSON.stringify({ results: out, threadAtStart: threadNs() === startNs }));
}

async function main(): Promise<void> {
  const [mode, arg] = process.argv.slice(2);
  if (mode === 'ops') return ops();
  // Start-up alone (modules loaded, nothing done), the floor of `bench` in measure.sh.
  if (mode === 'noop') return;
  if (mode === 'hold') {
    const lock = lockFileSync(arg);
    process.stdout.write('locked\n');
    for await (const _ of process.stdin) {
      // held until stdin closes
    }
    lock.release();
    return;
  }
  if (mode === 'try') {
    const lock = tryLockFile(arg);
    process.stdout.write(lock ? 'locked\n' : 'busy\n');
    lock?.release();
    return;
  }
  if (mode === 'wait') {
    lockFileSync(arg).release();
    process.stdout.write('locked\n');
    return;
  }
  if (mode === 'bench') {
    const [path, n] = [process.argv[4], Number(arg)];
    let links = 0;
    for (let i = 0; i < n; i++) {
      const ns = NetnsHandle.open(path);
      links = ns.rtnl().links().length;
      ns.close();
    }
    process.stdout.write(`${links}\n`);
    return;
  }
  throw new Error(`unknown mode ${mode}`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
