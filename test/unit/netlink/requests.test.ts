import * as C from '../../../lib/netlink/constants';
import type { MessageWriter } from '../../../lib/netlink/message';
import * as R from '../../../lib/netlink/requests';
import { hex, requestFixture, requestFixtures, sent } from './fixtures';

// Every request the encoder builds equals, byte for byte, what iproute2 6.1 sent for the same
// command (fixtures/iproute2.json, captured by fixtures/capture.sh; sequence numbers zeroed).

const encode = (w: MessageWriter): string => hex(w.finish(0));

/** iproute2 opened the target namespace as its fd 4 (after the netlink socket, fd 3). */
const IPROUTE_NETNS_FD = 4;

interface Case {
  fixture: string;
  type: number;
  build: (links: Record<string, number>) => MessageWriter;
}

const cases: Case[] = [
  { fixture: 'link_add_bridge', type: C.RTM_NEWLINK, build: () => R.newLink({ name: 'brx', info: { kind: 'bridge' } }) },
  {
    fixture: 'link_add_bridge_opts',
    type: C.RTM_NEWLINK,
    build: () => R.newLink({ name: 'bry', mtu: 1400, mac: '02:00:00:00:00:01', info: { kind: 'bridge', vlanFiltering: true } }),
  },
  { fixture: 'link_add_veth', type: C.RTM_NEWLINK, build: () => R.newLink({ name: 'vz0', info: { kind: 'veth', peer: { name: 'vz1' } } }) },
  {
    fixture: 'link_add_veth_peer_netns',
    type: C.RTM_NEWLINK,
    build: () =>
      R.newLink({
        name: 'vx0',
        mtu: 1400,
        mac: '02:00:00:00:00:02',
        info: { kind: 'veth', peer: { name: 'eth0', mtu: 1400, mac: '02:00:00:00:00:03', netnsFd: IPROUTE_NETNS_FD } },
      }),
  },
  {
    fixture: 'link_add_macvlan_netns',
    type: C.RTM_NEWLINK,
    build: (l) =>
      R.newLink({
        name: 'mv0',
        mtu: 1400,
        mac: '02:00:00:00:00:04',
        netnsFd: IPROUTE_NETNS_FD,
        parentIndex: l.vm0,
        info: { kind: 'macvlan', mode: 'bridge', bcQueueLen: 100 },
      }),
  },
  {
    fixture: 'link_add_macvlan_passthru',
    type: C.RTM_NEWLINK,
    build: (l) => R.newLink({ name: 'mv1', parentIndex: l.vm0, info: { kind: 'macvlan', mode: 'passthru' } }),
  },
  { fixture: 'link_add_dummy', type: C.RTM_NEWLINK, build: () => R.newLink({ name: 'd0', info: { kind: 'dummy' } }) },
  {
    fixture: 'link_add_vlan',
    type: C.RTM_NEWLINK,
    build: (l) => R.newLink({ name: 'vm0.10', parentIndex: l.vm0, info: { kind: 'vlan', id: 10 } }),
  },
  { fixture: 'link_set_up', type: C.RTM_NEWLINK, build: (l) => R.setLink(l.vy1, { up: true }) },
  { fixture: 'link_set_down', type: C.RTM_NEWLINK, build: (l) => R.setLink(l.vy1, { up: false }) },
  { fixture: 'link_set_mtu', type: C.RTM_NEWLINK, build: (l) => R.setLink(l.vy1, { mtu: 1400 }) },
  { fixture: 'link_set_mac', type: C.RTM_NEWLINK, build: (l) => R.setLink(l.vy1, { mac: '02:00:00:00:00:05' }) },
  { fixture: 'link_set_promisc', type: C.RTM_NEWLINK, build: (l) => R.setLink(l.vy1, { promisc: true }) },
  { fixture: 'link_set_master', type: C.RTM_NEWLINK, build: (l) => R.setLink(l.vy0, { masterIndex: l.br0 }) },
  { fixture: 'link_set_nomaster', type: C.RTM_NEWLINK, build: (l) => R.setLink(l.vy0, { masterIndex: 0 }) },
  { fixture: 'link_rename', type: C.RTM_NEWLINK, build: (l) => R.setLink(l.vy1, { name: 'vy2' }) },
  { fixture: 'link_set_netns', type: C.RTM_NEWLINK, build: (l) => R.setLink(l.vy2, { netnsFd: IPROUTE_NETNS_FD }) },
  {
    fixture: 'bridge_port',
    type: C.RTM_NEWLINK,
    build: (l) => R.setBridgePort(l.vp0, { hairpin: true, isolated: true, learning: false, flood: false }),
  },
  { fixture: 'bridge_port_hairpin_off', type: C.RTM_NEWLINK, build: (l) => R.setBridgePort(l.vp0, { hairpin: false }) },
  {
    fixture: 'bridge_vlan_add_pvid',
    type: C.RTM_SETLINK,
    build: (l) => R.bridgeVlan('add', l.vp0, 10, { pvid: true, untagged: true }),
  },
  { fixture: 'bridge_vlan_add', type: C.RTM_SETLINK, build: (l) => R.bridgeVlan('add', l.vp0, 20) },
  { fixture: 'bridge_vlan_del', type: C.RTM_DELLINK, build: (l) => R.bridgeVlan('del', l.vp0, 10) },
  { fixture: 'link_del', type: C.RTM_DELLINK, build: (l) => R.delLink(l.vx0) },
  { fixture: 'addr_add4', type: C.RTM_NEWADDR, build: (l) => R.addAddress(l.vp1, '10.1.0.5/24') },
  { fixture: 'addr_add4_31', type: C.RTM_NEWADDR, build: (l) => R.addAddress(l.vp1, '10.9.0.0/31') },
  { fixture: 'addr_add6_nodad', type: C.RTM_NEWADDR, build: (l) => R.addAddress(l.vp1, '2001:db8::5/64', { noDad: true }) },
  { fixture: 'addr_add6', type: C.RTM_NEWADDR, build: (l) => R.addAddress(l.vp1, '2001:db8:1::5/64') },
  { fixture: 'addr_del6', type: C.RTM_DELADDR, build: (l) => R.delAddress(l.vp1, '2001:db8:1::5/64') },
  { fixture: 'addr_del4', type: C.RTM_DELADDR, build: (l) => R.delAddress(l.vp1, '10.1.0.5/24') },
  {
    fixture: 'route_add_gw_metric',
    type: C.RTM_NEWROUTE,
    build: (l) => R.newRoute({ dst: '10.2.0.0/16', gw: '10.1.0.1', oif: l.vp1, priority: 100 }, 'exclusive'),
  },
  {
    fixture: 'route_prepend',
    type: C.RTM_NEWROUTE,
    build: (l) => R.newRoute({ dst: '10.3.0.0/16', gw: '10.1.0.1', oif: l.vp1 }, 'create'),
  },
  {
    fixture: 'route_replace_table',
    type: C.RTM_NEWROUTE,
    build: (l) => R.newRoute({ dst: '10.4.0.0/16', gw: '10.1.0.1', oif: l.vp1, table: 100 }, 'replace'),
  },
  {
    fixture: 'route_add_table_big',
    type: C.RTM_NEWROUTE,
    build: (l) => R.newRoute({ dst: '10.4.0.0/16', gw: '10.1.0.1', oif: l.vp1, table: 1000 }, 'exclusive'),
  },
  {
    fixture: 'route_add_dev_scope_src',
    type: C.RTM_NEWROUTE,
    build: (l) => R.newRoute({ dst: '10.5.0.0/16', oif: l.vp1, scope: C.RT_SCOPE_LINK, prefsrc: '10.1.0.5' }, 'exclusive'),
  },
  { fixture: 'route_add_dev', type: C.RTM_NEWROUTE, build: (l) => R.newRoute({ dst: '10.6.0.0/16', oif: l.vp1 }, 'exclusive') },
  {
    fixture: 'route_add_metrics',
    type: C.RTM_NEWROUTE,
    build: (l) => R.newRoute({ dst: '10.7.0.0/16', gw: '10.1.0.1', oif: l.vp1, metrics: { mtu: 1400, advmss: 1360 } }, 'exclusive'),
  },
  {
    fixture: 'route_add_multipath',
    type: C.RTM_NEWROUTE,
    build: (l) =>
      R.newRoute(
        {
          dst: '10.8.0.0/16',
          nexthops: [
            { gw: '10.1.0.1', oif: l.vp1, weight: 1 },
            { gw: '10.1.0.2', oif: l.vp1, weight: 3 },
          ],
        },
        'exclusive',
      ),
  },
  {
    fixture: 'route_add_default',
    type: C.RTM_NEWROUTE,
    build: (l) => R.newRoute({ dst: '0.0.0.0/0', gw: '10.1.0.1', oif: l.vp1 }, 'exclusive'),
  },
  {
    fixture: 'route_add6',
    type: C.RTM_NEWROUTE,
    build: (l) => R.newRoute({ dst: '2001:db8:2::/64', gw: '2001:db8::1', oif: l.vp1, priority: 1024 }, 'exclusive'),
  },
  {
    fixture: 'route_add6_host_scope',
    type: C.RTM_NEWROUTE,
    build: (l) => R.newRoute({ dst: '2001:db8:3::1/128', oif: l.vp1, scope: C.RT_SCOPE_HOST }, 'exclusive'),
  },
  {
    fixture: 'route_del_gw_metric',
    type: C.RTM_DELROUTE,
    build: (l) => R.delRoute({ dst: '10.2.0.0/16', gw: '10.1.0.1', oif: l.vp1, priority: 100 }),
  },
  {
    fixture: 'route_del_table',
    type: C.RTM_DELROUTE,
    build: (l) => R.delRoute({ dst: '10.4.0.0/16', gw: '10.1.0.1', oif: l.vp1, table: 100 }),
  },
  {
    fixture: 'route_del6',
    type: C.RTM_DELROUTE,
    build: (l) => R.delRoute({ dst: '2001:db8:2::/64', gw: '2001:db8::1', oif: l.vp1 }),
  },
  { fixture: 'dump_addrs', type: C.RTM_GETADDR, build: () => R.dumpAddresses() },
  { fixture: 'dump_routes4', type: C.RTM_GETROUTE, build: () => R.dumpRoutes(4) },
  { fixture: 'dump_routes6', type: C.RTM_GETROUTE, build: () => R.dumpRoutes(6) },
  { fixture: 'dump_bridge_vlans', type: C.RTM_GETLINK, build: () => R.dumpBridgeVlans() },
];

