import fs from 'node:fs';
import path from 'node:path';
import { makeNamespace, makeTopology, type Topology } from '../../helpers/netns';
import { BIN_DIR, GO_BIN_DIR } from '../../helpers/run-plugin';
import { requireInterop, Runtime, scratch, type NetList, type RuntimeConf } from './env';

// GC as libcni sends it (libcni/api.go GCNetworkList): first a DEL for every cached attachment
// of the network that is not in the runtime's valid list (with the cached netns path, which may
// be gone), then, at cniVersion >= 1.1.0, GC to every plugin with no container id, netns or
// ifname, and `cni.dev/valid-attachments` injected only when the runtime passed GCArgs: a list,
// `null` when its list is a nil slice, no key at all for `cnitool gc` (which passes no GCArgs).

jest.setTimeout(60_000);

beforeAll(() => requireInterop('bridge'));

function list(dataDir: string, cniVersion = '1.1.0'): NetList {
  return {
    cniVersion,
    name: 'gcnet',
    plugins: [
      {
        type: 'bridge',
        bridge: 'cnitsbr0',
        isGateway: true,
        gcGracePeriod: 0,
        ipam: { type: 'host-local', dataDir, ranges: [[{ subnet: '10.90.0.0/24' }]], gcGracePeriod: 0 },
      },
    ],
  };
}

function reservations(dataDir: string): string[] {
  const dir = path.join(dataDir, 'gcnet');
  return fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f))
        .sort()
    : [];
}

interface Scene {
  topo: Topology;
  runtime: Runtime;
  net: NetList;
  dataDir: string;
  /** Alive, cached. */
  live: RuntimeConf;
  /** Its namespace is gone; libcni still has it cached. */
  stale: RuntimeConf;
  /** Added without going through the cache (a runtime crashed after ADD): only GC finds it. */
  leaked: RuntimeConf;
}

function scene(cniVersion = '1.1.0'): Scene {
  const topo = makeTopology({ containers: 2 });
  const dataDir = scratch('gc');
  const net = list(dataDir, cniVersion);
  const runtime = new Runtime(topo.host, [BIN_DIR, GO_BIN_DIR]);
  const live: RuntimeConf = { containerId: 'live', netns: topo.containers[0].path, ifName: 'eth0' };
  const staleNs = makeNamespace('gone');
  const stale: RuntimeConf = { containerId: 'stale', netns: staleNs.path, ifName: 'eth0' };
  const leaked: RuntimeConf = { containerId: 'leaked', netns: topo.containers[1].path, ifName: 'eth0' };
  runtime.add(net, live);
  runtime.add(net, stale);
  runtime.add(net, leaked);
  runtime.cache.delete(`${net.name}-leaked-eth0`);
  staleNs.delete();
  expect(reservations(dataDir)).toEqual(['10.90.0.2', '10.90.0.3', '10.90.0.4']);
  runtime.invocations.length = 0;
  return { topo, runtime, net, dataDir, live, stale, leaked };
}

function calls(s: Scene): Array<[string, string, boolean]> {
  return s.runtime.invocations.map((i) => [
    i.command,
    i.command === 'GC' ? JSON.stringify(i.stdin['cni.dev/valid-attachments']) : '',
    i.run.status === 0,
  ]);
}

describe('cni-ts bridge + host-local under libcni GC', () => {
  test('containerd-style GC with the valid list: the stale one is DELed (netns gone), the leaked one collected, the live one kept', () => {
    const s = scene();
    const errors = s.runtime.gc(s.net, [{ containerID: 'live', ifname: 'eth0' }]);
    expect(errors).toEqual([]);
    expect(calls(s)).toEqual([
      ['DEL', '', true],
      ['GC', '[{"containerID":"live","ifname":"eth0"}]', true],
    ]);
    const del = s.runtime.invocations[0];
    expect(del.stdin.prevResult.ips[0].address).toBe('10.90.0.3/24');
    expect(reservations(s.dataDir)).toEqual(['10.90.0.2']);
    // The live attachment still passes CHECK.
    s.runtime.check(s.net, s.live);
  });

  test('an empty valid list: every attachment of the network goes', () => {
    const s = scene();
    expect(s.runtime.gc(s.net, [])).toEqual([]);
    expect(calls(s).map((c) => c[0])).toEqual(['DEL', 'DEL', 'GC']);
    expect(reservations(s.dataDir)).toEqual([]);
  });

  test('GCArgs with a nil list (`"cni.dev/valid-attachments": null`): plugin GC succeeds and collects nothing', () => {
    const s = scene();
    const errors = s.runtime.gc(s.net, null);
    // libcni's DEL pass ran (nil list = nothing valid) and released the cached two.
    expect(calls(s)).toEqual([
      ['DEL', '', true],
      ['DEL', '', true],
      ['GC', 'null', true],
    ]);
    expect(errors).toEqual([]);
    expect(s.runtime.invocations[2].run.status).toBe(0);
    expect(reservations(s.dataDir)).toEqual(['10.90.0.4']);
  });

  test('cnitool gc (no GCArgs, no key): the cached attachments are DELed, plugin GC succeeds and releases nothing', () => {
    const s = scene();
    const errors = s.runtime.gc(s.net);
    expect(calls(s)).toEqual([
      ['DEL', '', true],
      ['DEL', '', true],
      ['GC', undefined as unknown as string, true],
    ]);
    expect(errors).toEqual([]);
    expect(s.runtime.invocations[2].run.status).toBe(0);
    expect(reservations(s.dataDir)).toEqual(['10.90.0.4']);
  });

  test('GC sends no container id, netns or ifname, and the plugin config as listed (no prevResult, no runtimeConfig)', () => {
    const s = scene();
    s.runtime.gc(s.net, [{ containerID: 'live', ifname: 'eth0' }]);
    const gc = s.runtime.invocations.find((i) => i.command === 'GC')!;
    expect(gc.stdin).toEqual({
      ...s.net.plugins[0],
      name: 'gcnet',
      cniVersion: '1.1.0',
      'cni.dev/valid-attachments': [{ containerID: 'live', ifname: 'eth0' }],
    });
  });

  test('at 1.0.0 libcni sends no GC: only the DELs of stale cached attachments, which succeed with the netns gone', () => {
    const s = scene('1.0.0');
    expect(s.runtime.gc(s.net, [{ containerID: 'live', ifname: 'eth0' }])).toEqual([]);
    expect(calls(s)).toEqual([['DEL', '', true]]);
    expect(reservations(s.dataDir)).toEqual(['10.90.0.2', '10.90.0.4']);
  });
});
