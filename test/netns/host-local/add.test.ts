import fs from 'node:fs';
import path from 'node:path';
import { addressesOf, cni, lease, leases, netConf, ok, requireBinary, stateNames, tempDataDir } from './harness';

// The built host-local binary, run like a runtime runs it, against a temporary dataDir.
let dataDir: string;
beforeAll(requireBinary);
beforeEach(() => (dataDir = tempDataDir()));
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const dual = () => ({
  ranges: [[{ subnet: '10.1.0.0/24' }], [{ subnet: 'fd00:1::/64' }]],
  routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0', gw: 'fd00:1::1' }],
});

describe('host-local ADD: result shape of every version family', () => {
  it.each(['0.1.0', '0.2.0'])('%s: ip4/ip6 with per-family routes and an empty dns', async (v) => {
    const r = await ok({ command: 'ADD', conf: netConf(dataDir, dual(), { cniVersion: v }) });
    expect(r.json).toEqual({
      cniVersion: v,
      ip4: { ip: '10.1.0.2/24', gateway: '10.1.0.1', routes: [{ dst: '0.0.0.0/0' }] },
      ip6: { ip: 'fd00:1::2/64', gateway: 'fd00:1::1', routes: [{ dst: '::/0', gw: 'fd00:1::1' }] },
      dns: {},
    });
  });

  it.each(['0.3.0', '0.3.1', '0.4.0'])('%s: ips with version, top-level routes, an empty dns', async (v) => {
    const r = await ok({ command: 'ADD', conf: netConf(dataDir, dual(), { cniVersion: v }) });
    expect(r.json).toEqual({
      cniVersion: v,
      ips: [
        { version: '4', address: '10.1.0.2/24', gateway: '10.1.0.1' },
        { version: '6', address: 'fd00:1::2/64', gateway: 'fd00:1::1' },
      ],
      routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0', gw: 'fd00:1::1' }],
      dns: {},
    });
  });

  it.each(['1.0.0', '1.1.0'])('%s: ips without version or interface, no dns when none is configured', async (v) => {
    const r = await ok({ command: 'ADD', conf: netConf(dataDir, dual(), { cniVersion: v }) });
    expect(r.json).toEqual({
      cniVersion: v,
      ips: [
        { address: '10.1.0.2/24', gateway: '10.1.0.1' },
        { address: 'fd00:1::2/64', gateway: 'fd00:1::1' },
      ],
      routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0', gw: 'fd00:1::1' }],
    });
    expect(r.stdout).toBe(JSON.stringify(r.json, null, 4));
  });

  it('takes the version from cniVersions when cniVersion is absent', async () => {
    const conf = netConf(dataDir, dual(), { cniVersion: undefined, cniVersions: ['0.4.0', '1.0.0'] });
    expect((await ok({ command: 'ADD', conf })).json.cniVersion).toBe('1.0.0');
  });

  it('answers VERSION with every spec version', async () => {
    const r = await ok({ command: 'VERSION', conf: '' });
    expect(r.json).toEqual({ cniVersion: '1.1.0', supportedVersions: ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
  });
});

describe('host-local ADD: state on disk', () => {
  it('writes the Go format byte for byte', async () => {
    await ok({ command: 'ADD', conf: netConf(dataDir, dual()), containerId: 'a'.repeat(64), ifName: 'eth0' });
    const dir = path.join(dataDir, 'hlnet');
    expect(stateNames(dataDir)).toEqual(['10.1.0.2', 'fd00:1::2', 'last_reserved_ip.0', 'last_reserved_ip.1', 'lock']);
    expect(fs.readFileSync(path.join(dir, '10.1.0.2'))).toEqual(Buffer.from(`${'a'.repeat(64)}\r\neth0`, 'latin1'));
    expect(fs.readFileSync(path.join(dir, '10.1.0.2')).length).toBe(70);
    expect(fs.readFileSync(path.join(dir, 'fd00:1::2'))).toEqual(Buffer.from(`${'a'.repeat(64)}\r\neth0`, 'latin1'));
    expect(fs.readFileSync(path.join(dir, 'last_reserved_ip.0'), 'latin1')).toBe('10.1.0.2');
    expect(fs.readFileSync(path.join(dir, 'last_reserved_ip.1'), 'latin1')).toBe('fd00:1::2');
    for (const f of ['10.1.0.2', 'fd00:1::2', 'last_reserved_ip.0', 'lock'])
      expect(fs.statSync(path.join(dir, f)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o755);
  });

  it('hands addresses out round robin across processes', async () => {
    const conf = netConf(dataDir, { ranges: [[{ subnet: '10.1.0.0/29' }]] });
    expect(addressesOf((await ok({ command: 'ADD', conf, containerId: 'c1' })).json)).toEqual(['10.1.0.2/29']);
    await ok({ command: 'DEL', conf, containerId: 'c1' });
    expect(addressesOf((await ok({ command: 'ADD', conf, containerId: 'c2' })).json)).toEqual(['10.1.0.3/29']);
    expect(addressesOf((await ok({ command: 'ADD', conf, containerId: 'c1' })).json)).toEqual(['10.1.0.4/29']);
  });

  it('never hands out the gateway, and starts at rangeStart', async () => {
    const conf = netConf(dataDir, {
      ranges: [[{ subnet: '10.1.0.0/24', rangeStart: '10.1.0.100', rangeEnd: '10.1.0.102', gateway: '10.1.0.101' }]],
    });
    const got = [];
    for (const id of ['c1', 'c2']) got.push((await ok({ command: 'ADD', conf, containerId: id })).json.ips[0]);
    expect(got).toEqual([
      { address: '10.1.0.100/24', gateway: '10.1.0.101' },
      { address: '10.1.0.102/24', gateway: '10.1.0.101' },
    ]);
  });

  it('moves on to the next range of a set when one is full', async () => {
    const conf = netConf(dataDir, { ranges: [[{ subnet: '10.1.0.0/30' }, { subnet: '10.2.0.0/30' }]] });
    expect(addressesOf((await ok({ command: 'ADD', conf, containerId: 'c1' })).json)).toEqual(['10.1.0.2/30']);
    expect((await ok({ command: 'ADD', conf, containerId: 'c2' })).json.ips).toEqual([{ address: '10.2.0.2/30', gateway: '10.2.0.1' }]);
  });
});

describe('host-local ADD: options', () => {
  it('puts resolvConf into dns', async () => {
    const resolv = path.join(dataDir, 'resolv.conf');
    fs.writeFileSync(
      resolv,
      '# generated\nnameserver 192.0.2.53\nnameserver 2001:db8::53\ndomain example.test\nsearch a.test b.test\noptions ndots:2\n',
    );
    const r = await ok({ command: 'ADD', conf: netConf(dataDir, { ranges: [[{ subnet: '10.1.0.0/24' }]], resolvConf: resolv }) });
    expect(r.json.dns).toEqual({
      nameservers: ['192.0.2.53', '2001:db8::53'],
      domain: 'example.test',
      search: ['a.test', 'b.test'],
      options: ['ndots:2'],
    });
  });

  it('copies routes with their 1.1 attributes', async () => {
    const routes = [{ dst: '10.9.0.0/16', gw: '10.1.0.254', mtu: 1400, advmss: 1360, priority: 10, table: 100, scope: 0 }];
    const r = await ok({
      command: 'ADD',
      conf: netConf(dataDir, { ranges: [[{ subnet: '10.1.0.0/24' }]], routes }, { cniVersion: '1.1.0' }),
    });
    expect(r.json.routes).toEqual(routes);
  });

  it('prepends the legacy top-level subnet as set 0', async () => {
    const conf = netConf(dataDir, {
      subnet: '10.5.0.0/24',
      rangeStart: '10.5.0.50',
      gateway: '10.5.0.254',
      ranges: [[{ subnet: 'fd00:5::/64' }]],
    });
    const r = await ok({ command: 'ADD', conf });
    expect(r.json.ips).toEqual([
      { address: '10.5.0.50/24', gateway: '10.5.0.254' },
      { address: 'fd00:5::2/64', gateway: 'fd00:5::1' },
    ]);
    expect(lease(dataDir, 'last_reserved_ip.0')).toBe('10.5.0.50');
    expect(lease(dataDir, 'last_reserved_ip.1')).toBe('fd00:5::2');
  });

  it('prepends runtimeConfig.ipRanges (Go-cased keys too)', async () => {
    const conf = netConf(
      dataDir,
      { ranges: [[{ subnet: '10.1.0.0/24' }]] },
      { runtimeConfig: { IPRanges: [[{ Subnet: '10.7.0.0/24' }]] } },
    );
    expect(addressesOf((await ok({ command: 'ADD', conf })).json)).toEqual(['10.7.0.2/24', '10.1.0.2/24']);
    expect(lease(dataDir, 'last_reserved_ip.0')).toBe('10.7.0.2');
  });

  it('honours IP= in CNI_ARGS as podman sends it', async () => {
    const args = 'IgnoreUnknown=1;K8S_POD_NAME=web;MAC=02:00:0a:d5:01:32;IP=10.1.0.50';
    const r = await ok({ command: 'ADD', conf: netConf(dataDir, dual()), args });
    expect(addressesOf(r.json)).toEqual(['10.1.0.50/24', 'fd00:1::2/64']);
  });

  it('honours args.cni.ips and runtimeConfig.ips, and a comma-separated IP= list', async () => {
    const conf = netConf(dataDir, dual(), { args: { cni: { ips: ['fd00:1::99'] } } });
    expect(addressesOf((await ok({ command: 'ADD', conf, containerId: 'c1' })).json)).toEqual(['10.1.0.2/24', 'fd00:1::99/64']);
    const conf2 = netConf(dataDir, dual(), { runtimeConfig: { ips: ['10.1.0.77/24'] } });
    expect(addressesOf((await ok({ command: 'ADD', conf: conf2, containerId: 'c2' })).json)).toEqual(['10.1.0.77/24', 'fd00:1::9a/64']);
    const r = await ok({ command: 'ADD', conf: netConf(dataDir, dual()), containerId: 'c3', args: 'IP=10.1.0.88,fd00:1::88' });
    expect(addressesOf(r.json)).toEqual(['10.1.0.88/24', 'fd00:1::88/64']);
  });
});

describe('host-local ADD: errors', () => {
  it('reports a taken requested address and keeps nothing', async () => {
    await ok({ command: 'ADD', conf: netConf(dataDir, dual()), containerId: 'c1', args: 'IP=10.1.0.50' });
    const r = await cni({ command: 'ADD', conf: netConf(dataDir, dual()), containerId: 'c2', args: 'IP=fd00:1::50,10.1.0.50' });
    expect(r.status).not.toBe(0);
    expect(r.json).toEqual({
      cniVersion: '1.0.0',
      code: 999,
      msg: 'failed to allocate for range 0: requested IP address 10.1.0.50 is not available in range set 10.1.0.1-10.1.0.254',
    });
    expect(leases(dataDir)).toEqual(['10.1.0.50', 'fd00:1::2']);
  });

  it('refuses a requested address outside every set', async () => {
    const r = await cni({ command: 'ADD', conf: netConf(dataDir, dual()), args: 'IP=10.99.0.1' });
    expect(r.json.code).toBe(999);
    expect(r.json.msg).toMatch(/^failed to allocate all requested IPs: 10\.99\.0\.1/);
    expect(leases(dataDir)).toEqual([]);
  });

  it('refuses a second ADD of the same attachment and keeps the first reservation', async () => {
    await ok({ command: 'ADD', conf: netConf(dataDir, dual()) });
    const r = await cni({ command: 'ADD', conf: netConf(dataDir, dual()) });
    expect(r.json.msg).toBe('failed to allocate for range 0: 10.1.0.2 has been allocated to ctr1, duplicate allocation is not allowed');
    expect(leases(dataDir)).toEqual(['10.1.0.2', 'fd00:1::2']);
  });

  it('reports exhaustion with code 11 and releases the other families', async () => {
    const conf = netConf(dataDir, { ranges: [[{ subnet: 'fd00:2::/64' }], [{ subnet: '10.1.0.0/30' }]] });
    await ok({ command: 'ADD', conf, containerId: 'c1' });
    const r = await cni({ command: 'ADD', conf, containerId: 'c2' });
    expect(r.json).toEqual({
      cniVersion: '1.0.0',
      code: 11,
      msg: 'failed to allocate for range 1: no IP addresses available in range set: 10.1.0.1-10.1.0.2',
    });
    expect(leases(dataDir)).toEqual(['10.1.0.2', 'fd00:2::2']);
  });

  it.each<[string, Record<string, unknown>, string, number, string | RegExp]>([
    [
      'host bits',
      { ranges: [[{ subnet: '10.1.0.1/24' }]] },
      '',
      7,
      'host-local: ipam.ranges[0][0].subnet "10.1.0.1/24" has host bits set; use 10.1.0.0/24',
    ],
    ['no ranges', {}, '', 7, /no IP ranges specified/],
    [
      'overlapping sets',
      { ranges: [[{ subnet: '10.1.0.0/16' }], [{ subnet: '10.1.5.0/24' }]] },
      '',
      7,
      /range set 0 \(ipam.ranges\[0\]\) overlaps range set 1/,
    ],
    ['an unknown CNI_ARGS key', { ranges: [[{ subnet: '10.1.0.0/24' }]] }, 'K8S_POD_NAME=web', 4, /CNI_ARGS: unknown args/],
    ['a bad IP= value', { ranges: [[{ subnet: '10.1.0.0/24' }]] }, 'IP=10.1.0', 4, /CNI_ARGS: IP "10.1.0" is not an IP address/],
  ])('rejects %s', async (_what, ipam, args, code, msg) => {
    const r = await cni({ command: 'ADD', conf: netConf(dataDir, ipam), args });
    expect(r.status).not.toBe(0);
    expect(r.json.code).toBe(code);
    if (typeof msg === 'string') expect(r.json.msg).toBe(msg);
    else expect(r.json.msg).toMatch(msg);
    expect(leases(dataDir)).toEqual([]);
  });

  it('rejects a config without ipam with code 7', async () => {
    const r = await cni({ command: 'ADD', conf: { cniVersion: '1.0.0', name: 'hlnet', type: 'bridge' } });
    expect(r.json).toMatchObject({ code: 7, msg: "host-local: the config has no 'ipam' section (IPAM config missing 'ipam' key)" });
  });

  it('rejects two IPv4 sets at cniVersion 0.2.0', async () => {
    const r = await cni({
      command: 'ADD',
      conf: netConf(dataDir, { ranges: [[{ subnet: '10.1.0.0/24' }], [{ subnet: '10.2.0.0/24' }]] }, { cniVersion: '0.2.0' }),
    });
    expect(r.json).toMatchObject({ cniVersion: '0.2.0', code: 7 });
  });
});
