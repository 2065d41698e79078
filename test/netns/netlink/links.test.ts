import { spawnSync } from 'node:child_process';
import { parseLinks } from '../../helpers/ip-json';
import { makeNamespace, makeTopology, requireRoot, type TestNs } from '../../helpers/netns';
import { failOp, okOps, runOps } from './bun';
import { dummyAndVlanFailCleanly, dummyAndVlanWork, vlanFilteringFailsCleanly, vlanFilteringWorks } from './link-kinds';

// lib/netlink's link operations run for real (Bun, FFI, setns) in throwaway namespaces; the
// kernel state is read back with `ip -d -json` as the independent oracle.

beforeAll(requireRoot);
// Each op list is a Bun process: seconds apiece inside user-mode-linux.
jest.setTimeout(60_000);

const ns = (t: TestNs) => ({ $ns: t.path });

/** What the iproute2 driver's parser makes of `ip -d -json link show`, for one link. */
function oracle(where: TestNs, name: string) {
  return parseLinks(where.ip('-d', '-json', 'link', 'show', 'dev', name))[0];
}

function details(where: TestNs, name: string): any {
  return where.ipJson('-d', 'link', 'show', 'dev', name)[0];
}

/** Our decoded link without the fields only netlink gives. */
function asDriverLink(l: any): any {
  const { masterIndex: _m, linkIndex: _l, type: _t, txqlen: _q, bcQueueLen: _b, ...rest } = l;
  if (rest.bridgePort) {
    const { learning: _le, flood: _f, ...port } = rest.bridgePort;
    rest.bridgePort = port;
  }
  return rest;
}

test('bridge, veth with its peer created in the container, port attributes, up: kernel state and reads', () => {
  const t = makeTopology();
  okOps(t.host, [
    { op: 'createBridge', args: ['cni0', { mtu: 1400, mac: '02:00:00:00:01:01' }] },
    { op: 'createVeth', args: ['veth1', { mtu: 1400 }, { name: 'eth0', mtu: 1400, mac: '02:00:00:00:01:02', netns: ns(t.ctr) }] },
    { op: 'setMaster', args: ['veth1', 'cni0'] },
    { op: 'setBridgePort', args: ['veth1', { hairpin: true, isolated: true, learning: false, flood: false }] },
    { op: 'setUp', args: ['veth1'] },
    { op: 'setUp', args: ['cni0'] },
    { op: 'setUp', args: ['eth0'], ns: t.ctr.path },
  ]);
  const br = details(t.host, 'cni0');
  expect(br).toMatchObject({ mtu: 1400, address: '02:00:00:00:01:01', linkinfo: { info_kind: 'bridge' } });
  const port = details(t.host, 'veth1');
  expect(port).toMatchObject({ master: 'cni0', mtu: 1400, linkinfo: { info_kind: 'veth', info_slave_kind: 'bridge' } });
  expect(port.linkinfo.info_slave_data).toMatchObject({ hairpin: true, isolated: true, learning: false, flood: false });
  const peer = details(t.ctr, 'eth0');
  expect(peer).toMatchObject({ address: '02:00:00:00:01:02', mtu: 1400, linkinfo: { info_kind: 'veth' } });
  expect(t.ctr.ipJson('link', 'show').map((l: any) => l.ifname)).toEqual(['lo', 'eth0']);

  const [bridge, veth, missing, all, ctrEth0] = okOps(t.host, [
    { op: 'link', args: ['cni0'] },
    { op: 'link', args: ['veth1'] },
    { op: 'link', args: ['nothere'] },
    { op: 'links' },
    { op: 'link', args: ['eth0'], ns: t.ctr.path },
  ]);
  expect(asDriverLink(bridge)).toEqual(oracle(t.host, 'cni0'));
  expect(asDriverLink(veth)).toEqual(oracle(t.host, 'veth1'));
  expect(veth.bridgePort).toMatchObject({ hairpin: true, isolated: true, learning: false, flood: false });
  expect(missing).toBeNull();
  expect(all.map(asDriverLink)).toEqual(parseLinks(t.host.ip('-d', '-json', 'link', 'show')));
  expect(asDriverLink(ctrEth0)).toEqual(oracle(t.ctr, 'eth0'));
});

test('set down, MTU, MAC, promisc, nomaster, rename, move to another namespace, delete', () => {
  const t = makeTopology();
  okOps(t.host, [
    { op: 'createBridge', args: ['br9'] },
    { op: 'createVeth', args: ['va', {}, { name: 'vb' }] },
    { op: 'setMaster', args: ['va', 'br9'] },
    { op: 'setUp', args: ['va'] },
    { op: 'setMtu', args: ['vb', 1280] },
    { op: 'setMac', args: ['vb', '02:AA:00:00:00:09'] },
    { op: 'setPromisc', args: ['vb', true] },
  ]);
  expect(details(t.host, 'vb')).toMatchObject({ mtu: 1280, address: '02:aa:00:00:00:09' });
  expect(details(t.host, 'vb').flags).toContain('PROMISC');
  expect(details(t.host, 'va').flags).toContain('UP');
  okOps(t.host, [
    { op: 'setDown', args: ['va'] },
    { op: 'setNoMaster', args: ['va'] },
    { op: 'setPromisc', args: ['vb', false] },
    { op: 'rename', args: ['vb', 'vc'] },
    { op: 'moveToNetns', args: ['vc', ns(t.ctr)] },
    { op: 'rename', args: ['vc', 'eth7'], ns: t.ctr.path },
  ]);
  expect(details(t.host, 'va').master).toBeUndefined();
  expect(details(t.host, 'va').flags).not.toContain('UP');
  expect(t.ctr.ipJson('link', 'show').map((l: any) => l.ifname)).toEqual(['lo', 'eth7']);
  expect(details(t.ctr, 'eth7').flags).not.toContain('PROMISC');
  okOps(t.host, [
    { op: 'deleteLink', args: ['va'] },
    { op: 'deleteLink', args: ['br9'] },
  ]);
  expect(t.host.ipJson('link', 'show').map((l: any) => l.ifname)).toEqual(['lo']);
  expect(t.ctr.ipJson('link', 'show').map((l: any) => l.ifname)).toEqual(['lo']);
});

