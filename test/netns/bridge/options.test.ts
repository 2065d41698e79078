import fs from 'node:fs';
import path from 'node:path';
import { NOTHING_LEFT, requireBinaries, Sandbox, type Json } from './harness';

let s: Sandbox;
beforeAll(requireBinaries);
beforeEach(() => (s = new Sandbox()));
afterEach(() => s.cleanup());

function hostVeth(r: Json): string {
  return r.interfaces[1].name;
}

function portFlags(veth: string): { hairpin: boolean; isolated: boolean } {
  const data = s.link(s.host, veth).linkinfo.info_slave_data;
  return { hairpin: data.hairpin, isolated: data.isolated };
}

describe('bridge options: ports', () => {
  test('defaults: hairpin and isolation off, no promisc', () => {
    const r = s.ok({ command: 'ADD', conf: s.conf() }).json;
    expect(portFlags(hostVeth(r))).toEqual({ hairpin: false, isolated: false });
    expect(s.link(s.host, 'cnitest0').flags).not.toContain('PROMISC');
  });

  test('hairpinMode turns on hairpin on the host port', () => {
    const r = s.ok({ command: 'ADD', conf: s.conf({ hairpinMode: true }) }).json;
    expect(portFlags(hostVeth(r))).toEqual({ hairpin: true, isolated: false });
  });

  test('portIsolation sets the isolated flag on the host port', () => {
    const r = s.ok({ command: 'ADD', conf: s.conf({ portIsolation: true }) }).json;
    expect(portFlags(hostVeth(r))).toEqual({ hairpin: false, isolated: true });
  });

  test('promiscMode puts the bridge in promiscuous mode', () => {
    s.ok({ command: 'ADD', conf: s.conf({ promiscMode: true }) });
    expect(s.link(s.host, 'cnitest0').flags).toContain('PROMISC');
  });

  test('hairpinMode with promiscMode is refused (code 7) before anything is created', () => {
    const e = s.fails({ command: 'ADD', conf: s.conf({ hairpinMode: true, promiscMode: true }) });
    expect(e).toMatchObject({ code: 7, msg: 'bridge: cannot set hairpinMode and promiscMode at the same time' });
    expect(s.links(s.host)).toEqual(['lo']);
  });

  test('mtu: the new bridge and both veth ends', () => {
    const r = s.ok({ command: 'ADD', conf: s.conf({ mtu: 1400 }) }).json;
    expect(s.link(s.host, 'cnitest0').mtu).toBe(1400);
    expect(s.link(s.host, hostVeth(r)).mtu).toBe(1400);
    expect(s.link(s.ctr, 'eth0').mtu).toBe(1400);
  });

  test('mtu of an existing bridge is left alone (only set at creation, as in the reference)', () => {
    s.host.execOk('ip', ['link', 'add', 'cnitest0', 'mtu', '1450', 'type', 'bridge']);
    const r = s.ok({ command: 'ADD', conf: s.conf({ mtu: 1300 }) }).json;
    expect(s.link(s.host, 'cnitest0').mtu).toBe(1300); // a bridge follows its smallest port
    expect(s.link(s.ctr, 'eth0').mtu).toBe(1300);
    expect(s.link(s.host, hostVeth(r)).mtu).toBe(1300);
  });
});

