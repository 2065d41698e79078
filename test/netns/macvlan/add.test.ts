import fs from 'node:fs';
import { requireBinaries, reservations } from '../../helpers/run-plugin';
import { globalAddresses, linkNames, macvlanConf, macvlanEnv, MASTER, NETWORK, type MacvlanEnv } from './fixture';

// ADD of the built macvlan binary, run inside a throwaway host namespace whose master is a
// veth end; host-local (the built one) keeps its state in a temporary dataDir.
jest.setTimeout(30_000);
beforeAll(() => requireBinaries('macvlan', 'host-local'));

let env: MacvlanEnv;
beforeEach(() => (env = macvlanEnv()));
afterEach(() => env.destroy());

describe('macvlan ADD (L3)', () => {
  it('creates a macvlan on the master inside the container, with the IPAM address and routes', () => {
    const r = env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir) });
    const link = env.link(env.ctr);
    expect(r.json).toEqual({
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', mac: link.address, sandbox: env.ctr.path }],
      ips: [{ interface: 0, address: '10.60.0.2/24', gateway: '10.60.0.1' }],
      routes: [{ dst: '0.0.0.0/0' }],
    });
    expect(link.linkinfo.info_kind).toBe('macvlan');
    expect(link.linkinfo.info_data.mode).toBe('bridge');
    expect(link.flags).toContain('UP');
    // The parent lives in the host namespace: the container sees it only by index.
    expect(link.link_index).toBe(env.host.ipJson('link', 'show', 'dev', MASTER)[0].ifindex);
    expect(globalAddresses(env.ctr)).toEqual(['10.60.0.2/24']);
    expect(env.ctr.ipJson('route', 'show', 'default')).toEqual([expect.objectContaining({ gateway: '10.60.0.1', dev: 'eth0' })]);
    expect(reservations(env.dataDir, NETWORK)).toEqual(['10.60.0.2']);
  });

  it('turns on arp_notify and ndisc_notify for the interface, as the reference', () => {
    env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir) });
    expect(env.ctr.sysctl('net/ipv4/conf/eth0/arp_notify')).toBe('1');
    expect(env.ctr.sysctl('net/ipv6/conf/eth0/ndisc_notify')).toBe('1');
  });

  it('configures IPv6 too: enables it, keeps addresses on down, waits out DAD before the v6 gateway route', () => {
    const conf = macvlanConf(
      env.dataDir,
      {},
      { ranges: [[{ subnet: '10.60.0.0/24' }], [{ subnet: 'fd60::/64' }]], routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }] },
    );
    env.ctr.execOk('sh', ['-c', 'echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6']);
    const r = env.ok({ command: 'ADD', conf });
    expect(r.json.ips).toEqual([
      { interface: 0, address: '10.60.0.2/24', gateway: '10.60.0.1' },
      { interface: 0, address: 'fd60::2/64', gateway: 'fd60::1' },
    ]);
    expect(globalAddresses(env.ctr)).toEqual(['10.60.0.2/24', 'fd60::2/64']);
    expect(env.ctr.sysctl('net/ipv6/conf/eth0/disable_ipv6')).toBe('0');
    expect(env.ctr.sysctl('net/ipv6/conf/eth0/keep_addr_on_down')).toBe('1');
    const [v6default] = env.ctr.ipJson('-6', 'route', 'show', 'default');
    expect(v6default).toEqual(expect.objectContaining({ gateway: 'fd60::1', dev: 'eth0' }));
    const tentative = env.ctr.ipJson('-6', 'address', 'show', 'dev', 'eth0', 'tentative');
    expect(tentative.flatMap((e: { addr_info: unknown[] }) => e.addr_info)).toEqual([]);
  });

  it('copies the config dns into the result and drops the one IPAM returns', () => {
    const resolv = `${env.dataDir}/resolv.conf`;
    fs.writeFileSync(resolv, 'nameserver 192.0.2.53\nsearch ipam.example\n');
    const dns = { nameservers: ['192.0.2.1'], domain: 'example.org', search: ['a.example'], options: ['ndots:2'] };
    expect(env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir, { dns }, { resolvConf: resolv }) }).json.dns).toEqual(dns);
  });

  it('reports no dns when the config has none, even if IPAM returned some', () => {
    const resolv = `${env.dataDir}/resolv.conf`;
    fs.writeFileSync(resolv, 'nameserver 192.0.2.53\n');
    expect(env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir, {}, { resolvConf: resolv }) }).json.dns).toBeUndefined();
  });

  it('never clashes with a host interface of the same name: the link is born in the container', () => {
    env.host.ip('link', 'add', 'name', 'eth0', 'type', 'veth', 'peer', 'name', 'hosteth0p');
    const before = env.link(env.host);
    env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir) });
    expect(env.link(env.ctr).linkinfo.info_kind).toBe('macvlan');
    const after = env.link(env.host);
    expect(after.ifindex).toBe(before.ifindex);
    expect(after.linkinfo.info_kind).toBe('veth');
    expect(linkNames(env.host).filter((n) => !['lo', MASTER, 'mvup1', 'eth0', 'hosteth0p'].includes(n))).toEqual([]);
  });

  it("accepts a /proc/<pid>/ns/net CNI_NETNS (as containerd's ctr sends), and DEL with it", async () => {
    const sleeper = await env.ctr.background('sleep', ['600']);
    const conf = macvlanConf(env.dataDir);
    const r = env.ok({ command: 'ADD', conf, netns: sleeper.nsPath });
    expect(r.json.interfaces[0].sandbox).toBe(sleeper.nsPath);
    expect(env.link(env.ctr).linkinfo.info_kind).toBe('macvlan');
    expect(env.run({ command: 'CHECK', conf: { ...conf, prevResult: r.json }, netns: sleeper.nsPath }).status).toBe(0);
    env.ok({ command: 'DEL', conf, netns: sleeper.nsPath });
    expect(linkNames(env.ctr)).toEqual(['lo']);
  });

  it('honours CNI_IFNAME', () => {
    const r = env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir), ifName: 'net1' });
    expect(r.json.interfaces[0].name).toBe('net1');
    expect(linkNames(env.ctr).sort()).toEqual(['lo', 'net1']);
  });
});

