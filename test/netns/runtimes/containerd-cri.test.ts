import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeTopology, requireRoot, type Topology } from '../../helpers/netns';
import { BIN_DIR, GO_BIN_DIR, requireBinaries, reservations, spawnPlugin, type PluginRun } from '../../helpers/run-plugin';
import { cniNatRules } from '../../helpers/rules';

// What a kubelet node's containerd (1.6, CRI plugin) does to the plugins, replayed call for call
// as ../shared/runtime-behaviour.md records it: the sandbox netns is a bind mount under
// containerd's state directory (not /run/netns); the loopback and the pod network are ADDed
// concurrently; the environment is containerd's bare one with `LD_LIBRARY_PATH=<opt>/lib:`;
// CNI_ARGS come in a different order on every call; stdin is libcni's compact JSON with
// runtimeConfig keys spelled as Go field names; StopPodSandbox DELs with the netns and
// prevResult, the netns goes, then RemovePodSandbox DELs again without either.

jest.setTimeout(60_000);

const NETWORK = 'k8s-pod-network';
let topo: Topology;
let tmp: string;
let dataDir: string;
let netnsFile: string;

/** Compact JSON with the keys of every object sorted, as Go's encoding/json writes a map. */
function sortedJson(v: unknown): string {
  const sort = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(sort)
      : x && typeof x === 'object'
        ? Object.fromEntries(
            Object.keys(x)
              .sort()
              .map((k) => [k, sort((x as Record<string, unknown>)[k])]),
          )
        : x;
  return JSON.stringify(sort(v));
}

/** What go-cni hands to libcni for the pod network (keys sorted, compact, as libcni re-marshals). */
function podConf(extra: Record<string, unknown> = {}): string {
  const conf: Record<string, unknown> = {
    bridge: 'cnitscri0',
    capabilities: { 'io.kubernetes.cri.pod-annotations': true, portMappings: true },
    cniVersion: '1.0.0',
    hairpinMode: true,
    ipMasq: true,
    ipam: { dataDir, ranges: [[{ subnet: '10.244.3.0/24' }]], routes: [{ dst: '0.0.0.0/0' }], type: 'host-local' },
    isGateway: true,
    name: NETWORK,
    runtimeConfig: {
      'io.kubernetes.cri.pod-annotations': { 'kubernetes.io/config.source': 'api', 'example.com/team': 'a;b=c' },
      portMappings: [{ HostPort: 18080, ContainerPort: 8080, Protocol: 'tcp', HostIP: '' }],
    },
    type: 'bridge',
    ...extra,
  };
  return sortedJson(conf);
}

const LOOPBACK = JSON.stringify({ cniVersion: '0.3.1', name: 'cni-loopback', type: 'loopback' });

/** IgnoreUnknown=1 plus the four K8S_ keys, shuffled like a Go map iteration. */
function criArgs(sandbox: string): string {
  const pairs = [
    'K8S_POD_NAMESPACE=default',
    'K8S_POD_NAME=web-0',
    `K8S_POD_INFRA_CONTAINER_ID=${sandbox}`,
    'K8S_POD_UID=7c6c1c5e-3f0e-4f7e-9a55-1b1d0e1f2a3b',
  ];
  for (let i = pairs.length - 1; i > 0; i--) {
    const j = crypto.randomInt(i + 1);
    [pairs[i], pairs[j]] = [pairs[j], pairs[i]];
  }
  return ['IgnoreUnknown=1', ...pairs].join(';');
}

interface CriCall {
  command: 'ADD' | 'DEL';
  plugin: string;
  binDir: string;
  conf: string;
  ifName: string;
  netns: string;
  sandbox: string;
}

/** One plugin call with containerd's environment, asynchronously (go-cni runs networks in parallel). */
function call(c: CriCall): Promise<PluginRun> {
  const env = {
    PATH: '/opt/containerd/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LD_LIBRARY_PATH: '/opt/containerd/lib:',
    CNI_COMMAND: c.command,
    CNI_CONTAINERID: c.sandbox,
    CNI_NETNS: c.netns,
    CNI_IFNAME: c.ifName,
    CNI_ARGS: criArgs(c.sandbox),
    CNI_PATH: c.binDir,
  };
  return spawnPlugin('ip', ['netns', 'exec', topo.host.name, path.join(c.binDir, c.plugin)], env, c.conf, { cwd: tmp });
}

function withPrev(conf: string, prev: unknown): string {
  const o = JSON.parse(conf) as Record<string, unknown>;
  o.prevResult = prev;
  return sortedJson(o);
}

beforeAll(() => {
  requireRoot();
  requireBinaries('bridge', 'host-local');
  if (!fs.existsSync(path.join(GO_BIN_DIR, 'loopback')))
    throw new Error(`${GO_BIN_DIR}/loopback is missing: apt-get install containernetworking-plugins`);
});

