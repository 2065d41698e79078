import fs from 'node:fs';
import { noGcGrace } from '../helpers/gc-grace';
import { makeTopology, type TestNs, type Topology } from '../helpers/netns';
import { requireBinaries, reservations, runOk, runPlugin, tempDataDir, type PluginCall } from '../helpers/run-plugin';

// The dummy plugin, built binary, inside the full kernel (scripts/kernel-test.sh): this
// machine's own kernel has no dummy links. As on the host, the plugin runs in a throwaway
// "host" namespace (`ip netns exec`) against a throwaway container namespace, host-local keeps
// its state in a temporary dataDir, and nothing is created in the guest's root namespace.

jest.setTimeout(120_000); // process starts are slow in user-mode-linux

const NETWORK = 'dmnet';

beforeAll(() => {
  if (process.env.CNI_TS_FULL_KERNEL !== '1') throw new Error('the kernel suite runs inside user-mode-linux only: npm run test:kernel');
  requireBinaries('dummy', 'host-local');
});

let topo: Topology;
let dataDir: string;
beforeEach(() => {
  topo = makeTopology();
  dataDir = tempDataDir();
});
afterEach(() => {
  topo.cleanup();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

type Call = Omit<PluginCall, 'netns'> & { netns?: string };
const withNetns = (call: Call): PluginCall => ({ ...call, netns: call.netns ?? topo.ctr.path });
const run = (call: Call) => runPlugin(topo.host, 'dummy', withNetns(call));
const ok = (call: Call) => runOk(topo.host, 'dummy', withNetns(call));

function dummyConf(extra: Record<string, unknown> = {}, ipam: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name: NETWORK,
    type: 'dummy',
    ipam: { type: 'host-local', dataDir, ranges: [[{ subnet: '10.70.0.0/24' }]], routes: [{ dst: '10.71.0.0/16' }], ...ipam },
    ...extra,
  };
}

function added(extra: Record<string, unknown> = {}, ipam: Record<string, unknown> = {}): Record<string, unknown> {
  const conf = dummyConf(extra, ipam);
  return { ...conf, prevResult: ok({ command: 'ADD', conf }).json };
}

const link = (ns: TestNs, name = 'eth0') => ns.ipJson('-d', 'link', 'show', 'dev', name)[0];
const linkNames = (ns: TestNs): string[] =>
  ns
    .ipJson('link', 'show')
    .map((l: { ifname: string }) => l.ifname)
    .sort();
function globalAddresses(ns: TestNs, name = 'eth0'): string[] {
  const [entry] = ns.ipJson('address', 'show', 'dev', name);
  return (entry?.addr_info ?? [])
    .filter((a: { scope: string }) => a.scope === 'global')
    .map((a: { local: string; prefixlen: number }) => `${a.local}/${a.prefixlen}`);
}
function expectNothingLeft(): void {
  expect(linkNames(topo.ctr)).toEqual(['lo']);
  expect(reservations(dataDir, NETWORK)).toEqual([]);
}

describe('dummy ADD', () => {
  it('creates an up dummy link inside the container with the IPAM addresses and routes', () => {
    const r = ok({ command: 'ADD', conf: dummyConf() });
    const l = link(topo.ctr);
    expect(r.json).toEqual({
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', mac: l.address, sandbox: topo.ctr.path }],
      ips: [{ interface: 0, address: '10.70.0.2/24', gateway: '10.70.0.1' }],
      routes: [{ dst: '10.71.0.0/16' }],
    });
    expect(l.linkinfo.info_kind).toBe('dummy');
    expect(l.flags).toContain('UP');
    expect(globalAddresses(topo.ctr)).toEqual(['10.70.0.2/24']);
    expect(topo.ctr.ipJson('route', 'show', '10.71.0.0/16')).toEqual([expect.objectContaining({ gateway: '10.70.0.1', dev: 'eth0' })]);
    expect(reservations(dataDir, NETWORK)).toEqual(['10.70.0.2']);
    expect(linkNames(topo.host)).toEqual(['lo']);
  });

  it('takes dns from IPAM (the config dns is not used, as in the reference)', () => {
    fs.writeFileSync(`${dataDir}/resolv.conf`, 'nameserver 192.0.2.53\nsearch ipam.example\n');
    const r = ok({ command: 'ADD', conf: dummyConf({ dns: { nameservers: ['192.0.2.1'] } }, { resolvConf: `${dataDir}/resolv.conf` }) });
    expect(r.json.dns).toEqual({ nameservers: ['192.0.2.53'], search: ['ipam.example'] });
  });

  it('configures IPv6: enables it on lo and the interface and keeps addresses on down', () => {
    topo.ctr.execOk('sh', ['-c', 'echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6']);
    const conf = dummyConf({}, { ranges: [[{ subnet: '10.70.0.0/24' }], [{ subnet: 'fd70::/64' }]], routes: [{ dst: 'fd71::/64' }] });
    const r = ok({ command: 'ADD', conf });
    expect(r.json.ips).toEqual([
      { interface: 0, address: '10.70.0.2/24', gateway: '10.70.0.1' },
      { interface: 0, address: 'fd70::2/64', gateway: 'fd70::1' },
    ]);
    expect(globalAddresses(topo.ctr)).toEqual(['10.70.0.2/24', 'fd70::2/64']);
    expect(topo.ctr.sysctl('net/ipv6/conf/eth0/disable_ipv6')).toBe('0');
    expect(topo.ctr.sysctl('net/ipv6/conf/eth0/keep_addr_on_down')).toBe('1');
    expect(topo.ctr.ipJson('-6', 'route', 'show', 'fd71::/64')).toEqual([expect.objectContaining({ gateway: 'fd70::1', dev: 'eth0' })]);
  });

  it('never clashes with a host link of the same name', () => {
    topo.host.ip('link', 'add', 'name', 'eth0', 'type', 'dummy');
    const before = link(topo.host);
    ok({ command: 'ADD', conf: dummyConf() });
    expect(link(topo.ctr).linkinfo.info_kind).toBe('dummy');
    expect(link(topo.host).ifindex).toBe(before.ifindex);
    expect(linkNames(topo.host)).toEqual(['eth0', 'lo']);
  });

  it('honours CNI_IFNAME', () => {
    expect(ok({ command: 'ADD', conf: dummyConf(), ifName: 'dm1' }).json.interfaces[0].name).toBe('dm1');
    expect(linkNames(topo.ctr)).toEqual(['dm1', 'lo']);
  });

  it.each([{}, { ipam: {} }, { ipam: { type: '' } }])('requires IPAM (%j): a clear error, nothing created', (extra) => {
    const { ipam: _ipam, ...conf } = dummyConf();
    const r = run({ command: 'ADD', conf: { ...conf, ...extra } });
    expect(r.json).toMatchObject({ code: 7, msg: expect.stringMatching(/^dummy: an 'ipam' section with a type is required/) });
    expectNothingLeft();
  });
});

describe('dummy ADD: result of every version family', () => {
  it.each(['0.1.0', '0.2.0'])('%s: ip4 with its routes', (v) => {
    const r = ok({ command: 'ADD', conf: dummyConf({ cniVersion: v }) });
    expect(r.json).toEqual({
      cniVersion: v,
      ip4: { ip: '10.70.0.2/24', gateway: '10.70.0.1', routes: [{ dst: '10.71.0.0/16' }] },
      dns: {},
    });
  });

  it.each(['0.3.0', '0.3.1', '0.4.0'])('%s: ips with version, dns {}', (v) => {
    const r = ok({ command: 'ADD', conf: dummyConf({ cniVersion: v }) });
    expect(r.json).toEqual({
      cniVersion: v,
      interfaces: [{ name: 'eth0', mac: link(topo.ctr).address, sandbox: topo.ctr.path }],
      ips: [{ version: '4', interface: 0, address: '10.70.0.2/24', gateway: '10.70.0.1' }],
      routes: [{ dst: '10.71.0.0/16' }],
      dns: {},
    });
  });

  it.each(['1.0.0', '1.1.0'])('%s: ips without version', (v) => {
    const r = ok({ command: 'ADD', conf: dummyConf({ cniVersion: v }) });
    expect(r.json.cniVersion).toBe(v);
    expect(r.json.ips).toEqual([{ interface: 0, address: '10.70.0.2/24', gateway: '10.70.0.1' }]);
  });
});

describe('a failed dummy ADD undoes itself', () => {
  it('IPAM failure: the link is deleted', () => {
    const r = run({ command: 'ADD', conf: dummyConf({}, { ranges: [[{ subnet: '10.70.0.0/33' }]] }) });
    expect(r.json.msg).toMatch(/host-local/);
    expectNothingLeft();
  });

  it('a route the kernel refuses: the link and the reservation are undone', () => {
    const r = run({ command: 'ADD', conf: dummyConf({}, { routes: [{ dst: '192.168.0.0/16', gw: '10.99.0.1' }] }) });
    expect(r.json).toMatchObject({
      code: 999,
      msg: expect.stringMatching(/^dummy: failed to add route 192\.168\.0\.0\/16 via 10\.99\.0\.1/),
    });
    expectNothingLeft();
  });

  it('a name already taken in the container: the existing link is left alone, no reservation', () => {
    topo.ctr.ip('link', 'add', 'name', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p');
    const r = run({ command: 'ADD', conf: dummyConf() });
    expect(r.json.msg).toMatch(/^dummy: failed to create dummy eth0.*File exists/);
    expect(link(topo.ctr).linkinfo.info_kind).toBe('veth');
    expect(reservations(dataDir, NETWORK)).toEqual([]);
  });
});

describe('dummy DEL', () => {
  it('removes the link and the reservation; a second DEL succeeds', () => {
    const conf = added();
    expect(ok({ command: 'DEL', conf }).stdout).toBe('');
    expectNothingLeft();
    ok({ command: 'DEL', conf });
  });

  it('after the namespace is gone still releases the reservation', () => {
    const conf = added();
    const path = topo.ctr.path;
    topo.ctr.delete();
    ok({ command: 'DEL', conf, netns: path });
    expect(reservations(dataDir, NETWORK)).toEqual([]);
  });

  it('with an empty CNI_NETNS releases the reservation', () => {
    const conf = added();
    ok({ command: 'DEL', conf, netns: '' });
    expect(reservations(dataDir, NETWORK)).toEqual([]);
  });

  it('when the link is already gone, and without prevResult', () => {
    const { prevResult: _prev, ...conf } = added();
    topo.ctr.ip('link', 'del', 'eth0');
    ok({ command: 'DEL', conf });
    expect(reservations(dataDir, NETWORK)).toEqual([]);
  });

  it('of a config without IPAM (its ADD could never succeed) succeeds', () => {
    const { ipam: _ipam, ...conf } = dummyConf();
    ok({ command: 'DEL', conf });
  });
});

describe('dummy CHECK', () => {
  it('passes right after ADD', () => {
    expect(run({ command: 'CHECK', conf: added() }).status).toBe(0);
  });

  it('fails once an address is removed', () => {
    const conf = added();
    topo.ctr.ip('address', 'del', '10.70.0.2/24', 'dev', 'eth0');
    expect(run({ command: 'CHECK', conf }).json).toMatchObject({ msg: 'Failed to match addr 10.70.0.2/24 on interface eth0' });
  });

  it('fails when the link is down', () => {
    const conf = added();
    topo.ctr.ip('link', 'set', 'eth0', 'down');
    expect(run({ command: 'CHECK', conf }).json).toMatchObject({ msg: 'interface eth0 is down' });
  });

  it('fails when the MAC differs', () => {
    const conf = added();
    topo.ctr.ip('link', 'set', 'eth0', 'address', '02:00:00:00:99:99');
    expect(run({ command: 'CHECK', conf }).json).toMatchObject({
      msg: expect.stringMatching(/doesn't match container MAC: 02:00:00:00:99:99$/),
    });
  });

  it('fails when the interface is not a dummy', () => {
    const conf = added();
    topo.ctr.ip('link', 'del', 'eth0');
    topo.ctr.ip('link', 'add', 'name', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p');
    expect(run({ command: 'CHECK', conf }).json).toMatchObject({ msg: 'container interface eth0 is not of type dummy (it is veth)' });
  });

  it('does not compare routes (as the reference)', () => {
    const conf = added();
    topo.ctr.ip('route', 'del', '10.71.0.0/16');
    expect(run({ command: 'CHECK', conf }).status).toBe(0);
  });

  it('requires prevResult, and asks host-local about the reservation', () => {
    const { prevResult, ...conf } = added();
    expect(run({ command: 'CHECK', conf }).json).toMatchObject({ code: 7, msg: 'dummy: required prevResult missing' });
    fs.rmSync(`${dataDir}/${NETWORK}/10.70.0.2`);
    expect(run({ command: 'CHECK', conf: { ...conf, prevResult } }).json.msg).toMatch(/Failed to find address added by container/);
  });
});

describe('dummy STATUS and GC', () => {
  const v11 = (ipam: Record<string, unknown> = {}) => dummyConf({ cniVersion: '1.1.0' }, ipam);

  it('STATUS is IPAM STATUS: ready, then not (code 50) once every address is taken', () => {
    const conf = v11({ ranges: [[{ subnet: '10.70.0.0/30' }]] });
    expect(run({ command: 'STATUS', conf, netns: '' }).status).toBe(0);
    ok({ command: 'ADD', conf });
    expect(run({ command: 'STATUS', conf, netns: '' }).json.code).toBe(50);
  });

  it('STATUS without IPAM is an error', () => {
    const { ipam: _ipam, ...conf } = v11();
    expect(run({ command: 'STATUS', conf, netns: '' }).json.code).toBe(7);
  });

  it('GC is forwarded to IPAM: reservations of invalid attachments are released', () => {
    ok({ command: 'ADD', conf: v11(), containerId: 'keep', ifName: 'dm0' });
    ok({ command: 'ADD', conf: v11(), containerId: 'gone', ifName: 'dm1' });
    ok({ command: 'GC', conf: noGcGrace({ ...v11(), 'cni.dev/valid-attachments': [{ containerID: 'keep', ifname: 'dm0' }] }), netns: '' });
    expect(reservations(dataDir, NETWORK)).toEqual(['10.70.0.2']);
  });
});
