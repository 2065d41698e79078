import fs from 'node:fs';
import { makeTopology, type Topology } from '../../helpers/netns';
import {
  ALL_VERSIONS,
  cniPath,
  globalAddresses,
  GO_VERSIONS,
  IMPLS,
  linkNames,
  masked,
  ok,
  requireInterop,
  routes,
  run,
  buildOneConfig,
  stubIpam,
  type Impl,
  type Json,
} from './env';
import type { PluginRun } from '../../helpers/run-plugin';

// Delegation to IPAM plugins that are not cni-ts's own host-local: the Go `static` plugin
// (addresses, routes and dns from the config, from CNI_ARGS, from args.cni and from
// runtimeConfig) and a third-party-style IPAM (a shell script returning a fixed result) at
// every cniVersion. Each case runs through the Go reference too where it speaks the version,
// and the two results must be equal (random MACs and veth names masked).

jest.setTimeout(60_000);

beforeAll(() => requireInterop('bridge', 'macvlan', 'static'));

type Main = 'bridge' | 'macvlan';
const MAINS: Main[] = ['bridge', 'macvlan'];
const NETWORK = 'ipamnet';

/** A host namespace (with a veth as macvlan master) and one container. */
function topology(main: Main): Topology {
  const topo = makeTopology();
  if (main === 'macvlan') {
    topo.host.ip('link', 'add', 'name', 'mvup0', 'type', 'veth', 'peer', 'name', 'mvup1');
    topo.host.ip('link', 'set', 'mvup0', 'up');
    topo.host.ip('link', 'set', 'mvup1', 'up');
  }
  return topo;
}

function mainConf(main: Main, version: string, ipam: Json, extra: Json = {}): Json {
  const base = main === 'bridge' ? { type: 'bridge', bridge: 'cnitsbr0' } : { type: 'macvlan', master: 'mvup0', mode: 'bridge' };
  return { cniVersion: version, name: NETWORK, ...base, ...extra, ipam };
}

/** Links the attachment made: the container's, and on the host anything but lo, bridge, master. */
function leftovers(topo: Topology): Json {
  return {
    container: linkNames(topo.ctr).filter((l) => l !== 'lo'),
    host: linkNames(topo.host).filter((l) => !['lo', 'cnitsbr0', 'mvup0', 'mvup1'].includes(l)),
  };
}
const NOTHING = { container: [], host: [] };

function supportsCheck(version: string): boolean {
  return !['0.1.0', '0.2.0', '0.3.0', '0.3.1'].includes(version);
}

interface Attached {
  topo: Topology;
  add: PluginRun;
  conf: Json;
  args: string;
  cniPath: string;
}

function attach(impl: Impl, main: Main, conf: Json, opts: { args?: string; extraPath?: string[] } = {}): Attached {
  const topo = topology(main);
  const path = cniPath(impl, opts.extraPath);
  const add = run(topo.host, impl, main, { command: 'ADD', conf, netns: topo.ctr.path, args: opts.args, cniPath: path });
  return { topo, add, conf, args: opts.args ?? '', cniPath: path };
}

/** CHECK (when the version has it), DEL, a repeated DEL; nothing left. */
function checkAndDel(impl: Impl, main: Main, a: Attached): void {
  const call = { netns: a.topo.ctr.path, args: a.args, cniPath: a.cniPath };
  const withPrev = supportsCheck(a.conf.cniVersion) ? { ...a.conf, prevResult: a.add.json } : a.conf;
  if (supportsCheck(a.conf.cniVersion)) ok(run(a.topo.host, impl, main, { command: 'CHECK', conf: withPrev, ...call }), 'CHECK');
  ok(run(a.topo.host, impl, main, { command: 'DEL', conf: withPrev, ...call }), 'DEL');
  expect(leftovers(a.topo)).toEqual(NOTHING);
  ok(run(a.topo.host, impl, main, { command: 'DEL', conf: withPrev, ...call }), 'second DEL');
}

/**
 * A result without its random parts, and for bridge without `dns`: Debian's Go bridge 1.1.1 drops
 * the IPAM plugin's DNS, cni-ts passes it on unless the config sets `dns` (as upstream bridge does
 * since); see expectDns.
 */
function comparable(main: Main, result: Json): Json {
  const out = masked(result);
  if (main === 'bridge') delete out.dns;
  return out;
}

/** bridge: the IPAM plugin's DNS; macvlan: the config's only (none here), as Go. */
function expectDns(main: Main, result: Json, ipamDns: Json): void {
  if (main === 'bridge') expect(result.dns).toEqual(ipamDns);
  else expect(result.dns ?? {}).toEqual({});
}

/** ADD through the Go reference and through cni-ts; both must succeed with equal results. */
function addBoth(main: Main, conf: Json, opts: { args?: string; extraPath?: string[] } = {}): Record<Impl, Attached> {
  const go = attach('go', main, conf, opts);
  const ours = attach('cni-ts', main, conf, opts);
  ok(go.add, 'Go ADD');
  ok(ours.add, 'cni-ts ADD');
  expect(comparable(main, ours.add.json)).toEqual(comparable(main, go.add.json));
  expect(globalAddresses(ours.topo.ctr, 'eth0')).toEqual(globalAddresses(go.topo.ctr, 'eth0'));
  expect(routes(ours.topo.ctr)).toEqual(routes(go.topo.ctr));
  return { go, 'cni-ts': ours };
}