beforeEach(() => {
  topo = makeTopology({ containers: 0 });
  topo.host.ip('link', 'set', 'lo', 'up');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-cri-'));
  dataDir = path.join(tmp, 'networks');
  // containerd's sandbox namespace: a new network namespace bound to a file under its state dir.
  const dir = path.join(tmp, 'state/io.containerd.grpc.v1.cri/netns');
  fs.mkdirSync(dir, { recursive: true });
  netnsFile = path.join(dir, `cni-${crypto.randomUUID()}`);
  fs.writeFileSync(netnsFile, '');
  const r = spawnSync('unshare', [`--net=${netnsFile}`, 'true'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`unshare --net=${netnsFile}: ${r.stderr}`);
});

afterEach(() => {
  spawnSync('umount', [netnsFile]);
  fs.rmSync(tmp, { recursive: true, force: true });
  topo.cleanup();
});

function removeSandboxNetns(): void {
  const r = spawnSync('umount', [netnsFile], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`umount ${netnsFile}: ${r.stderr}`);
  fs.rmSync(netnsFile);
}

test('RunPodSandbox, StopPodSandbox, RemovePodSandbox: attached, reachable state, then nothing left', async () => {
  const sandbox = crypto.randomBytes(32).toString('hex');
  const pod = { plugin: 'bridge', binDir: BIN_DIR, conf: podConf(), ifName: 'eth0', netns: netnsFile, sandbox } as const;
  const lo = { plugin: 'loopback', binDir: GO_BIN_DIR, conf: LOOPBACK, ifName: 'lo', netns: netnsFile, sandbox } as const;

  // RunPodSandbox: both networks at once.
  const [loAdd, podAdd] = await Promise.all([call({ ...lo, command: 'ADD' }), call({ ...pod, command: 'ADD' })]);
  expect(loAdd.stderr).toBe('');
  expect(loAdd.status).toBe(0);
  expect({ status: podAdd.status, stderr: podAdd.stderr, error: podAdd.json?.msg }).toEqual({ status: 0, stderr: '', error: undefined });
  // go-cni files each IP under interfaces[ips[].interface].name and needs one for eth0.
  const result = podAdd.json;
  const named = (result.ips as Array<{ interface: number; address: string }>).map((ip) => [
    result.interfaces[ip.interface]?.name,
    ip.address,
  ]);
  expect(named).toEqual([['eth0', '10.244.3.2/24']]);
  expect(result.interfaces[2]).toMatchObject({ name: 'eth0', sandbox: netnsFile });
  const inPod = spawnSync('nsenter', [`--net=${netnsFile}`, 'ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' });
  expect(inPod.stdout).toContain('10.244.3.2/24');
  expect(reservations(dataDir, NETWORK)).toEqual(['10.244.3.2']);
  expect(cniNatRules(topo.host).length).toBeGreaterThan(0);

  // StopPodSandbox: DEL of both, with the netns and the cached result; then the netns goes.
  const [loDel, podDel] = await Promise.all([
    call({ ...lo, command: 'DEL', conf: withPrev(LOOPBACK, loAdd.json) }),
    call({ ...pod, command: 'DEL', conf: withPrev(pod.conf, result) }),
  ]);
  expect([loDel.status, loDel.stdout, podDel.status, podDel.stdout]).toEqual([0, '', 0, '']);
  removeSandboxNetns();

  // RemovePodSandbox: DEL again, no netns, no prevResult (the cache is gone). Must exit 0.
  const [loDel2, podDel2] = await Promise.all([call({ ...lo, command: 'DEL', netns: '' }), call({ ...pod, command: 'DEL', netns: '' })]);
  expect([loDel2.status, loDel2.stdout, podDel2.status, podDel2.stdout]).toEqual([0, '', 0, '']);

  expect(reservations(dataDir, NETWORK)).toEqual([]);
  expect(cniNatRules(topo.host)).toEqual([]);
  const hostLinks = (topo.host.ipJson('link', 'show') as Array<{ ifname: string }>).map((l) => l.ifname).sort();
  expect(hostLinks).toEqual(['cnitscri0', 'lo']);
});

test('a node reboot in between: StopPodSandbox never ran, RemovePodSandbox alone cleans up', async () => {
  const sandbox = crypto.randomBytes(32).toString('hex');
  const pod = { plugin: 'bridge', binDir: BIN_DIR, conf: podConf(), ifName: 'eth0', netns: netnsFile, sandbox } as const;
  const add = await call({ ...pod, command: 'ADD' });
  expect(add.status).toBe(0);
  // The sandbox's namespace is gone without any DEL (what a reboot or a crashed shim leaves).
  removeSandboxNetns();
  const del = await call({ ...pod, command: 'DEL', netns: '' });
  expect([del.status, del.stdout]).toEqual([0, '']);
  expect(reservations(dataDir, NETWORK)).toEqual([]);
  expect(cniNatRules(topo.host)).toEqual([]);
});