describe('bridge options: container interface', () => {
  test('enabledad turns DAD on (enhanced), the default turns it off', () => {
    s.ok({ command: 'ADD', conf: s.conf({ enabledad: true }, { subnet: 'fd99::/64' }) });
    expect(s.ctr.sysctl('net/ipv6/conf/eth0/accept_dad')).toBe('1');
    expect(s.ctr.sysctl('net/ipv6/conf/eth0/enhanced_dad')).toBe('1');
    const other = new Sandbox();
    try {
      other.ok({ command: 'ADD', conf: other.conf({}, { subnet: 'fd99::/64' }) });
      expect(other.ctr.sysctl('net/ipv6/conf/eth0/accept_dad')).toBe('0');
    } finally {
      other.cleanup();
    }
  });

  test('disableContainerInterface: L2 only, the container end stays down', () => {
    const r = s.ok({ command: 'ADD', conf: s.conf({ disableContainerInterface: true }, null) }).json;
    expect(r.ips).toBeUndefined();
    expect(s.link(s.ctr, 'eth0').flags).not.toContain('UP');
    s.ok({ command: 'DEL', conf: s.conf({ disableContainerInterface: true }, null) });
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });

  test('disableContainerInterface with IPAM is refused (code 7)', () => {
    const e = s.fails({ command: 'ADD', conf: s.conf({ disableContainerInterface: true }) });
    expect(e.code).toBe(7);
    expect(e.msg).toContain('cannot use IPAM when disableContainerInterface is set');
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });

  test('L2-only (empty ipam): the interface is up without addresses, the result has no ips', () => {
    for (const conf of [s.conf({}, null), { ...s.conf({}, null), ipam: {} }]) {
      const r = s.ok({ command: 'ADD', conf }).json;
      expect(r.ips).toBeUndefined();
      expect(r.interfaces.map((i: Json) => i.name)).toEqual(['cnitest0', expect.any(String), 'eth0']);
      expect(s.link(s.ctr, 'eth0').flags).toContain('UP');
      expect(s.addresses(s.ctr, 'eth0')).toEqual([]);
      s.ok({ command: 'DEL', conf });
      expect(s.leftovers()).toEqual(NOTHING_LEFT);
    }
  });

  test('container MAC precedence: runtimeConfig.mac > args.cni.mac > CNI_ARGS MAC', () => {
    const mac = (conf: Json, args: string) => {
      const r = s.ok({ command: 'ADD', conf, args }).json;
      const live = s.link(s.ctr, 'eth0').address;
      s.ok({ command: 'DEL', conf, args });
      expect(r.interfaces[2].mac).toBe(live);
      return live;
    };
    const args = 'IgnoreUnknown=1;MAC=02:00:00:00:00:03';
    expect(mac(s.conf({ runtimeConfig: { mac: '02:00:00:00:00:01' }, args: { cni: { mac: '02:00:00:00:00:02' } } }), args)).toBe(
      '02:00:00:00:00:01',
    );
    expect(mac(s.conf({ args: { cni: { mac: '02:00:00:00:00:02' } } }), args)).toBe('02:00:00:00:00:02');
    expect(mac(s.conf(), args)).toBe('02:00:00:00:00:03');
  });

  test('the container interface really gets the requested MAC', () => {
    s.ok({ command: 'ADD', conf: s.conf({ runtimeConfig: { mac: '02:42:ac:11:00:99' } }) });
    expect(s.link(s.ctr, 'eth0').address).toBe('02:42:ac:11:00:99');
  });
});