const STATIC_FULL = {
  type: 'static',
  addresses: [{ address: '10.89.0.5/24', gateway: '10.89.0.1' }],
  routes: [{ dst: '0.0.0.0/0' }, { dst: '192.0.2.0/24', gw: '10.89.0.254' }],
  dns: { nameservers: ['10.89.0.53'], domain: 'example.test', search: ['example.test'], options: ['ndots:2'] },
};

describe.each(MAINS)('%s + Go static IPAM', (main) => {
  test.each(GO_VERSIONS.filter((v) => v !== '0.1.0'))('%s: addresses, routes and dns from the config', (version) => {
    const both = addBoth(main, mainConf(main, version, STATIC_FULL));
    const ours = both['cni-ts'];
    expect(globalAddresses(ours.topo.ctr, 'eth0')).toEqual(['10.89.0.5/24']);
    expect(routes(ours.topo.ctr)).toEqual(['default via 10.89.0.1 dev eth0', '192.0.2.0/24 via 10.89.0.254 dev eth0']);
    expectDns(main, ours.add.json, STATIC_FULL.dns);
    for (const impl of IMPLS) checkAndDel(impl, main, both[impl]);
  });

  test('CNI_ARGS IP= and GATEWAY= (podman --ip) are added to the configured addresses', () => {
    const conf = mainConf(main, '1.0.0', { type: 'static', addresses: [{ address: '10.89.0.5/24' }] });
    const both = addBoth(main, conf, { args: 'IgnoreUnknown=1;K8S_POD_NAME=web;IP=10.89.0.6/24;GATEWAY=10.89.0.1' });
    const ours = both['cni-ts'];
    expect(ours.add.json.ips.map((i: Json) => i.address)).toEqual(['10.89.0.5/24', '10.89.0.6/24']);
    expect(globalAddresses(ours.topo.ctr, 'eth0')).toEqual(['10.89.0.5/24', '10.89.0.6/24']);
    for (const impl of IMPLS) checkAndDel(impl, main, both[impl]);
  });

  test('args.cni.ips replaces the configured addresses', () => {
    const conf = mainConf(
      main,
      '1.0.0',
      { type: 'static', addresses: [{ address: '10.89.0.5/24' }] },
      { args: { cni: { ips: ['10.89.0.7/24'] } } },
    );
    const both = addBoth(main, conf);
    expect(globalAddresses(both['cni-ts'].topo.ctr, 'eth0')).toEqual(['10.89.0.7/24']);
    for (const impl of IMPLS) checkAndDel(impl, main, both[impl]);
  });

  test('runtimeConfig.ips (capability "ips", injected as libcni does)', () => {
    const conf = buildOneConfig(
      { cniVersion: '1.0.0', name: NETWORK, plugins: [] },
      { ...mainConf(main, '1.0.0', { type: 'static' }), capabilities: { ips: true } },
      undefined,
      { containerId: 'ctr1', netns: '', ifName: 'eth0', capabilityArgs: { ips: ['10.89.0.8/24'], mac: '02:00:00:00:00:01' } },
    );
    expect(conf.runtimeConfig).toEqual({ ips: ['10.89.0.8/24'] });
    const both = addBoth(main, conf);
    expect(globalAddresses(both['cni-ts'].topo.ctr, 'eth0')).toEqual(['10.89.0.8/24']);
    for (const impl of IMPLS) checkAndDel(impl, main, both[impl]);
  });

  test('an address static rejects (no prefix): ADD fails with its error, nothing left', () => {
    const conf = mainConf(main, '1.0.0', { type: 'static', addresses: [{ address: '10.89.0.5' }] });
    for (const impl of IMPLS) {
      const a = attach(impl, main, conf);
      expect(a.add.status).not.toBe(0);
      expect(a.add.json.msg).toContain("expected to be in CIDR notation, got: '10.89.0.5'");
      if (impl === 'cni-ts') expect(leftovers(a.topo)).toEqual(NOTHING);
    }
  });

  test("1.1.0 (static 1.1.1 stops at 1.0.0): cni-ts passes static's version error on and leaves nothing", () => {
    const a = attach('cni-ts', main, mainConf(main, '1.1.0', STATIC_FULL));
    expect(a.add.status).not.toBe(0);
    expect(a.add.json.msg).toMatch(/incompatible CNI versions|1\.1\.0/);
    expect(leftovers(a.topo)).toEqual(NOTHING);
  });
});

// ---------------------------------------------------------------------------------------------

const STUB_TYPE = 'cnits-stub-ipam';
const STUB_ROUTES = [{ dst: '0.0.0.0/0' }, { dst: '192.0.2.0/24', gw: '10.88.7.254' }];
const STUB_DNS = { nameservers: ['10.88.7.53'], domain: 'stub.test', search: ['stub.test'], options: ['ndots:2'] };

