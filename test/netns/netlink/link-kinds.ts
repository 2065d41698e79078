import { makeNamespace } from '../../helpers/netns';
import { okOps, runOps } from './bun';

// Link kinds and bridge VLAN filtering over lib/netlink, in both kernels: the netns suite runs
// the variant that matches the kernel it is on (probed, never skipped); the user-mode-linux
// suite (test/kernel/netlink-links.test.ts) always runs the full-kernel variants.

function details(where: ReturnType<typeof makeNamespace>, name: string): any {
  return where.ipJson('-d', 'link', 'show', 'dev', name)[0];
}

/** A full kernel: dummy and vlan links are created as asked and read back. */
export function dummyAndVlanWork(): void {
  const t = makeNamespace('host');
  t.ip('link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'up1');
  okOps(t, [
    { op: 'createDummy', args: ['d0', { mtu: 1400 }] },
    { op: 'createVlan', args: ['up0.10', { parent: 'up0', id: 10 }] },
  ]);
  expect(details(t, 'd0')).toMatchObject({ mtu: 1400, linkinfo: { info_kind: 'dummy' } });
  expect(details(t, 'up0.10')).toMatchObject({ link: 'up0', linkinfo: { info_kind: 'vlan', info_data: { id: 10 } } });
  const [vlan] = okOps(t, [{ op: 'link', args: ['up0.10'] }]);
  expect(vlan).toMatchObject({ kind: 'vlan', vlanId: 10, parentName: 'up0' });
}

/** A kernel without dummy/vlan: both fail with the reason the kernel gives, kind other, nothing left. */
export function dummyAndVlanFailCleanly(): void {
  const t = makeNamespace('host');
  t.ip('link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'up1');
  const { results } = runOps(t, [
    { op: 'createDummy', args: ['d0'] },
    { op: 'createVlan', args: ['up0.10', { parent: 'up0', id: 10 }] },
  ]);
  expect(results[0]).toMatchObject({ ok: false, kind: 'other', code: 'EOPNOTSUPP', message: 'create dummy d0: Unknown device type' });
  expect(results[1]).toMatchObject({
    ok: false,
    kind: 'other',
    code: 'EOPNOTSUPP',
    message: 'create vlan up0.10 on up0: Unknown device type',
  });
  expect(t.ipJson('link', 'show').map((l: any) => l.ifname)).toEqual(['lo', 'up1', 'up0']);
}

/** A full kernel: vlan_filtering bridge, per-port VLANs with pvid/untagged, default PVID, delete. */
export function vlanFilteringWorks(): void {
  const t = makeNamespace('host');
  okOps(t, [
    { op: 'createBridge', args: ['brv', { vlanFiltering: true, vlanDefaultPvid: 0 }] },
    { op: 'createVeth', args: ['pv0', {}, { name: 'pv1' }] },
    { op: 'setMaster', args: ['pv0', 'brv'] },
    { op: 'bridgeVlanAdd', args: ['pv0', 10, { pvid: true, untagged: true }] },
    { op: 'bridgeVlanAdd', args: ['pv0', 20] },
    { op: 'bridgeVlanAdd', args: ['pv0', 30] },
    { op: 'bridgeVlanDel', args: ['pv0', 30] },
  ]);
  expect(details(t, 'brv').linkinfo.info_data).toMatchObject({ vlan_filtering: 1, vlan_default_pvid: 0 });
  const shown = t.ipJson('link', 'show', 'dev', 'brv');
  expect(shown).toHaveLength(1);
  const vlans = JSON.parse(t.execOk('bridge', ['-json', 'vlan', 'show', 'dev', 'pv0']));
  expect(vlans[0].vlans).toEqual([{ vlan: 10, flags: ['PVID', 'Egress Untagged'] }, { vlan: 20 }]);
  const [port, all, bridge] = okOps(t, [{ op: 'portVlans', args: ['pv0'] }, { op: 'bridgeVlans' }, { op: 'link', args: ['brv'] }]);
  expect(port).toEqual([
    { vid: 10, pvid: true, untagged: true },
    { vid: 20, pvid: false, untagged: false },
  ]);
  expect(Object.values(all).map((e: any) => e.name)).toContain('pv0');
  expect(bridge.vlanFiltering).toBe(true);
}

/** A kernel without bridge VLAN filtering: creation and port VLANs fail with EOPNOTSUPP, nothing left. */
export function vlanFilteringFailsCleanly(): void {
  const t = makeNamespace('host');
  t.ip('link', 'add', 'br0', 'type', 'bridge');
  t.ip('link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1');
  t.ip('link', 'set', 'p0', 'master', 'br0');
  const { results } = runOps(t, [
    { op: 'createBridge', args: ['brv', { vlanFiltering: true }] },
    { op: 'bridgeVlanAdd', args: ['p0', 10, { pvid: true, untagged: true }] },
    { op: 'portVlans', args: ['p0'] },
    { op: 'link', args: ['br0'] },
  ]);
  expect(results[0]).toMatchObject({
    ok: false,
    kind: 'other',
    code: 'EOPNOTSUPP',
    message: 'create bridge brv: Operation not supported',
  });
  expect(results[1]).toMatchObject({
    ok: false,
    code: 'EOPNOTSUPP',
    message: 'add VLAN 10 pvid untagged to p0: Operation not supported',
  });
  expect(results[2]).toEqual({ ok: true, value: [] });
  expect(results[3]).toMatchObject({ ok: true, value: { vlanFiltering: false } });
  expect(t.ipJson('link', 'show').map((l: any) => l.ifname)).not.toContain('brv');
}
