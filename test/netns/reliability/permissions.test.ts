import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { requireRoot } from '../../helpers/netns';
import {
  BIN,
  envFor,
  listTree,
  NOTHING_LEFT,
  requireBinaries,
  shapeProblem,
  withEnv,
  type Call,
  type Env,
  type Json,
  type Plugin,
  type Run,
} from './harness';

// host-local's state on disk: what it creates gets restrictive modes whatever the runtime's
// umask (plugins/host-local/state-dir.ts: directories 0755 as in the Go plugin so lease counters
// can list names; every file 0600, since reservations and the attachment index name containers;
// the index directory 0700), and a symlink planted anywhere in dataDir that points outside it is
// never followed: its target is never created, written, truncated or read as state.

jest.setTimeout(60_000);

beforeAll(() => {
  requireRoot();
  requireBinaries();
});

/** Runs a plugin like Env.run, but under `umask` (a runtime may run with 0). */
function runWithUmask(e: Env, call: Call, umask: string): Run {
  const r = spawnSync('sh', ['-c', `umask ${umask}; exec ip netns exec "$0" "$1"`, e.host.name, path.join(BIN, call.plugin)], {
    env: envFor(call, e.ctr.path),
    input: JSON.stringify(call.conf),
    encoding: 'utf8',
    cwd: e.cwd,
    timeout: 30_000,
  });
  if (r.error) throw r.error;
  let json: Json;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, timedOut: false, json };
}

/** "relative path -> type and permission bits" of everything under `root`. */
function modes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of [...listTree(root)].sort()) {
    const st = fs.lstatSync(p);
    const type = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other';
    out[path.relative(root, p)] = `${type} ${(st.mode & 0o7777).toString(8).padStart(4, '0')}`;
  }
  return out;
}

describe('reliability: modes of host-local state', () => {
  test.each(['host-local', 'bridge'] as Plugin[])(
    '%s under umask 000: dirs 0755 (index 0700), files 0600, nothing group/world writable',
    (plugin) =>
      withEnv((e) => {
        // dataDir itself does not exist yet: the plugin creates it and its parents.
        const dataDir = path.join(e.dataDir, 'fresh', 'deeper');
        const conf = e.conf(plugin, '1.1.0', 'relnet', { ipam: e.ipam({ dataDir }) });
        for (const [id, ifName] of [
          ['ctr-a', 'eth0'],
          ['ctr-b', 'eth1'],
        ]) {
          const r = runWithUmask(e, { plugin, command: 'ADD', conf, containerId: id, ifName }, '000');
          expect({ status: r.status, out: r.stdout.slice(0, 300) }).toMatchObject({ status: 0 });
        }
        const found = modes(path.join(e.dataDir, 'fresh'));
        expect(found).toEqual({
          deeper: 'dir 0755',
          'deeper/.cni-ts-index': 'dir 0700',
          'deeper/.cni-ts-index/relnet': 'file 0600',
          'deeper/relnet': 'dir 0755',
          'deeper/relnet/10.77.0.2': 'file 0600',
          'deeper/relnet/10.77.0.3': 'file 0600',
          'deeper/relnet/last_reserved_ip.0': 'file 0600',
          'deeper/relnet/lock': 'file 0600',
        });
        const writableByOthers = Object.entries(found).filter(([, m]) => (parseInt(m.split(' ')[1], 8) & 0o022) !== 0);
        expect(writableByOthers).toEqual([]);
        // The files naming containers are readable by root alone.
        expect(fs.readFileSync(path.join(dataDir, 'relnet', '10.77.0.2'), 'utf8')).toBe('ctr-a\r\neth0');
        for (const [id, ifName] of [
          ['ctr-a', 'eth0'],
          ['ctr-b', 'eth1'],
        ]) {
          expect(runWithUmask(e, { plugin, command: 'DEL', conf, containerId: id, ifName }, '000').status).toBe(0);
        }
        // DEL rewrites nothing with looser modes either.
        expect(Object.values(modes(path.join(e.dataDir, 'fresh'))).filter((m) => (parseInt(m.split(' ')[1], 8) & 0o022) !== 0)).toEqual([]);
        expect(e.leftovers()).toEqual(NOTHING_LEFT);
        console.log(
          `permissions: ${plugin} under umask 000: ${Object.keys(found).length} state entries checked, ${writableByOthers.length} group/world writable`,
        );
      }),
  );
});

/** Every entry under `root` with its identity, size, times and content. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of [...listTree(root)].sort()) {
    const st = fs.lstatSync(p);
    const text = st.isFile() ? fs.readFileSync(p, 'utf8') : '';
    out[path.relative(root, p)] = `${st.ino} ${st.mode.toString(8)} ${st.size} ${st.mtimeMs} ${st.ctimeMs} ${JSON.stringify(text)}`;
  }
  return out;
}

interface Planted {
  name: string;
  /** Path inside the network's state directory (relative to dataDir) that becomes a symlink. */
  at: string;
  /** The symlink's target kind: an existing file, an existing directory, or nothing. */
  target: 'file' | 'dir' | 'absent';
  /** What the ADD must do: succeed (the planted name is simply not ours) or fail cleanly. */
  add: 'ok' | 'error';
  /** Extra check of a successful result. */
  expectIp?: string;
  /** Move the real directory's contents into the target first (a valid index, say), so following the link would find state. */
  moveIn?: boolean;
}

// The victim file holds an address: were a symlinked last_reserved_ip.0 followed, the next
// address would be 10.77.0.10 instead of 10.77.0.2.
const VICTIM_TEXT = '10.77.0.9';

