import fs from 'node:fs';
import path from 'node:path';
import { makeTopology, type Topology } from '../../helpers/netns';
import { BIN_DIR, GO_BIN_DIR } from '../../helpers/run-plugin';
import { IMPLS, linkNames, requireInterop, Runtime, scratch, sleep, type Impl, type Json, type NetList, type RuntimeConf } from './env';

// Chains with the Go meta plugins after bridge, driven as libcni drives them (see Runtime in
// env.ts): podman's default conflist (bridge → portmap → firewall → tuning, cniVersion 0.4.0)
// and the containerd CRI shape (bridge → portmap → bandwidth at 1.0.0, runtimeConfig with Go
// field names, plus the cni-loopback network in the same sandbox). The head of the chain is the
// Go bridge or cni-ts's; everything after it is the same Go plugin either way.

jest.setTimeout(60_000);

beforeAll(() => requireInterop('bridge', 'host-local', 'portmap', 'firewall', 'tuning', 'bandwidth', 'loopback'));

function runtimeFor(impl: Impl, topo: Topology): Runtime {
  return new Runtime(topo.host, impl === 'cni-ts' ? [BIN_DIR, GO_BIN_DIR] : [GO_BIN_DIR]);
}

function podmanList(dataDir: string): NetList {
  return {
    cniVersion: '0.4.0',
    name: 'podnet',
    plugins: [
      {
        type: 'bridge',
        bridge: 'cnitsbr0',
        isGateway: true,
        ipMasq: true,
        hairpinMode: true,
        ipam: { type: 'host-local', dataDir, routes: [{ dst: '0.0.0.0/0' }], ranges: [[{ subnet: '10.88.0.0/24', gateway: '10.88.0.1' }]] },
        capabilities: { ips: true },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
      { type: 'firewall' },
      { type: 'tuning' },
    ],
  };
}

function containerdList(dataDir: string, cniVersion = '1.0.0'): NetList {
  return {
    cniVersion,
    name: 'k8s-pod-network',
    plugins: [
      {
        type: 'bridge',
        bridge: 'cnitsbr0',
        isGateway: true,
        ipMasq: true,
        ipam: { type: 'host-local', dataDir, ranges: [[{ subnet: '10.89.0.0/24' }]], routes: [{ dst: '0.0.0.0/0' }] },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
      { type: 'bandwidth', capabilities: { bandwidth: true } },
    ],
  };
}

const LOOPBACK: NetList = { cniVersion: '0.3.1', name: 'cni-loopback', plugins: [{ type: 'loopback' }] };

/** A listener in the container answering one TCP connection with `token`. */
async function listen(topo: Topology, port: number, token: string): Promise<void> {
  const script = path.join(scratch('nc'), 'answer');
  fs.writeFileSync(script, `#!/bin/sh\necho ${token}\n`, { mode: 0o755 });
  await topo.ctr.background('busybox', ['nc', '-l', '-p', String(port), '-e', script]);
}

/** Connects from the test's host namespace to `ip:port` until the answer comes (the listener may be starting). */
async function connect(topo: Topology, ip: string, port: number): Promise<string> {
  let last = '';
  for (let i = 0; i < 30; i++) {
    const r = topo.host.exec('busybox', ['nc', '-w', '2', ip, String(port)], '');
    last = `${r.stdout}${r.stderr}`;
    if (r.stdout.trim()) return r.stdout.trim();
    await sleep(100);
  }
  return last;
}

function hostRules(topo: Topology): string {
  return topo.host.execOk('iptables-save');
}

function reservations(dataDir: string, network: string): string[] {
  const dir = path.join(dataDir, network);
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
}

function expectNothingLeft(topo: Topology, dataDir: string, network: string, ip: string): void {
  expect(linkNames(topo.ctr).filter((l) => l !== 'lo')).toEqual([]);
  expect(linkNames(topo.host).filter((l) => l.startsWith('veth'))).toEqual([]);
  expect(reservations(dataDir, network)).toEqual([]);
  expect(hostRules(topo)).not.toContain(`${ip}/32`);
  expect(hostRules(topo)).not.toContain(`${ip}:`);
}

/**
 * CHECK of every plugin with the cached result. Go portmap 1.1.1 always fails its CHECK on an
 * IPv4-only attachment (it looks for the IPv6 DNAT chain it never made), whoever heads the chain,
 * so libcni's CheckNetworkList would stop there: each plugin is asked on its own instead.
 */
function expectChecks(runtime: Runtime, list: NetList, rt: RuntimeConf, result: Json): void {
  const outcome = runtime.checkEach(list, rt);
  for (const c of outcome) expect(c.stdin.prevResult).toEqual(result);
  expect(outcome.map((c) => [c.type, c.run.status === 0])).toEqual(list.plugins.map((p) => [p.type, p.type !== 'portmap']));
  expect(outcome.find((c) => c.type === 'portmap')!.run.json.msg).toMatch(/could not check ipv6 dnat: chain CNI-DN-\w+ not found/);
}

describe.each(IMPLS)('%s bridge heading the Go meta plugins', (impl) => {
  test('podman shape: bridge → portmap → firewall → tuning (0.4.0), port mapping reaches the container, CHECK, DEL in reverse', async () => {
    const topo = makeTopology();
    const dataDir = scratch('chain');
    const list = podmanList(dataDir);
    const runtime = runtimeFor(impl, topo);
    const rt: RuntimeConf = {
      containerId: 'a'.repeat(64),
      netns: topo.ctr.path,
      ifName: 'eth0',
      args: 'IgnoreUnknown=1;K8S_POD_NAME=web',
      capabilityArgs: { portMappings: [{ hostPort: 18080, containerPort: 8080, protocol: 'tcp', hostIP: '' }] },
    };
    const result = runtime.add(list, rt);
    expect(result.cniVersion).toBe('0.4.0');
    const ip = String(result.ips[0].address).split('/')[0];
    expect(result.ips[0]).toMatchObject({ version: '4', interface: 2, gateway: '10.88.0.1' });

    // Each meta plugin got the previous plugin's result as prevResult.
    const adds = runtime.invocations.filter((i) => i.command === 'ADD');
    expect(adds.map((i) => i.type)).toEqual(['bridge', 'portmap', 'firewall', 'tuning']);
    expect(adds[1].stdin.prevResult).toEqual(adds[0].run.json);
    expect(adds[1].stdin.runtimeConfig).toEqual({ portMappings: rt.capabilityArgs!.portMappings });
    expect(adds[0].stdin.runtimeConfig).toBeUndefined();

    await listen(topo, 8080, 'cnits-pong');
    expect(await connect(topo, '10.88.0.1', 18080)).toBe('cnits-pong');
    expect(hostRules(topo)).toContain('CNI-FORWARD');

    expectChecks(runtime, list, rt, result);

    runtime.del(list, rt);
    const dels = runtime.invocations.filter((i) => i.command === 'DEL');
    expect(dels.map((i) => i.type)).toEqual(['tuning', 'firewall', 'portmap', 'bridge']);
    expectNothingLeft(topo, dataDir, list.name, ip);
  });

  test('containerd shape: loopback + bridge → portmap → bandwidth (1.0.0), Go-cased runtimeConfig, qdisc on the reported host veth', async () => {
    const topo = makeTopology();
    const dataDir = scratch('chain');
    const list = containerdList(dataDir);
    const runtime = runtimeFor(impl, topo);
    const sandboxId = 'b'.repeat(64);
    const args = `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=${sandboxId};K8S_POD_UID=u1`;
    const capabilityArgs = {
      'io.kubernetes.cri.pod-annotations': { 'kubernetes.io/ingress-bandwidth': '1M' },
      portMappings: [{ HostPort: 18081, ContainerPort: 8080, Protocol: 'tcp', HostIP: '' }],
      bandwidth: { IngressRate: 1000000, IngressBurst: 4294967295, EgressRate: 0, EgressBurst: 0 },
    };
    const lo: RuntimeConf = { containerId: sandboxId, netns: topo.ctr.path, ifName: 'lo', args, capabilityArgs };
    const eth0: RuntimeConf = { containerId: sandboxId, netns: topo.ctr.path, ifName: 'eth0', args, capabilityArgs };

    runtime.add(LOOPBACK, lo);
    const result = runtime.add(list, eth0);
    const ip = String(result.ips[0].address).split('/')[0];
    expect(topo.ctr.ipJson('link', 'show', 'dev', 'lo')[0].flags).toContain('UP');
    expect(result.ips[0]).toMatchObject({ interface: 2 });

    const hostVeth = result.interfaces[1].name as string;
    expect(result.interfaces[1].sandbox).toBeUndefined();
    expect(linkNames(topo.host)).toContain(hostVeth);
    const qdiscs = JSON.parse(topo.host.execOk('tc', ['-json', 'qdisc', 'show', 'dev', hostVeth])) as Json[];
    expect(qdiscs.map((q) => q.kind)).toContain('tbf');

    await listen(topo, 8080, 'cnits-pong');
    expect(await connect(topo, '10.89.0.1', 18081)).toBe('cnits-pong');

    expectChecks(runtime, list, eth0, result);

    // StopPodSandbox: DEL with netns and prevResult; RemovePodSandbox: again without either.
    runtime.del(list, eth0);
    runtime.del(LOOPBACK, lo);
    expectNothingLeft(topo, dataDir, list.name, ip);
    runtime.del(list, { ...eth0, netns: '' });
    runtime.del(LOOPBACK, { ...lo, netns: '' });
    expect(runtime.invocations.filter((i) => i.command === 'DEL' && i.run.status !== 0)).toEqual([]);
  });
});

describe('cniVersion 1.1.0 (GC and STATUS) with the Go 1.1.1 meta plugins', () => {
  test('STATUS: cni-ts bridge answers, the Go plugin after it fails (its skel predates STATUS)', () => {
    const topo = makeTopology();
    const list = containerdList(scratch('chain'), '1.1.0');
    const runtime = runtimeFor('cni-ts', topo);
    const err = runtime.status(list);
    const [bridge, portmap] = runtime.invocations;
    expect(bridge).toMatchObject({ type: 'bridge', command: 'STATUS' });
    expect(bridge.run.status).toBe(0);
    expect(portmap).toMatchObject({ type: 'portmap', command: 'STATUS' });
    expect(portmap.run.status).not.toBe(0);
    // Go's skel of 1.1.1 predates STATUS: it wants a container id, as for ADD.
    expect(err).toMatch(/^portmap: .*missing containerID/s);
  });

  test('GC: cni-ts bridge collects; only the Go plugins fail (their skel predates GC)', () => {
    const topo = makeTopology();
    const list = containerdList(scratch('chain'), '1.1.0');
    const runtime = runtimeFor('cni-ts', topo);
    const errors = runtime.gc(list, [{ containerID: 'c'.repeat(64), ifname: 'eth0' }]);
    expect(runtime.invocations.map((i) => [i.type, i.command, i.run.status === 0])).toEqual([
      ['bridge', 'GC', true],
      ['portmap', 'GC', false],
      ['bandwidth', 'GC', false],
    ]);
    expect(errors).toHaveLength(2);
    for (const e of errors) expect(e).toMatch(/missing containerID/);
  });

  test('ADD at 1.1.0: cni-ts bridge succeeds, the chain stops at Go portmap; the runtime DEL then cleans up', () => {
    const topo = makeTopology();
    const dataDir = scratch('chain');
    const list = containerdList(dataDir, '1.1.0');
    const runtime = runtimeFor('cni-ts', topo);
    const rt: RuntimeConf = { containerId: 'd'.repeat(64), netns: topo.ctr.path, ifName: 'eth0' };
    expect(runtime.addFails(list, rt)).toMatch(/plugin type="portmap" failed \(add\).*incompatible CNI versions/s);
    expect(runtime.invocations[0].run.status).toBe(0);
    const ip = String(runtime.invocations[0].run.json.ips[0].address).split('/')[0];
    // bridge's own DEL undoes its part (a libcni DEL of the whole list would first meet
    // portmap's refusal of the version).
    runtime.del({ ...list, plugins: [list.plugins[0]] }, rt);
    expectNothingLeft(topo, dataDir, list.name, ip);
  });
});