test('macvlan created directly in the container namespace (mode, MAC, MTU, bcqueuelen), renamed there; a taken name fails there', () => {
  const t = makeTopology();
  t.host.ip('link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'up1');
  okOps(t.host, [
    {
      op: 'createMacvlan',
      args: ['eth0', { master: 'up0', mode: 'private', mac: '02:00:00:00:02:01', mtu: 1400, bcQueueLen: 100, netns: ns(t.ctr) }],
    },
    { op: 'rename', args: ['eth0', 'net1'], ns: t.ctr.path },
  ]);
  const mv = details(t.ctr, 'net1');
  expect(mv).toMatchObject({ address: '02:00:00:00:02:01', mtu: 1400, linkinfo: { info_kind: 'macvlan', info_data: { mode: 'private' } } });
  expect(mv.linkinfo.info_data.bcqueuelen).toBe(100);
  expect(mv.link_netnsid).toEqual(expect.any(Number));
  const [read] = okOps(t.ctr, [{ op: 'link', args: ['net1'] }]);
  expect(read).toMatchObject({ kind: 'macvlan', macvlanMode: 'private', bcQueueLen: 100, parentNetnsId: mv.link_netnsid });
  expect(asDriverLink(read)).toEqual(oracle(t.ctr, 'net1'));

  t.ctr.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'x1');
  const err = failOp(t.host, { op: 'createMacvlan', args: ['eth0', { master: 'up0', mode: 'bridge', netns: ns(t.ctr) }] });
  expect(err).toMatchObject({ kind: 'exists', code: 'EEXIST', message: `create macvlan eth0 on up0 in ${t.ctr.path}: File exists` });
  expect(t.host.ipJson('link', 'show').map((l: any) => l.ifname)).toEqual(['lo', 'up1', 'up0']);
  const noMaster = failOp(t.host, { op: 'createMacvlan', args: ['m2', { master: 'nope0', mode: 'bridge' }] });
  expect(noMaster).toMatchObject({ kind: 'notfound', reason: 'Cannot find device "nope0"' });
});

test('errors: exists, not found, busy names, and the step they name', () => {
  const t = makeNamespace('host');
  t.ip('link', 'add', 'br0', 'type', 'bridge');
  const { results } = runOps(t, [
    { op: 'createBridge', args: ['br0'] },
    { op: 'setUp', args: ['nope0'] },
    { op: 'deleteLink', args: ['nope0'] },
    { op: 'setMaster', args: ['br0', 'nope1'] },
    { op: 'createVeth', args: ['br0', {}, { name: 'p0' }] },
    { op: 'link', args: ['if1'] },
  ]);
  expect(results[0]).toMatchObject({ ok: false, kind: 'exists', message: 'create bridge br0: File exists' });
  expect(results[1]).toMatchObject({ ok: false, kind: 'notfound', message: 'set nope0 up: Cannot find device "nope0"' });
  expect(results[2]).toMatchObject({ ok: false, kind: 'notfound', message: 'delete link nope0: Cannot find device "nope0"' });
  expect(results[3]).toMatchObject({ ok: false, kind: 'notfound', message: 'attach br0 to nope1: Cannot find device "nope1"' });
  expect(results[4]).toMatchObject({ ok: false, kind: 'exists' });
  // Names are exact: `if1` is not iproute2's shorthand for ifindex 1 (lo).
  expect(results[5]).toEqual({ ok: true, value: null });
});

test('a dump of many links spans several datagrams and matches ip -json', () => {
  const t = makeNamespace('host');
  const lines = Array.from({ length: 150 }, (_, i) => `link add name va${i} type veth peer name vb${i}`).join('\n');
  t.execOk('ip', ['-batch', '-'], `${lines}\n`);
  const [links] = okOps(t, [{ op: 'links' }]);
  expect(links).toHaveLength(301);
  expect(links.map(asDriverLink)).toEqual(parseLinks(t.ip('-d', '-json', 'link', 'show')));
});

/** Whether this kernel creates a link of `kind` (probed in a throwaway namespace). */
function kernelHas(kind: 'dummy' | 'vlanFiltering'): boolean {
  const t = makeNamespace('probe');
  try {
    const args =
      kind === 'dummy' ? ['link', 'add', 'probe0', 'type', 'dummy'] : ['link', 'add', 'probe0', 'type', 'bridge', 'vlan_filtering', '1'];
    return spawnSync('ip', ['-n', t.name, ...args], { stdio: 'ignore' }).status === 0;
  } finally {
    t.delete();
  }
}

test('dummy and vlan links: created on a kernel that has them, a clean failure on one that lacks them', () => {
  if (kernelHas('dummy')) dummyAndVlanWork();
  else dummyAndVlanFailCleanly();
});

test('bridge VLAN filtering: works on a kernel that has it, fails cleanly with EOPNOTSUPP on one that lacks it', () => {
  if (kernelHas('vlanFiltering')) vlanFilteringWorks();
  else vlanFilteringFailsCleanly();
});
