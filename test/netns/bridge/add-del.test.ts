import fs from 'node:fs';
import { ALL_VERSIONS, NOTHING_LEFT, requireBinaries, Sandbox, type Json } from './harness';

let s: Sandbox;
beforeAll(requireBinaries);
beforeEach(() => (s = new Sandbox()));
afterEach(() => s.cleanup());

const gateway = { isGateway: true };
const dual = { ranges: [[{ subnet: '10.99.0.0/24' }], [{ subnet: 'fd99::/64' }]], routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }] };

function macOf(ns: Sandbox['host'], name: string): string {
  return s.link(ns, name).address;
}

describe('bridge ADD: result in every version family', () => {
  test.each(['1.0.0', '1.1.0'])('%s: bridge, host veth, container interface; ips point at the container', (v) => {
    const r = s.ok({ command: 'ADD', conf: s.conf({ ...gateway, cniVersion: v }) }).json;
    const [br, veth, ctr] = r.interfaces;
    // 1.1 results carry each interface's MTU (issue 16; the reference leaves it out).
    const mtu = v === '1.1.0' ? { mtu: 1500 } : {};
    expect(r).toEqual({
      cniVersion: v,
      interfaces: [
        { name: 'cnitest0', mac: expect.stringMatching(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/), ...mtu },
        { name: expect.stringMatching(/^veth[0-9a-f]{8}$/), mac: expect.any(String), ...mtu },
        { name: 'eth0', mac: expect.any(String), sandbox: s.ctr.path, ...mtu },
      ],
      ips: [{ interface: 2, address: '10.99.0.2/24', gateway: '10.99.0.1' }],
    });
    expect(br.mac).toBe(macOf(s.host, 'cnitest0'));
    expect(veth.mac).toBe(macOf(s.host, veth.name));
    expect(ctr.mac).toBe(macOf(s.ctr, 'eth0'));
    expect(s.link(s.host, veth.name).master).toBe('cnitest0');
    expect(s.addresses(s.ctr, 'eth0')).toEqual(['10.99.0.2/24']);
    expect(s.addresses(s.host, 'cnitest0')).toEqual(['10.99.0.1/24']);
  });

  test.each(['0.3.0', '0.3.1', '0.4.0'])('%s: ips carry their version, dns is printed empty', (v) => {
    const r = s.ok({ command: 'ADD', conf: s.conf({ ...gateway, cniVersion: v }) }).json;
    expect(r.cniVersion).toBe(v);
    expect(r.interfaces).toHaveLength(3);
    expect(r.ips).toEqual([{ version: '4', interface: 2, address: '10.99.0.2/24', gateway: '10.99.0.1' }]);
    expect(r.dns).toEqual({});
  });

  test.each(['0.1.0', '0.2.0'])('%s: ip4/ip6 only (no interfaces in these versions)', (v) => {
    const r = s.ok({ command: 'ADD', conf: s.conf({ isDefaultGateway: true, cniVersion: v }, { ranges: dual.ranges }) }).json;
    expect(r).toEqual({
      cniVersion: v,
      ip4: { ip: '10.99.0.2/24', gateway: '10.99.0.1', routes: [{ dst: '0.0.0.0/0', gw: '10.99.0.1' }] },
      ip6: { ip: 'fd99::2/64', gateway: 'fd99::1', routes: [{ dst: '::/0', gw: 'fd99::1' }] },
      dns: {},
    });
  });

  test('L2-only at 0.2.0 cannot be expressed: a clear conversion error, and nothing is left behind', () => {
    const e = s.fails({ command: 'ADD', conf: s.conf({ cniVersion: '0.2.0' }, null) });
    expect(e.code).toBe(1);
    expect(e.msg).toMatch(/no valid IP addresses/);
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });

  test.each(ALL_VERSIONS)('%s: DEL removes the veth pair and releases the address, the bridge stays', (v) => {
    const conf = s.conf({ ...gateway, ipMasq: true, cniVersion: v });
    s.ok({ command: 'ADD', conf });
    s.ok({ command: 'DEL', conf });
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
    expect(s.links(s.host)).toContain('cnitest0');
  });
});

