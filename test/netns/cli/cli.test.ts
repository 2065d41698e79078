import fs from 'node:fs';
import path from 'node:path';
import { containerIdFor } from '../../../lib/cli/runtime-conf';
import { EXAMPLES, must, requireRootAndBinary, ROOT, Sandbox } from './sandbox';

// The built binary's CLI (`dist/bin/cni-ts add|check|del|status`) driving real plugins inside a
// throwaway node namespace. Each scenario runs against cni-ts's own plugins and, as the yardstick
// the CLI must also satisfy, against the Go reference plugins (Debian's containernetworking-plugins,
// which support cniVersion up to 1.0.0).

jest.setTimeout(120_000);

const PLUGIN_SETS: Array<[string, string]> = [
  ['cni-ts plugins (dist/bin)', path.join(ROOT, 'dist', 'bin')],
  ['Go reference plugins (/usr/lib/cni)', '/usr/lib/cni'],
];

interface Result {
  cniVersion: string;
  interfaces?: Array<{ name: string; mac?: string; sandbox?: string }>;
  ips?: Array<{ address: string; gateway?: string; interface?: number }>;
  routes?: Array<{ dst: string; gw?: string }>;
}

beforeAll(requireRootAndBinary);

describe.each(PLUGIN_SETS)('CLI with %s', (_label, cniPath) => {
  let sb: Sandbox;
  beforeEach(() => (sb = new Sandbox(cniPath)));
  afterEach(() => sb.destroy());

  it('add, check and del two pods on the bridge example: addresses, reachability, cache, clean removal', () => {
    const net = 'cni-ts-bridge';
    const pod1 = sb.pod('pod1');
    const pod2 = sb.pod('pod2');

    const add1 = sb.cli(['add', net, pod1.path]);
    expect(add1.stderr).toBe('');
    expect(add1.status).toBe(0);
    // pod2 asks for a static address through the `ips` capability the example declares.
    const add2 = sb.cli(['add', net, pod2.path], { CAP_ARGS: '{"ips":["10.201.0.50/24"]}' });
    expect(add2.status).toBe(0);
    const r1 = JSON.parse(add1.stdout) as Result;
    const r2 = JSON.parse(add2.stdout) as Result;

    for (const [r, pod] of [
      [r1, pod1],
      [r2, pod2],
    ] as const) {
      expect(r.cniVersion).toBe('1.0.0');
      expect(r.interfaces?.[0].name).toBe('cni-ts0');
      const eth0 = r.interfaces?.findIndex((i) => i.name === 'eth0' && i.sandbox === pod.path);
      expect(eth0).toBeGreaterThanOrEqual(0);
      expect(r.ips).toHaveLength(1);
      expect(r.ips?.[0]).toMatchObject({ gateway: '10.201.0.1', interface: eth0 });
      expect(r.ips?.[0].address).toMatch(/^10\.201\.0\.\d+\/24$/);
      const routes = sb.ipJson(pod.ns, ['route', 'show']);
      expect(routes).toContainEqual(expect.objectContaining({ dst: 'default', gateway: '10.201.0.1', dev: 'eth0' }));
    }
    expect(r2.ips?.[0].address).toBe('10.201.0.50/24');
    const ip1 = r1.ips![0].address.split('/')[0];
    const ip2 = r2.ips![0].address.split('/')[0];

    // libcni's cache layout, keyed by the cnitool-style container id
    const id1 = containerIdFor(pod1.path);
    const cached = JSON.parse(fs.readFileSync(path.join(sb.cache, 'results', `${net}-${id1}-eth0`), 'utf8'));
    expect(cached).toMatchObject({ kind: 'cniCacheV1', containerId: id1, ifName: 'eth0', networkName: net, netns: pod1.path });
    expect(cached.result.ips).toEqual([expect.objectContaining({ address: r1.ips![0].address })]);
    expect(sb.reservations(net).sort()).toEqual([ip1, ip2].sort());
    expect(fs.readFileSync(path.join(sb.dataDir, net, ip1), 'utf8')).toBe(`${id1}\r\neth0`);

    // traffic only between these namespaces: pod to pod, pod to gateway
    expect(sb.ping(pod1.ns, ip2)).toBe(true);
    expect(sb.ping(pod2.ns, ip1)).toBe(true);
    expect(sb.ping(pod1.ns, '10.201.0.1')).toBe(true);

    for (const pod of [pod1, pod2]) expect(sb.cli(['check', net, pod.path])).toMatchObject({ status: 0, stdout: '' });

    for (const pod of [pod1, pod2]) expect(sb.cli(['del', net, pod.path])).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(sb.ipJson(sb.node, ['link', 'show', 'type', 'veth'])).toEqual([]);
    for (const pod of [pod1, pod2]) expect(sb.ipJson(pod.ns, ['link', 'show']).map((l) => l.ifname)).toEqual(['lo']);
    expect(sb.natRules()).toEqual([]);
    expect(sb.reservations(net)).toEqual([]);
    expect(sb.cacheEntries()).toEqual([]);

    // DEL is idempotent
    expect(sb.cli(['del', net, pod1.path]).status).toBe(0);
  });

  it('CHECK reports a plugin error with its code after the container address is removed', () => {
    const net = 'cni-ts-bridge';
    const pod = sb.pod('pod1');
    const add = sb.cli(['add', net, pod.path]);
    expect(add.status).toBe(0);
    const address = (JSON.parse(add.stdout) as Result).ips![0].address;
    must('ip', ['-n', pod.ns, 'addr', 'del', address, 'dev', 'eth0']);
    const check = sb.cli(['check', net, pod.path]);
    expect(check.status).toBe(1);
    expect(check.stderr).toContain('cni-ts: plugin type="bridge" failed (check): ');
    expect(check.stderr).toContain(address);
    expect(check.stderr).toMatch(/ {2}CNI error code \d+ \(/);
    expect(sb.cli(['del', net, pod.path]).status).toBe(0);
    expect(sb.reservations(net)).toEqual([]);
  });

  it('GC releases the attachments whose namespace is gone and keeps the live ones', () => {
    const net = 'cni-ts-ipam';
    const live = sb.pod('live');
    const gone = sb.pod('gone');
    expect(sb.cli(['add', net, live.path]).status).toBe(0);
    expect(sb.cli(['add', net, gone.path]).status).toBe(0);
    expect(sb.reservations(net)).toHaveLength(4);
    must('ip', ['netns', 'delete', gone.ns]);

    const gc = sb.cli(['gc', net]);
    expect(gc.status).toBe(0);
    expect(gc.stderr).toContain(`removed stale attachment ${containerIdFor(gone.path)} eth0`);
    expect(sb.cacheEntries()).toEqual([`${net}-${containerIdFor(live.path)}-eth0`]);
    const owners = sb.reservations(net).map((ip) => fs.readFileSync(path.join(sb.dataDir, net, ip), 'utf8'));
    expect(owners).toEqual([`${containerIdFor(live.path)}\r\neth0`, `${containerIdFor(live.path)}\r\neth0`]);

    expect(sb.cli(['del', net, live.path]).status).toBe(0);
    expect(sb.reservations(net)).toEqual([]);
  });
});

// Each example is loaded by the built CLI; those this kernel can run get a full ADD + DEL.
// Not run here: 40-cni-ts-bridge-vlan (this kernel has no bridge VLAN filtering) and
// 60-cni-ts-dummy (no dummy links); those belong to the full-kernel suite.
const RUNNABLE: Array<{ file: string; expectIps: RegExp[]; interfaces: string[]; setup?: (sb: Sandbox) => void }> = [
  { file: '10-cni-ts-bridge.conflist', expectIps: [/^10\.201\.0\.\d+\/24$/], interfaces: ['cni-ts0', 'veth', 'eth0'] },
  {
    file: '20-cni-ts-bridge-dualstack.conflist',
    expectIps: [/^10\.202\.0\.\d+\/24$/, /^fd3c:7e4d:9b21:202::[0-9a-f]+\/64$/],
    interfaces: ['cni-ts1', 'veth', 'eth0'],
  },
  { file: '30-cni-ts-bridge-l2.conflist', expectIps: [], interfaces: ['cni-ts2', 'veth', 'eth0'] },
  {
    file: '50-cni-ts-macvlan.conflist',
    expectIps: [/^10\.205\.0\.1\d\d\/24$/],
    interfaces: ['eth0'],
    // the example's master "eth0", made inside the node namespace
    setup: (sb) => {
      must('ip', ['-n', sb.node, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'uplink-peer']);
      must('ip', ['-n', sb.node, 'link', 'set', 'eth0', 'up']);
    },
  },
  { file: '70-cni-ts-host-local.conflist', expectIps: [/^10\.207\.0\.\d+\/24$/, /^fd3c:7e4d:9b21:207::[0-9a-f]+\/64$/], interfaces: [] },
];

describe.each(PLUGIN_SETS)('conf-examples with %s', (_label, cniPath) => {
  let sb: Sandbox;
  beforeEach(() => (sb = new Sandbox(cniPath)));
  afterEach(() => sb.destroy());

  it('the CLI loads every example by its name', () => {
    for (const file of fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.conflist'))) {
      const name = JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')).name;
      const r = sb.cli(['status', name]);
      expect({ file, status: r.status, stderr: r.stderr }).toEqual({
        file,
        status: 0,
        stderr: `cni-ts: network "${name}" is cniVersion 1.0.0; STATUS needs 1.1.0 or later: nothing asked\n`,
      });
    }
  });

  it.each(RUNNABLE)(
    '$file: ADD gives the expected interfaces and addresses, DEL leaves nothing',
    ({ file, expectIps, interfaces, setup }) => {
      const name = JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')).name;
      setup?.(sb);
      const pod = sb.pod('pod');
      const add = sb.cli(['add', name, pod.path]);
      expect({ status: add.status, stderr: add.stderr }).toEqual({ status: 0, stderr: '' });
      const r = JSON.parse(add.stdout) as Result;
      expect(r.cniVersion).toBe('1.0.0');
      expect((r.interfaces ?? []).map((i) => (i.name.startsWith('veth') ? 'veth' : i.name))).toEqual(interfaces);
      expect((r.ips ?? []).map((i) => i.address)).toEqual(expectIps.map((re) => expect.stringMatching(re)));
      if (interfaces.includes('eth0')) {
        const kernel = sb.ipJson<Array<{ addr_info: Array<{ local: string; prefixlen: number; scope: string }> }>>(pod.ns, [
          'addr',
          'show',
          'dev',
          'eth0',
        ]);
        const global = kernel[0].addr_info.filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
        expect(global.sort()).toEqual((r.ips ?? []).map((i) => i.address).sort());
      }
      expect(sb.cli(['del', name, pod.path])).toEqual({ status: 0, stdout: '', stderr: '' });
      expect(sb.ipJson(pod.ns, ['link', 'show']).map((l) => l.ifname)).toEqual(['lo']);
      expect(sb.reservations(name)).toEqual([]);
      expect(sb.natRules()).toEqual([]);
      expect(sb.cacheEntries()).toEqual([]);
    },
  );
});