const PLANTED: Planted[] = [
  { name: 'network dir -> outside dir', at: 'relnet', target: 'dir', add: 'error' },
  { name: 'network dir -> nothing', at: 'relnet', target: 'absent', add: 'error' },
  { name: 'next reservation -> outside file', at: 'relnet/10.77.0.2', target: 'file', add: 'ok' },
  { name: 'next reservation -> nothing', at: 'relnet/10.77.0.2', target: 'absent', add: 'ok' },
  { name: 'lock -> outside file', at: 'relnet/lock', target: 'file', add: 'error' },
  { name: 'lock -> nothing', at: 'relnet/lock', target: 'absent', add: 'error' },
  { name: 'last_reserved_ip.0 -> outside file', at: 'relnet/last_reserved_ip.0', target: 'file', add: 'ok', expectIp: '10.77.0.2/24' },
  { name: 'last_reserved_ip.0 -> nothing', at: 'relnet/last_reserved_ip.0', target: 'absent', add: 'ok', expectIp: '10.77.0.2/24' },
  { name: 'reservation temporary -> outside file', at: 'relnet/.cni-ts-reserve.tmp', target: 'file', add: 'ok' },
  { name: 'last_reserved temporary -> outside file', at: 'relnet/.cni-ts-last.tmp', target: 'file', add: 'ok' },
  { name: 'index dir -> outside dir', at: '.cni-ts-index', target: 'dir', add: 'ok' },
  { name: 'index dir -> outside dir holding a valid index', at: '.cni-ts-index', target: 'dir', add: 'ok', moveIn: true },
  { name: 'index dir -> nothing', at: '.cni-ts-index', target: 'absent', add: 'ok' },
  { name: 'index file -> outside file', at: '.cni-ts-index/relnet', target: 'file', add: 'ok' },
  { name: 'index file -> nothing', at: '.cni-ts-index/relnet', target: 'absent', add: 'ok' },
];

describe('reliability: symlinks planted in dataDir are never followed', () => {
  test('host-local: ADD, DEL and GC leave every target outside dataDir untouched', () =>
    withEnv((e) => {
      const outcomes: string[] = [];
      PLANTED.forEach((p, i) => {
        const dataDir = path.join(e.dataDir, `case${i}`);
        const outside = path.join(e.tmp, 'outside', `case${i}`);
        fs.mkdirSync(outside, { recursive: true });
        const conf = e.conf('host-local', '1.1.0', 'relnet', { ipam: e.ipam({ dataDir }) });
        // Let the network directory (and the index) exist as after an earlier ADD + DEL.
        if (p.at !== 'relnet') {
          e.ok({ plugin: 'host-local', command: 'ADD', conf, containerId: 'warmup' });
          e.ok({ plugin: 'host-local', command: 'DEL', conf, containerId: 'warmup' });
          // So that the next address is 10.77.0.2 again (a valid index must stay valid: keep it).
          if (!p.moveIn) fs.rmSync(path.join(dataDir, 'relnet', 'last_reserved_ip.0'));
        }
        const link = path.join(dataDir, p.at);
        const target = path.join(outside, 'target');
        if (p.moveIn) fs.renameSync(link, target);
        fs.rmSync(link, { recursive: true, force: true });
        if (p.target === 'file') fs.writeFileSync(target, VICTIM_TEXT, { mode: 0o644 });
        if (p.target === 'dir' && !p.moveIn) fs.mkdirSync(target);
        fs.mkdirSync(path.dirname(link), { recursive: true });
        fs.symlinkSync(target, link);
        const before = fs.existsSync(target) ? fs.lstatSync(target) : undefined;
        const tree = snapshot(outside);

        const add = e.run({ plugin: 'host-local', command: 'ADD', conf });
        const what = `${p.name}: ADD exit ${add.status} ${add.stdout.replace(/\s+/g, ' ').slice(0, 200)}`;
        expect({ what, shape: shapeProblem(add) }).toEqual({ what, shape: undefined });
        expect({ what, status: add.status }).toEqual({ what, status: p.add === 'ok' ? 0 : 1 });
        if (p.add === 'ok') {
          const ip = add.json.ips[0].address;
          expect({ what, planted: ip === '10.77.0.2/24' && p.at.endsWith('10.77.0.2') }).toEqual({ what, planted: false });
          if (p.expectIp) expect({ what, ip }).toEqual({ what, ip: p.expectIp });
        }
        const del = e.run({ plugin: 'host-local', command: 'DEL', conf });
        expect({ what, del: del.status, shape: shapeProblem(del) }).toMatchObject({ what, shape: undefined });
        const gc = e.run({ plugin: 'host-local', command: 'GC', conf: { ...conf, 'cni.dev/valid-attachments': [] } });
        expect({ what, gc: shapeProblem(gc) }).toEqual({ what, gc: undefined });

        // The target: not created, not replaced, not written, not truncated; nothing new beside it.
        expect({ what, tree: snapshot(outside) }).toEqual({ what, tree });
        if (p.target === 'absent') expect({ what, created: fs.existsSync(target) }).toEqual({ what, created: false });
        if (before) {
          const after = fs.lstatSync(target);
          expect({ what, ino: after.ino, size: after.size, mtime: after.mtimeMs, mode: after.mode }).toEqual({
            what,
            ino: before.ino,
            size: before.size,
            mtime: before.mtimeMs,
            mode: before.mode,
          });
          if (p.target === 'file') expect({ what, text: fs.readFileSync(target, 'utf8') }).toEqual({ what, text: VICTIM_TEXT });
        }
        outcomes.push(`${p.name}: ${add.status === 0 ? 'ok' : 'refused'}`);
      });
      const refused = outcomes.filter((o) => o.includes('refused')).length;
      console.log(
        `permissions: ${PLANTED.length} planted symlinks (${refused} ADDs refused cleanly, ${PLANTED.length - refused} succeeded without them), 0 targets outside dataDir touched`,
      );
    }));
});
