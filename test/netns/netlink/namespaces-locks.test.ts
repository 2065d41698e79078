import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeTopology, requireRoot } from '../../helpers/netns';
import { flockWaiters, until } from '../../helpers/proc-locks';
import { firstLine, lockProcess, okOps, runOps } from './bun';

// NetnsHandle (open by path, setns in and back, sockets and sysctls inside) and flock(2)
// through lib/netlink under Bun.

beforeAll(requireRoot);
// Each op list is a Bun process: seconds apiece inside user-mode-linux.
jest.setTimeout(60_000);

test('namespaces: opened and checked once, the thread always back where it started', () => {
  const t = makeTopology();
  const { results, threadAtStart } = runOps(t.host, [
    { op: 'threadInside', ns: t.ctr.path },
    { op: 'throwInside', ns: t.ctr.path },
    { op: 'threadAtStart' },
    { op: 'asyncInside', ns: t.ctr.path },
    { op: 'threadAtStart' },
    { op: 'open', args: [`/run/netns/${t.ctr.name}-gone`] },
    { op: 'open', args: ['/proc/self/ns/uts'] },
    { op: 'open', args: ['/etc/hostname'] },
    { op: 'open', args: [`/proc/${process.pid}/ns/net`] },
  ]);
  expect(results[0]).toEqual({ ok: true, value: true });
  expect(results[1]).toMatchObject({ ok: false, message: 'thrown inside, thread in other namespace' });
  expect(results[2]).toEqual({ ok: true, value: true });
  expect(results[3]).toMatchObject({ ok: false, name: 'TypeError', message: expect.stringMatching(/synchronous/) });
  expect(results[4]).toEqual({ ok: true, value: true });
  expect(results[5]).toMatchObject({ ok: false, kind: 'notfound', netnsGone: true, reason: 'no such network namespace' });
  expect(results[6]).toMatchObject({ ok: false, reason: 'not a network namespace', netnsGone: false });
  expect(results[7]).toMatchObject({ ok: false, reason: 'not a network namespace' });
  expect(results[8].ok).toBe(true);
  expect(threadAtStart).toBe(true);
});

test('sysctls are written and read inside the target namespace only', () => {
  const t = makeTopology();
  const before = t.host.sysctl('net/ipv4/ip_forward');
  const [, value, missing] = runOps(t.host, [
    { op: 'writeSysctl', args: ['net/ipv4/ip_forward', 1], ns: t.ctr.path },
    { op: 'readSysctl', args: ['net/ipv4/ip_forward'], ns: t.ctr.path },
    { op: 'writeSysctl', args: ['net/ipv4/conf/nope0/forwarding', 1], ns: t.ctr.path },
    { op: 'writeSysctl', args: ['kernel/hostname', 'x'], ns: t.ctr.path },
  ]).results;
  expect(value).toEqual({ ok: true, value: '1' });
  expect(missing).toMatchObject({ ok: false, kind: 'notfound', reason: 'no such sysctl' });
  expect(t.ctr.sysctl('net/ipv4/ip_forward')).toBe('1');
  expect(t.host.sysctl('net/ipv4/ip_forward')).toBe(before);
  expect(runOps(t.host, [{ op: 'writeSysctl', args: ['kernel/hostname', 'x'] }]).results[0]).toMatchObject({
    ok: false,
    reason: 'not a net/ sysctl path',
  });
});

test('one socket per namespace: links of two containers read through one process', () => {
  const t = makeTopology({ containers: 2 });
  t.containers[1].ip('link', 'add', 'only1', 'type', 'veth', 'peer', 'name', 'only1p');
  const [a, b, h] = okOps(t.host, [{ op: 'links', ns: t.containers[0].path }, { op: 'links', ns: t.containers[1].path }, { op: 'links' }]);
  expect(a.map((l: any) => l.name)).toEqual(['lo']);
  expect(b.map((l: any) => l.name).sort()).toEqual(['lo', 'only1', 'only1p']);
  expect(h.map((l: any) => l.name)).toEqual(['lo']);
});

describe('flock(2)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-lock-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a held lock excludes another process (ours and util-linux flock), a waiter gets it on release', async () => {
    const file = path.join(dir, 'lock');
    const holder = lockProcess('hold', file);
    try {
      expect(await firstLine(holder)).toBe('locked');
      expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');
      expect(await firstLine(lockProcess('try', file))).toBe('busy');
      expect(spawnSync('flock', ['--nonblock', file, 'true']).status).toBe(1);
      const waiter = lockProcess('wait', file);
      const got = firstLine(waiter);
      await until(() => flockWaiters(file) === 1, 'the waiter to block in flock');
      holder.stdin.end();
      expect(await got).toBe('locked');
    } finally {
      holder.kill('SIGKILL');
    }
    expect(await firstLine(lockProcess('try', file))).toBe('locked');
    expect(spawnSync('flock', ['--nonblock', file, 'true']).status).toBe(0);
  });

  test('util-linux flock holding the file keeps ours out', async () => {
    const file = path.join(dir, 'lock');
    fs.writeFileSync(file, '');
    // Its own process group, so that the sleep flock(1) forks is killed with it.
    const sleeper = spawn('flock', [file, 'sleep', '30'], { detached: true, stdio: 'ignore' });
    try {
      await until(() => fs.readFileSync('/proc/locks', 'utf8').includes(`:${fs.statSync(file).ino} `), 'flock(1) to hold the lock');
      expect(await firstLine(lockProcess('try', file))).toBe('busy');
    } finally {
      if (sleeper.pid !== undefined) process.kill(-sleeper.pid, 'SIGKILL');
    }
  });

  test('a symlink is not followed', async () => {
    const target = path.join(dir, 'target');
    fs.writeFileSync(target, '');
    fs.symlinkSync(target, path.join(dir, 'link'));
    const child = lockProcess('try', path.join(dir, 'link'));
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(1);
    expect(err).toMatch(/LockError: cannot open .*link: Too many levels of symbolic links/);
  });
});