describe('requests equal what iproute2 sends', () => {
  test.each(cases.map((c) => [c.fixture, c] as const))('%s', (_name, c) => {
    const f = requestFixture(c.fixture);
    expect(encode(c.build(f.links))).toBe(hex(sent(f, c.type)));
  });

  test('every captured operation has a case', () => {
    const covered = new Set([...cases.map((c) => c.fixture), 'dump_links', 'get_link']);
    expect(requestFixtures.map((f) => f.name).filter((n) => !covered.has(n))).toEqual([]);
  });
});

/** IFLA_EXT_MASK is the last attribute of iproute2's link lookups and dumps; its value is the last 4 bytes. */
function withExtMask(msg: Uint8Array, mask: number): string {
  const out = msg.slice();
  const at = out.findIndex((_, i) => i >= 32 && out[i] === 8 && out[i + 1] === 0 && out[i + 2] === C.IFLA_EXT_MASK && out[i + 3] === 0);
  new DataView(out.buffer).setUint32(at + 4, mask, true);
  return hex(out);
}

describe('link reads: iproute2 bytes with stats skipped instead of VF info asked for', () => {
  test('get by name: the lookup `ip link set dev NAME` starts with', () => {
    const f = requestFixture('link_set_up');
    const lookup = sent(f, C.RTM_GETLINK);
    expect(encode(R.getLinkByName('vy1'))).toBe(withExtMask(lookup, C.RTEXT_FILTER_SKIP_STATS));
  });

  test('get by index', () => {
    const f = requestFixture('link_set_mac');
    const byIndex = sent(f, C.RTM_GETLINK, (m) => new DataView(m.buffer).getInt32(20, true) !== 0);
    // iproute2 asks by index with no attribute at all; we add the same IFLA_EXT_MASK.
    expect(encode(R.getLinkByIndex(f.links.vy1)).slice(8, 64)).toBe(hex(byIndex).slice(8, 64));
    expect(encode(R.getLinkByIndex(f.links.vy1)).slice(64)).toBe('08001d0008000000');
  });

  test('dump', () => {
    const f = requestFixture('dump_links');
    expect(encode(R.dumpLinks())).toBe(withExtMask(sent(f, C.RTM_GETLINK), C.RTEXT_FILTER_SKIP_STATS));
  });
});

