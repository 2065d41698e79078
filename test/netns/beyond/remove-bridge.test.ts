import fs from 'node:fs';
import path from 'node:path';
import { spawnPlugin, type PluginRun } from '../../helpers/run-plugin';
import { OUR_BIN, requireBinaries, Sandbox, type Json } from '../bridge/harness';
import { firstLine, lockProcess } from '../netlink/bun';

// Beyond the reference (issue 16, item 5; plugins#282): bridge `removeBridgeWhenUnused` deletes
// a bridge cni-ts created once its last port is gone, under a lock shared by ADD (look at the
// bridge .. veth enslaved) and DEL (no port left? delete), so a concurrent ADD never loses it.

jest.setTimeout(120_000);

let s: Sandbox;
beforeAll(requireBinaries);
beforeEach(() => (s = new Sandbox()));
afterEach(() => s.cleanup());

const BRIDGE = 'cnitest0';
const conf = (extra: Record<string, unknown> = {}) => s.conf({ removeBridgeWhenUnused: true, isGateway: true, ...extra });
const hasBridge = () => s.links(s.host).includes(BRIDGE);

/** The plugin started without waiting, so that calls overlap. */
function start(command: 'ADD' | 'DEL', c: Json, ifName: string): Promise<PluginRun> {
  const env = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: command,
    CNI_CONTAINERID: `ctr-${ifName}`,
    CNI_NETNS: s.ctr.path,
    CNI_IFNAME: ifName,
    CNI_PATH: OUR_BIN,
    CNI_ARGS: '',
  };
  return spawnPlugin('ip', ['netns', 'exec', s.host.name, path.join(OUR_BIN, 'bridge')], env, JSON.stringify(c));
}

test('the bridge an ADD created goes with the last DEL, not before', () => {
  s.ok({ command: 'ADD', conf: conf(), containerId: 'a', ifName: 'eth0' });
  s.ok({ command: 'ADD', conf: conf(), containerId: 'b', ifName: 'eth1' });
  expect(s.link(s.host, BRIDGE).ifalias).toBe('cni-ts-removable');
  s.ok({ command: 'DEL', conf: conf(), containerId: 'a', ifName: 'eth0' });
  expect(hasBridge()).toBe(true);
  s.ok({ command: 'DEL', conf: conf(), containerId: 'b', ifName: 'eth1' });
  expect(hasBridge()).toBe(false);
  expect(s.links(s.host)).toEqual(['lo']);
  expect(s.reservations()).toEqual([]);
  // DEL again (nothing left at all) still succeeds.
  s.ok({ command: 'DEL', conf: conf(), containerId: 'b', ifName: 'eth1' });
});

test('also after the container namespace is gone (DEL with CNI_NETNS="")', () => {
  s.ok({ command: 'ADD', conf: conf() });
  s.ctr.delete();
  s.ok({ command: 'DEL', conf: conf(), netns: '' });
  expect(hasBridge()).toBe(false);
});

test('a bridge cni-ts did not create is never deleted', () => {
  s.host.ip('link', 'add', BRIDGE, 'type', 'bridge');
  s.ok({ command: 'ADD', conf: conf() });
  s.ok({ command: 'DEL', conf: conf() });
  expect(hasBridge()).toBe(true);
});

test('off (the default): the bridge stays, as in the Go plugin', () => {
  s.ok({ command: 'ADD', conf: s.conf() });
  s.ok({ command: 'DEL', conf: s.conf() });
  expect(hasBridge()).toBe(true);
});

test('a failed ADD that created the bridge removes it again', () => {
  s.ctr.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'x0');
  s.fails({ command: 'ADD', conf: conf() });
  expect(s.links(s.host)).toEqual(['lo']);
  expect(s.reservations()).toEqual([]);
});

test('ADDs racing DELs of the last port never lose their bridge', async () => {
  for (let round = 0; round < 4; round++) {
    const old = `o${round}`;
    s.ok({ command: 'ADD', conf: conf(), containerId: `ctr-${old}`, ifName: old });
    const fresh = [0, 1, 2, 3].map((i) => `n${round}${i}`);
    const runs = await Promise.all([start('DEL', conf(), old), ...fresh.map((n) => start('ADD', conf(), n))]);
    for (const r of runs) expect(r.status === 0 ? '' : r.stdout + r.stderr).toBe('');
    // Every new attachment's host veth is a port of the (one) bridge, and CHECK agrees.
    const ports = (s.host.ipJson('link', 'show', 'master', BRIDGE) as Json[]).map((l) => l.ifname as string);
    expect(ports).toHaveLength(fresh.length);
    fresh.forEach((n, i) => {
      const prevResult = runs[i + 1].json;
      expect(ports).toContain(prevResult.interfaces[1].name);
      s.ok({ command: 'CHECK', conf: { ...conf(), prevResult }, containerId: `ctr-${n}`, ifName: n });
    });
    const dels = await Promise.all(fresh.map((n) => start('DEL', conf(), n)));
    for (const r of dels) expect(r.status === 0 ? '' : r.stdout + r.stderr).toBe('');
    expect(s.links(s.host)).toEqual(['lo']);
  }
});

test('a DEL waiting for the bridge lock goes on meanwhile: the address is released, and another ADD on the network is served', async () => {
  expect((await start('ADD', conf(), 'eth0')).status).toBe(0);
  expect(s.reservations()).toEqual(['10.99.0.2']);
  // The bridge lock of the sandbox's host namespace, held by another process.
  const bridgeLock = `/run/cni-ts/bridge-${fs.statSync(s.host.path).ino}-${BRIDGE}.lock`;
  const holder = lockProcess('hold', bridgeLock);
  try {
    expect(await firstLine(holder)).toBe('locked');
    let delDone = false;
    const del = start('DEL', conf(), 'eth0').then((r) => {
      delDone = true;
      return r;
    });
    // The DEL removes the link and releases the address while it waits for the bridge lock (a
    // lock waited for by blocking the whole process would stall the release until then).
    const deadline = Date.now() + 15_000;
    while (s.reservations().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(s.reservations()).toEqual([]);
    // An ADD on the same network without the option needs only host-local's lock.
    const add = start('ADD', conf({ removeBridgeWhenUnused: false }), 'eth1');
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000));
    const second = await Promise.race([add, timeout]);
    expect(second === 'timeout' ? 'timeout' : second.status).toBe(0);
    expect(delDone).toBe(false);
    holder.stdin.end();
    expect((await del).status).toBe(0);
    expect(hasBridge()).toBe(true); // eth1 is still a port
  } finally {
    holder.kill();
  }
});
