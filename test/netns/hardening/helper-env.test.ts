import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireRoot } from '../../helpers/netns';
import { NOTHING_LEFT, requireBinaries, withSandbox } from '../bridge/harness';
import { runRaw } from './run';

// Issue 15 item 1: the helpers a plugin starts (since the netlink driver only iptables-save/-restore
// and nft; ip, bridge, nsenter and flock are planted too, to prove none of them is run) get a clean
// environment and come from the system directories, whatever the runtime's environment, PATH and
// working directory hold.

beforeAll(() => {
  requireRoot();
  requireBinaries();
});

let junk: string;
beforeEach(() => {
  junk = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-junk-'));
  // What another user could plant in a world-writable working directory of a root runtime.
  for (const lib of ['libc.so.6', 'libmnl.so.0', 'libselinux.so.1', 'libbpf.so.1', 'libelf.so.1', 'libcap.so.2']) {
    fs.writeFileSync(path.join(junk, lib), 'not a library\n');
  }
  // Tools of the same names in a PATH entry that comes first: each one leaves a mark and fails.
  const bin = path.join(junk, 'bin');
  fs.mkdirSync(bin);
  for (const tool of [
    'ip',
    'bridge',
    'nsenter',
    'iptables-restore',
    'iptables-save',
    'ip6tables-restore',
    'ip6tables-save',
    'nft',
    'flock',
  ]) {
    fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\necho planted > ${path.join(junk, 'ran-' + tool)}\nexit 1\n`, { mode: 0o755 });
  }
  fs.writeFileSync(path.join(junk, 'shrc'), `echo sourced > ${path.join(junk, 'ran-shrc')}\n`);
});
afterEach(() => fs.rmSync(junk, { recursive: true, force: true }));

function hostileEnv(): Record<string, string> {
  return {
    PATH: `${path.join(junk, 'bin')}:/usr/sbin:/usr/bin:/sbin:/bin`,
    LD_LIBRARY_PATH: '/x:',
    ENV: path.join(junk, 'shrc'),
    BASH_ENV: path.join(junk, 'shrc'),
    SHELLOPTS: 'xtrace',
    'BASH_FUNC_ip%%': '() { exit 97; }',
    NODE_OPTIONS: '--no-such-option',
    IFS: '/',
  };
}

describe('helper processes under a hostile runtime environment', () => {
  test.each([
    ['iptables', { ipMasq: true, ipMasqBackend: 'iptables' }],
    ['nftables', { ipMasq: true, ipMasqBackend: 'nftables' }],
  ])('bridge ADD and DEL with masquerading (%s) work from a planted directory and never run a planted tool', async (_name, opts) => {
    await withSandbox((s) => {
      const conf = s.conf({ isGateway: true, ...opts });
      const add = runRaw(s, { command: 'ADD', conf, env: hostileEnv(), cwd: junk });
      expect({ status: add.status, out: add.stdout + add.stderr }).toEqual({ status: 0, out: expect.any(String) });
      expect(s.addresses(s.ctr, 'eth0')).toEqual(['10.99.0.2/24']);
      const del = runRaw(s, { command: 'DEL', conf, env: hostileEnv(), cwd: junk });
      expect({ status: del.status, out: del.stdout + del.stderr }).toEqual({ status: 0, out: expect.any(String) });
      expect(s.leftovers()).toEqual(NOTHING_LEFT);
      expect(fs.readdirSync(junk).filter((f) => f.startsWith('ran-'))).toEqual([]);
    });
  });

  test('a container namespace given as a /proc path (opened in-process) works the same', async () => {
    await withSandbox(async (s) => {
      const holder = await s.ctr.background('sleep', ['60']);
      const conf = s.conf();
      const add = runRaw(s, { command: 'ADD', conf, netns: holder.nsPath, env: hostileEnv(), cwd: junk });
      expect({ status: add.status, out: add.stdout + add.stderr }).toEqual({ status: 0, out: expect.any(String) });
      const del = runRaw(s, { command: 'DEL', conf, netns: holder.nsPath, env: hostileEnv(), cwd: junk });
      expect({ status: del.status, out: del.stdout + del.stderr }).toEqual({ status: 0, out: expect.any(String) });
      expect(s.leftovers()).toEqual(NOTHING_LEFT);
      expect(fs.readdirSync(junk).filter((f) => f.startsWith('ran-'))).toEqual([]);
    });
  });
});