describe('bridge options: gateway', () => {
  test('isDefaultGateway implies isGateway and adds the default route', () => {
    const r = s.ok({ command: 'ADD', conf: s.conf({ isDefaultGateway: true }) }).json;
    expect(r.ips[0].gateway).toBe('10.99.0.1');
    expect(r.routes).toEqual([{ dst: '0.0.0.0/0', gw: '10.99.0.1' }]);
    expect(s.addresses(s.host, 'cnitest0')).toEqual(['10.99.0.1/24']);
  });

  test('an IPAM-given gateway is used for the bridge', () => {
    s.ok({ command: 'ADD', conf: s.conf({ isGateway: true }, { ranges: [[{ subnet: '10.99.0.0/24', gateway: '10.99.0.254' }]] }) });
    expect(s.addresses(s.host, 'cnitest0')).toEqual(['10.99.0.254/24']);
  });

  test('another IPv4 address on the bridge: refused without forceAddress, and the ADD is undone', () => {
    s.host.execOk('ip', ['link', 'add', 'cnitest0', 'type', 'bridge']);
    s.host.execOk('ip', ['address', 'add', '10.50.0.1/16', 'dev', 'cnitest0']);
    const e = s.fails({ command: 'ADD', conf: s.conf({ isGateway: true, ipMasq: true }) });
    expect(e.msg).toContain('"cnitest0" already has an IP address different from 10.99.0.1/24');
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
    expect(s.addresses(s.host, 'cnitest0')).toEqual(['10.50.0.1/16']);
  });

  test('forceAddress replaces the conflicting IPv4 address', () => {
    s.host.execOk('ip', ['link', 'add', 'cnitest0', 'type', 'bridge']);
    s.host.execOk('ip', ['address', 'add', '10.50.0.1/16', 'dev', 'cnitest0']);
    s.ok({ command: 'ADD', conf: s.conf({ isGateway: true, forceAddress: true }) });
    expect(s.addresses(s.host, 'cnitest0')).toEqual(['10.99.0.1/24']);
  });

  test('IPv6: non-overlapping addresses live side by side; an overlapping one needs forceAddress', () => {
    s.host.execOk('ip', ['link', 'add', 'cnitest0', 'type', 'bridge']);
    s.host.execOk('ip', ['address', 'add', 'fd50::1/64', 'dev', 'cnitest0', 'nodad']);
    s.ok({ command: 'ADD', conf: s.conf({ isGateway: true }, { subnet: 'fd99::/64' }) });
    expect(s.addresses(s.host, 'cnitest0').sort()).toEqual(['fd50::1/64', 'fd99::1/64']);
    s.host.execOk('ip', ['address', 'add', 'fd98::7/64', 'dev', 'cnitest0', 'nodad']);
    const conf98 = { ...s.conf({ isGateway: true }, { subnet: 'fd98::/64' }), name: 'net98' };
    expect(s.fails({ command: 'ADD', conf: conf98, containerId: 'ctr2', ifName: 'eth1' }).msg).toContain(
      'already has an IP address different from fd98::1/64',
    );
    s.ok({ command: 'ADD', conf: { ...conf98, forceAddress: true }, containerId: 'ctr2', ifName: 'eth1' });
    expect(s.addresses(s.host, 'cnitest0').sort()).toEqual(['fd50::1/64', 'fd98::1/64', 'fd99::1/64']);
  });

  test('the gateway already on the bridge (second container) is fine', () => {
    s.ok({ command: 'ADD', conf: s.conf({ isGateway: true }) });
    s.ok({ command: 'ADD', conf: s.conf({ isGateway: true }), containerId: 'ctr2', ifName: 'eth1' });
    expect(s.addresses(s.host, 'cnitest0')).toEqual(['10.99.0.1/24']);
  });
});

describe('bridge options: dns', () => {
  test("IPAM's DNS is returned, and the config's dns replaces it when set", () => {
    const resolv = path.join(s.dataDir, 'resolv.conf');
    fs.writeFileSync(resolv, 'nameserver 10.99.0.53\nsearch example.org\n');
    const fromIpam = s.ok({ command: 'ADD', conf: s.conf({}, { subnet: '10.99.0.0/24', resolvConf: resolv }) }).json;
    expect(fromIpam.dns).toEqual({ nameservers: ['10.99.0.53'], search: ['example.org'] });
    const own = { nameservers: ['1.1.1.1'], domain: 'cluster.local', search: ['svc.cluster.local'], options: ['ndots:5'] };
    const conf = s.conf({ dns: own }, { subnet: '10.99.0.0/24', resolvConf: resolv });
    const r = s.ok({ command: 'ADD', conf, containerId: 'ctr2', ifName: 'eth1' }).json;
    expect(r.dns).toEqual(own);
  });
});

describe('bridge options: mac spoof check', () => {
  test('only the container MAC may leave through the host port; DEL removes the rules', () => {
    const conf = s.conf({ macspoofchk: true });
    const r = s.ok({ command: 'ADD', conf }).json;
    const table = s.host.execOk('nft', ['list', 'table', 'bridge', 'nat']);
    expect(table).toContain(`iifname "${hostVeth(r)}" jump cni-br-iface-ctr1-eth0`);
    expect(table).toContain(`ether saddr ${r.interfaces[2].mac} return comment "macspoofchk-ctr1-eth0"`);
    expect(table).toContain('drop comment "macspoofchk-ctr1-eth0"');
    s.ok({ command: 'DEL', conf });
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });

  test('removed also when DEL comes without a namespace', () => {
    const conf = s.conf({ macspoofchk: true });
    s.ok({ command: 'ADD', conf });
    s.ctr.delete();
    s.ok({ command: 'DEL', conf, netns: '' });
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });
});