describe('request arguments', () => {
  test('names the kernel would refuse', () => {
    for (const bad of ['', '.', '..', 'a/b', 'a:b', 'a b', 'x'.repeat(16), 'é'.repeat(8)]) {
      expect(() => R.getLinkByName(bad)).toThrow(R.NetlinkArgumentError);
    }
    expect(() => R.getLinkByName('x'.repeat(15))).not.toThrow();
  });

  test('macvlan and vlan need a parent', () => {
    expect(() => R.newLink({ name: 'm', info: { kind: 'macvlan', mode: 'bridge' } })).toThrow(/needs a parent/);
    expect(() => R.newLink({ name: 'v', info: { kind: 'vlan', id: 5 } })).toThrow(/needs a parent/);
  });

  test('gateway of another family', () => {
    expect(() => R.newRoute({ dst: '10.0.0.0/8', gw: '2001:db8::1' })).toThrow(/another address family/);
  });

  test('VLAN id and MTU ranges', () => {
    expect(() => R.bridgeVlan('add', 3, 0)).toThrow(/VLAN id/);
    expect(() => R.bridgeVlan('add', 3, 4095)).toThrow(/VLAN id/);
    expect(() => R.setLink(3, { mtu: 67 })).toThrow(/MTU/);
  });

  test('address flags above 0xff travel in IFA_FLAGS', () => {
    const m = R.addAddress(2, '2001:db8::1/64', { noDad: true, flags: C.IFA_F_NOPREFIXROUTE }).finish(0);
    expect(m[16 + 2]).toBe(C.IFA_F_NODAD);
    expect(hex(m.slice(-8))).toBe('0800080002020000');
  });

  test('IPv6 multipath nexthops carry 16-byte gateways', () => {
    const m = R.newRoute({
      dst: '2001:db8:7::/64',
      nexthops: [
        { gw: 'fe80::1', oif: 2 },
        { gw: 'fe80::2', oif: 3, weight: 2 },
      ],
    }).finish(0);
    // rtnexthop {len 28, flags 0, hops, ifindex} + RTA_GATEWAY (20 bytes) per hop.
    expect(hex(m.slice(-56))).toBe(
      '1c0000000200000014000500fe800000000000000000000000000001' + '1c0000010300000014000500fe800000000000000000000000000002',
    );
  });
});