describe('macvlan ADD (L2 only)', () => {
  it.each([{}, { type: '' }])('with ipam %j just brings the link up: no addresses, no routes', (ipam) => {
    const r = env.ok({ command: 'ADD', conf: { ...macvlanConf(env.dataDir), ipam } });
    expect(r.json).toEqual({ cniVersion: '1.0.0', interfaces: [{ name: 'eth0', mac: env.link(env.ctr).address, sandbox: env.ctr.path }] });
    expect(env.link(env.ctr).flags).toContain('UP');
    expect(globalAddresses(env.ctr)).toEqual([]);
  });

  it('also without any ipam section, and still copies dns', () => {
    const { ipam: _ipam, ...conf } = macvlanConf(env.dataDir);
    const r = env.ok({ command: 'ADD', conf: { ...conf, dns: { nameservers: ['192.0.2.1'] } } });
    expect(r.json.ips).toBeUndefined();
    expect(r.json.dns).toEqual({ nameservers: ['192.0.2.1'] });
  });

  it('refuses an L2-only 0.2.0 config before creating anything', () => {
    const { ipam: _ipam, ...conf } = macvlanConf(env.dataDir);
    const r = env.run({ command: 'ADD', conf: { ...conf, cniVersion: '0.2.0' } });
    expect(r.status).not.toBe(0);
    expect(r.json).toMatchObject({ code: 1, msg: expect.stringMatching(/L2 only/) });
    expect(linkNames(env.ctr)).toEqual(['lo']);
  });
});

describe('macvlan ADD: result of every version family', () => {
  it.each(['0.1.0', '0.2.0'])('%s: ip4 with its routes', (v) => {
    const r = env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir, { cniVersion: v }) });
    expect(r.json).toEqual({ cniVersion: v, ip4: { ip: '10.60.0.2/24', gateway: '10.60.0.1', routes: [{ dst: '0.0.0.0/0' }] }, dns: {} });
    expect(globalAddresses(env.ctr)).toEqual(['10.60.0.2/24']);
  });

  it.each(['0.3.0', '0.3.1', '0.4.0'])('%s: interfaces, ips with version, dns {}', (v) => {
    const r = env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir, { cniVersion: v }) });
    expect(r.json).toEqual({
      cniVersion: v,
      interfaces: [{ name: 'eth0', mac: env.link(env.ctr).address, sandbox: env.ctr.path }],
      ips: [{ version: '4', interface: 0, address: '10.60.0.2/24', gateway: '10.60.0.1' }],
      routes: [{ dst: '0.0.0.0/0' }],
      dns: {},
    });
  });

  it.each(['1.0.0', '1.1.0'])('%s: ips without version', (v) => {
    const r = env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir, { cniVersion: v }) });
    expect(r.json.cniVersion).toBe(v);
    expect(r.json.ips).toEqual([{ interface: 0, address: '10.60.0.2/24', gateway: '10.60.0.1' }]);
    expect(r.stdout).toBe(JSON.stringify(r.json, null, 4));
  });
});

describe('macvlan ADD: two containers on one master', () => {
  it('reach each other in bridge mode (traffic only between the test namespaces)', () => {
    env.destroy();
    env = macvlanEnv({ containers: 2 });
    const a = env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir), containerId: 'a' }, 0);
    const b = env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir), containerId: 'b' }, 1);
    const ipA = a.json.ips[0].address.split('/')[0];
    const ipB = b.json.ips[0].address.split('/')[0];
    expect(ipA).not.toBe(ipB);
    expect(env.containers[0].exec('ping', ['-c', '1', '-W', '2', '-n', ipB]).status).toBe(0);
    expect(env.containers[1].exec('ping', ['-c', '1', '-W', '2', '-n', ipA]).status).toBe(0);
  });
});
