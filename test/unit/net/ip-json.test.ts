import { parseAddresses, parseLinks, parseRoutes, splitJsonDocuments } from '../../../lib/net/ip-json';

// Captured from iproute2 6.1 (`ip -json -d ...`) on this project's test kernel.
const BRIDGE = `[{"ifindex":2,"ifname":"br0","flags":["BROADCAST","MULTICAST","PROMISC","UP"],"mtu":1400,"qdisc":"noop","operstate":"DOWN","linkmode":"DEFAULT","group":"default","txqlen":1000,"link_type":"ether","address":"aa:d6:a2:dc:5e:83","broadcast":"ff:ff:ff:ff:ff:ff","promiscuity":1,"linkinfo":{"info_kind":"bridge","info_data":{"forward_delay":1500,"vlan_filtering":0,"stp_state":0}}}]`;
const PORT = `[{"ifindex":3,"link_index":2,"ifname":"veth1","flags":["BROADCAST","MULTICAST"],"mtu":1500,"master":"br0","operstate":"DOWN","link_type":"ether","address":"1e:7e:2b:b4:81:6f","link_netnsid":0,"promiscuity":1,"linkinfo":{"info_kind":"veth","info_slave_kind":"bridge","info_slave_data":{"state":"disabled","hairpin":true,"isolated":false,"learning":true}}}]`;
const MACVLAN = `[{"ifindex":5,"link_index":3,"ifname":"mv1","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1400,"operstate":"UP","link_type":"ether","address":"02:00:00:00:00:07","link_netnsid":0,"linkinfo":{"info_kind":"macvlan","info_data":{"mode":"private","bcqueuelen":1000,"usedbcqueuelen":1000}}}]`;
const SAME_NS_VETH = `[{"ifindex":3,"link":"veth1","ifname":"veth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"operstate":"UP","link_type":"ether","address":"1e:c5:ba:fb:c7:16"}]`;
const LO = `[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"operstate":"UNKNOWN","link_type":"loopback","address":"00:00:00:00:00:00"}]`;

describe('links', () => {
  test('bridge', () => {
    expect(parseLinks(BRIDGE)[0]).toEqual({
      ifindex: 2,
      name: 'br0',
      kind: 'bridge',
      mtu: 1400,
      flags: ['BROADCAST', 'MULTICAST', 'PROMISC', 'UP'],
      up: true,
      operstate: 'down',
      promisc: true,
      mac: 'aa:d6:a2:dc:5e:83',
      vlanFiltering: false,
    });
  });
  test('bridge port with a peer in another namespace', () => {
    const l = parseLinks(PORT)[0];
    expect(l).toMatchObject({ kind: 'veth', master: 'br0', parentIndex: 2, parentNetnsId: 0, promisc: false, up: false });
    expect(l.bridgePort).toEqual({ state: 'disabled', hairpin: true, isolated: false });
  });
  test('macvlan', () => {
    expect(parseLinks(MACVLAN)[0]).toMatchObject({
      kind: 'macvlan',
      macvlanMode: 'private',
      parentIndex: 3,
      operstate: 'up',
      mac: '02:00:00:00:00:07',
    });
  });
  test('veth with its peer in the same namespace: parent by name', () => {
    const l = parseLinks(SAME_NS_VETH)[0];
    expect(l.parentName).toBe('veth1');
    expect(l.parentIndex).toBeUndefined();
    expect(l.kind).toBe('');
  });
  test('loopback has no MAC', () => {
    expect(parseLinks(LO)[0].mac).toBeUndefined();
  });
  test('empty output and garbage fields', () => {
    expect(parseLinks('')).toEqual([]);
    expect(parseLinks('[{"ifindex":"x","flags":"UP"}]')[0]).toMatchObject({ ifindex: 0, flags: [], up: false, name: '' });
    expect(() => parseLinks('{}')).toThrow();
  });
});