describe('bridge ADD: dual stack', () => {
  test('addresses, gateways on the bridge, default routes via the gateways, forwarding on', () => {
    const r = s.ok({ command: 'ADD', conf: s.conf({ isDefaultGateway: true }, { ranges: dual.ranges }) }).json;
    expect(r.ips).toEqual([
      { interface: 2, address: '10.99.0.2/24', gateway: '10.99.0.1' },
      { interface: 2, address: 'fd99::2/64', gateway: 'fd99::1' },
    ]);
    expect(r.routes).toEqual([
      { dst: '0.0.0.0/0', gw: '10.99.0.1' },
      { dst: '::/0', gw: 'fd99::1' },
    ]);
    expect(s.addresses(s.ctr, 'eth0')).toEqual(['10.99.0.2/24', 'fd99::2/64']);
    expect(s.addresses(s.host, 'cnitest0')).toEqual(['10.99.0.1/24', 'fd99::1/64']);
    const routes = (f: string) => (s.ctr.ipJson(f, 'route', 'show', 'default') as Json[]).map((x) => x.gateway);
    expect(routes('-4')).toEqual(['10.99.0.1']);
    expect(routes('-6')).toEqual(['fd99::1']);
    expect(s.host.sysctl('net/ipv4/ip_forward')).toBe('1');
    expect(s.host.sysctl('net/ipv6/conf/all/forwarding')).toBe('1');
    expect(s.ctr.sysctl('net/ipv6/conf/eth0/accept_dad')).toBe('0');
    expect(s.ctr.sysctl('net/ipv4/conf/eth0/arp_notify')).toBe('1');
    expect(s.ctr.sysctl('net/ipv6/conf/eth0/keep_addr_on_down')).toBe('1');
    const veth = r.interfaces[1].name;
    expect(s.host.sysctl(`net/ipv6/conf/${veth}/accept_ra`)).toBe('0');
    expect(s.host.sysctl('net/ipv6/conf/cnitest0/accept_ra')).toBe('0');
  });

  test('without isGateway nothing goes on the bridge and forwarding is untouched', () => {
    s.ok({ command: 'ADD', conf: s.conf({}, { ranges: dual.ranges }) });
    expect(s.addresses(s.host, 'cnitest0')).toEqual([]);
    expect(s.host.sysctl('net/ipv4/ip_forward')).toBe('0');
  });
});

describe('bridge DEL: idempotent', () => {
  test('DEL twice, and DEL of something never added', () => {
    const conf = s.conf({ ...gateway, ipMasq: true });
    s.ok({ command: 'DEL', conf });
    s.ok({ command: 'ADD', conf });
    s.ok({ command: 'DEL', conf });
    s.ok({ command: 'DEL', conf });
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });

  test('after the container namespace was deleted: address released, masquerading removed', () => {
    const conf = s.conf({ ...gateway, ipMasq: true });
    s.ok({ command: 'ADD', conf });
    s.ctr.delete();
    s.ok({ command: 'DEL', conf });
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });

  test.each([
    ['with prevResult', true],
    ['without prevResult', false],
  ])('CNI_NETNS="" %s (containerd after the task is gone): everything found by name is removed', (_label, withPrev) => {
    const conf = s.conf({ ...gateway, ipMasq: true });
    const prevResult = s.ok({ command: 'ADD', conf }).json;
    s.ctr.delete();
    s.ok({ command: 'DEL', conf: withPrev ? { ...conf, prevResult } : conf, netns: '' });
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });

  test('the interface already gone: still releases and cleans up', () => {
    const conf = s.conf({ ...gateway, ipMasq: true });
    s.ok({ command: 'ADD', conf });
    s.ctr.ip('link', 'delete', 'eth0');
    s.ok({ command: 'DEL', conf });
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });

  test('the reservation already gone', () => {
    const conf = s.conf(gateway);
    s.ok({ command: 'ADD', conf });
    for (const ip of s.reservations()) fs.rmSync(`${s.dataDir}/testnet/${ip}`);
    s.ok({ command: 'DEL', conf });
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });
});

describe('bridge ADD: the bridge itself', () => {
  test('the default bridge name is cni0', () => {
    const conf = s.conf({ bridge: undefined });
    const r = s.ok({ command: 'ADD', conf }).json;
    expect(r.interfaces[0].name).toBe('cni0');
    expect(s.link(s.host, 'cni0').linkinfo.info_kind).toBe('bridge');
  });

  test('an existing non-bridge with the name is refused before anything is done', () => {
    s.host.execOk('ip', ['link', 'add', 'cnitest0', 'type', 'veth', 'peer', 'name', 'other0']);
    const e = s.fails({ command: 'ADD', conf: s.conf(gateway) });
    expect(e.msg).toContain('"cnitest0" already exists but is not a bridge');
    expect(s.links(s.host).sort()).toEqual(['cnitest0', 'lo', 'other0']);
    expect(s.reservations()).toEqual([]);
  });

  test('keeps its MAC when ports come and go, also when the last one leaves', () => {
    const conf = s.conf(gateway);
    const mac = s.ok({ command: 'ADD', conf }).json.interfaces[0].mac;
    s.ok({ command: 'DEL', conf });
    expect(macOf(s.host, 'cnitest0')).toBe(mac);
    expect(s.ok({ command: 'ADD', conf, containerId: 'ctr2' }).json.interfaces[0].mac).toBe(mac);
  });

  test('an existing bridge whose MAC fell to all zeros when its last port left is repaired', () => {
    s.host.execOk('ip', ['link', 'add', 'cnitest0', 'type', 'bridge']);
    s.host.execOk('ip', ['link', 'add', 'tmp0', 'master', 'cnitest0', 'type', 'veth', 'peer', 'name', 'tmp1']);
    s.host.execOk('ip', ['link', 'delete', 'tmp0']);
    expect(macOf(s.host, 'cnitest0')).toBe('00:00:00:00:00:00');
    const r = s.ok({ command: 'ADD', conf: s.conf(gateway) }).json;
    expect(r.interfaces[0].mac).not.toBe('00:00:00:00:00:00');
    expect(macOf(s.host, 'cnitest0')).toBe(r.interfaces[0].mac);
  });
});