/** What a third-party IPAM prints for `version`, in that version's shape. */
function stubResult(version: string, routesOverride = STUB_ROUTES): Json {
  if (version === '0.1.0' || version === '0.2.0') {
    return { cniVersion: version, ip4: { ip: '10.88.7.7/24', gateway: '10.88.7.1', routes: routesOverride }, dns: STUB_DNS };
  }
  const ip: Json = { address: '10.88.7.7/24', gateway: '10.88.7.1' };
  if (!version.startsWith('1.')) ip.version = '4';
  return { cniVersion: version, ips: [ip], routes: routesOverride, dns: STUB_DNS };
}

describe.each(MAINS)('%s + third-party IPAM stub', (main) => {
  const containerIndex = main === 'bridge' ? 2 : 0;

  test.each([...ALL_VERSIONS])('%s: the result is taken as the spec says, CHECK and DEL reach the stub', (version) => {
    const impls: Impl[] = version === '1.1.0' ? ['cni-ts'] : IMPLS;
    const results: Partial<Record<Impl, Json>> = {};
    for (const impl of impls) {
      const stub = stubIpam(STUB_TYPE, stubResult(version));
      const conf = mainConf(main, version, { type: STUB_TYPE, opaque: { kept: true } });
      const a = attach(impl, main, conf, { extraPath: [stub.dir] });
      const r = ok(a.add, `${impl} ADD`).json;
      results[impl] = comparable(main, r);

      expect(r.cniVersion).toBe(version);
      if (version === '0.1.0' || version === '0.2.0') {
        expect(r.ip4).toEqual({ ip: '10.88.7.7/24', gateway: '10.88.7.1', routes: STUB_ROUTES });
      } else {
        const ip: Json = { interface: containerIndex, address: '10.88.7.7/24', gateway: '10.88.7.1' };
        if (!version.startsWith('1.')) ip.version = '4';
        expect(r.ips).toEqual([ip]);
        expect(r.routes).toEqual(STUB_ROUTES);
        expect(r.interfaces[containerIndex]).toMatchObject({ name: 'eth0', sandbox: a.topo.ctr.path });
      }
      if (impl === 'cni-ts') expectDns(main, r, STUB_DNS);
      expect(globalAddresses(a.topo.ctr, 'eth0')).toEqual(['10.88.7.7/24']);
      expect(routes(a.topo.ctr)).toEqual(['default via 10.88.7.1 dev eth0', '192.0.2.0/24 via 10.88.7.254 dev eth0']);

      // The stub got the parent's whole config and the runtime's variables.
      const [addCall] = stub.calls();
      expect(addCall).toMatchObject({ command: 'ADD', containerId: 'ctr1', ifName: 'eth0', netns: a.topo.ctr.path });
      expect(addCall.stdin).toEqual(conf);

      checkAndDel(impl, main, a);
      const commands = stub.calls().map((c) => c.command);
      expect(commands).toEqual(supportsCheck(version) ? ['ADD', 'CHECK', 'DEL', 'DEL'] : ['ADD', 'DEL', 'DEL']);
      if (supportsCheck(version)) {
        const check = stub.calls()[1];
        expect(check.stdin.prevResult).toEqual(r);
      }
    }
    if (results.go) expect(results['cni-ts']).toEqual(results.go);
  });

  test('a result that cannot be applied is rolled back: the stub gets DEL for the same attachment', () => {
    for (const impl of IMPLS) {
      const stub = stubIpam(STUB_TYPE, stubResult('1.0.0', [{ dst: '192.0.2.0/24', gw: '10.200.0.1' }]));
      const a = attach(impl, main, mainConf(main, '1.0.0', { type: STUB_TYPE }), { extraPath: [stub.dir] });
      expect(a.add.status).not.toBe(0);
      const calls = stub.calls();
      expect(calls.map((c) => c.command)).toEqual(['ADD', 'DEL']);
      expect(calls[1]).toMatchObject({ containerId: 'ctr1', ifName: 'eth0', netns: a.topo.ctr.path });
      if (impl === 'cni-ts') expect(leftovers(a.topo)).toEqual(NOTHING);
    }
  });

  test('an IPAM that exits non-zero with a CNI error: the error is passed on, nothing left', () => {
    const stub = stubIpam(STUB_TYPE, {});
    // Overwrite the script with one that fails.
    fs.writeFileSync(
      `${stub.dir}/${STUB_TYPE}`,
      '#!/bin/sh\ncat >/dev/null\necho \'{"cniVersion":"1.0.0","code":11,"msg":"pool exhausted","details":"stub"}\'\nexit 1\n',
      { mode: 0o755 },
    );
    const a = attach('cni-ts', main, mainConf(main, '1.0.0', { type: STUB_TYPE }), { extraPath: [stub.dir] });
    expect(a.add.status).not.toBe(0);
    expect(a.add.json).toMatchObject({ code: 11, msg: 'pool exhausted', details: 'stub' });
    expect(leftovers(a.topo)).toEqual(NOTHING);
  });
});