test('addresses with flags', () => {
  const text = `[{"ifindex":5,"ifname":"mv1","addr_info":[{"family":"inet","local":"10.1.0.5","prefixlen":24,"scope":"global","label":"mv1","valid_life_time":4294967295},{"family":"inet6","local":"2001:db8::5","prefixlen":64,"scope":"global","tentative":true,"valid_life_time":4294967295},{"family":"inet6","local":"2001:db8::6","prefixlen":64,"scope":"global","dadfailed":true,"tentative":true,"nodad":false},{"family":"inet6","local":"fe80::1","prefixlen":64,"scope":"link","nodad":true}]},{"ifindex":1,"ifname":"lo"}]`;
  const a = parseAddresses(text);
  expect(a.map((x) => [x.ifname, x.family, x.cidr, x.scope, x.tentative, x.dadfailed, x.flags])).toEqual([
    ['mv1', 4, '10.1.0.5/24', 'global', false, false, []],
    ['mv1', 6, '2001:db8::5/64', 'global', true, false, ['tentative']],
    ['mv1', 6, '2001:db8::6/64', 'global', true, true, ['dadfailed', 'tentative']],
    ['mv1', 6, 'fe80::1/64', 'link', false, false, ['nodad']],
  ]);
});

test('routes: default, host routes, tables, multipath', () => {
  const v4 = `[{"dst":"10.9.0.0/16","gateway":"10.1.0.1","dev":"veth0","table":"100","flags":[]},{"dst":"default","gateway":"10.1.0.1","dev":"veth0","flags":[]},{"dst":"10.10.0.0/16","flags":[],"nexthops":[{"gateway":"10.1.0.1","dev":"veth0","weight":1,"flags":[]},{"gateway":"10.1.0.2","dev":"veth0","weight":2,"flags":[]}]},{"type":"local","dst":"10.1.0.5","dev":"veth0","table":"local","protocol":"kernel","scope":"host","prefsrc":"10.1.0.5","flags":[]}]`;
  const v6 = `[{"dst":"default","dev":"veth1","table":"7","metric":1024,"flags":[],"pref":"medium"},{"dst":"default","gateway":"2001:db8::1","dev":"veth0","metric":50,"flags":[]},{"type":"multicast","dst":"ff00::/8","dev":"veth0","table":"local","protocol":"kernel","metric":256}]`;
  expect(parseRoutes(v4, 4)).toEqual([
    { family: 4, dst: '10.9.0.0/16', table: 100, type: 'unicast', scope: 'global', gateway: '10.1.0.1', dev: 'veth0' },
    { family: 4, dst: '0.0.0.0/0', table: 254, type: 'unicast', scope: 'global', gateway: '10.1.0.1', dev: 'veth0' },
    {
      family: 4,
      dst: '10.10.0.0/16',
      table: 254,
      type: 'unicast',
      scope: 'global',
      nexthops: [
        { gateway: '10.1.0.1', dev: 'veth0', weight: 1 },
        { gateway: '10.1.0.2', dev: 'veth0', weight: 2 },
      ],
    },
    { family: 4, dst: '10.1.0.5/32', table: 255, type: 'local', scope: 'host', dev: 'veth0', protocol: 'kernel', prefsrc: '10.1.0.5' },
  ]);
  expect(parseRoutes(v6, 6).map((r) => [r.dst, r.table, r.type, r.gateway, r.metric])).toEqual([
    ['::/0', 7, 'unicast', undefined, 1024],
    ['::/0', 254, 'unicast', '2001:db8::1', 50],
    ['ff00::/8', 255, 'multicast', undefined, 256],
  ]);
});

test('splitJsonDocuments separates the arrays of an `ip -json -batch` run', () => {
  expect(splitJsonDocuments('[{"a":"x]"}]\n[]\n[{"b":"\\"["}]\n')).toEqual(['[{"a":"x]"}]', '[]', '[{"b":"\\"["}]']);
  expect(splitJsonDocuments('')).toEqual([]);
});
