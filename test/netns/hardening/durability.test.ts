import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireRoot } from '../../helpers/netns';
import { HOST_LOCAL, netConf, requireBinary, tempDataDir } from '../host-local/harness';

// Issue 15 item 10: a reservation must survive a power loss once ADD has answered, and never be
// an empty file. The plugin's system calls (strace) show that the content is synced before the
// file gets its address's name, and that the directory is synced after the names changed, before
// the plugin exits; DEL syncs the directory after removing the name.

let dataDir: string;
beforeAll(() => {
  requireRoot();
  requireBinary();
});
beforeEach(() => (dataDir = tempDataDir()));
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

interface Call {
  pid: string;
  name: string;
  args: string;
  ret: string;
}

/** The traced calls of one host-local run, in order. */
function trace(command: 'ADD' | 'DEL'): Call[] {
  const log = path.join(os.tmpdir(), `cnits-durability-${process.pid}-${Date.now()}`);
  const env = {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: command,
    CNI_CONTAINERID: 'ctr1',
    CNI_NETNS: '/proc/self/ns/net',
    CNI_NETNS_OVERRIDE: '1',
    CNI_IFNAME: 'eth0',
    CNI_PATH: '/opt/cni/bin',
  };
  const calls = 'trace=openat,open,fsync,fdatasync,link,linkat,rename,renameat,renameat2,unlink,unlinkat';
  try {
    const r = spawnSync('strace', ['-f', '-qq', '-e', calls, '-o', log, HOST_LOCAL], {
      env,
      input: JSON.stringify(netConf(dataDir, { ranges: [[{ subnet: '10.1.0.0/24' }]] })),
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`${command} failed: ${r.stdout}${r.stderr}`);
    return fs
      .readFileSync(log, 'utf8')
      .split('\n')
      .flatMap((line) => {
        const m = /^(\d+)\s+(\w+)\((.*)\)\s+=\s+(-?\d+)/.exec(line);
        return m ? [{ pid: m[1], name: m[2], args: m[3], ret: m[4] }] : [];
      });
  } finally {
    fs.rmSync(log, { force: true });
  }
}

const netDir = () => path.join(dataDir, 'hlnet');

/** Index of the first call matching `pred` at or after `from`; -1 if none. */
function find(calls: Call[], pred: (c: Call) => boolean, from = 0): number {
  for (let i = from; i < calls.length; i++) if (pred(calls[i])) return i;
  return -1;
}

/** Index of an fsync of a descriptor opened on the network directory after `from`. */
function dirSyncAfter(calls: Call[], from: number): number {
  for (let i = from; i < calls.length; i++) {
    const c = calls[i];
    if (c.name !== 'fsync') continue;
    const fd = c.args;
    const open = [...calls.slice(0, i)].reverse().find((o) => o.name.startsWith('open') && o.ret === fd);
    if (open && open.args.includes(`"${netDir()}"`) && open.args.includes('O_DIRECTORY')) return i;
  }
  return -1;
}

test('ADD syncs the reservation before naming it and the directory before answering', () => {
  const calls = trace('ADD');
  const linked = find(calls, (c) => c.name.startsWith('link') && c.args.includes(`"${path.join(netDir(), '10.1.0.2')}"`) && c.ret === '0');
  expect(linked).toBeGreaterThan(0);
  const tmp = calls[linked].args.split(',')[0];
  const opened = [...calls.slice(0, linked)].reverse().find((c) => c.name.startsWith('open') && c.args.includes(tmp.trim()));
  expect(opened).toBeDefined();
  const synced = calls.slice(0, linked).some((c) => c.name === 'fsync' && c.args === opened!.ret);
  expect(synced).toBe(true);
  const renamed = find(calls, (c) => c.name.startsWith('rename') && c.args.includes('last_reserved_ip.0'), linked);
  expect(renamed).toBeGreaterThan(linked);
  expect(dirSyncAfter(calls, renamed)).toBeGreaterThan(renamed);
  expect(fs.readFileSync(path.join(netDir(), '10.1.0.2'), 'utf8')).toBe('ctr1\r\neth0');
});

test('DEL syncs the directory after removing the reservation', () => {
  trace('ADD');
  const calls = trace('DEL');
  const removed = find(
    calls,
    (c) => c.name.startsWith('unlink') && c.args.includes(`"${path.join(netDir(), '10.1.0.2')}"`) && c.ret === '0',
  );
  expect(removed).toBeGreaterThan(0);
  expect(dirSyncAfter(calls, removed)).toBeGreaterThan(removed);
  expect(fs.existsSync(path.join(netDir(), '10.1.0.2'))).toBe(false);
});
