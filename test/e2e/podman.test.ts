import fs from 'node:fs';
import path from 'node:path';
import { IMAGE, must, PodmanSandbox, processesMentioning, requireEngine } from './podman-sandbox';

// podman 4.3 with its CNI backend (libcni, as in production) driving cni-ts's own plugins from
// dist/bin: a bridge network and a macvlan network, two containers on each (one with a static IP
// and MAC, which podman passes through CNI_ARGS), `podman network connect` / `disconnect`, DEL from
// conmon's cleanup, and removal that leaves no reservation, link or masquerade rule behind.
// Everything happens inside a throwaway namespace (see podman-sandbox.ts); containers only ping
// each other.

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '../..');
const PLUGIN_DIR = path.join(ROOT, 'dist', 'bin');

const BRIDGE = 'cnits-e2e-br';
const BRIDGE_DEV = 'cnits-br0';
const MACVLAN = 'cnits-e2e-mv';
const MASTER = 'cnits-m0';
const MASTER_PEER = 'cnits-m1';
const STATIC = {
  [BRIDGE]: { ip: '10.213.1.50', mac: '02:00:0a:d5:01:32' },
  [MACVLAN]: { ip: '10.213.2.50', mac: '02:00:0a:d5:02:32' },
};

interface NetworkSettings {
  IPAddress: string;
  IPPrefixLen: number;
  Gateway: string;
  MacAddress: string;
}

let sb: PodmanSandbox;
const ids = new Map<string, string>();
// What the machine looked like before, to prove the run added nothing to it.
const before = { rootLinks: [] as string[], runNetns: [] as string[], cniResults: [] as string[] };

function rootLinks(): string[] {
  return (JSON.parse(must('ip', ['-j', 'link', 'show']) || '[]') as Array<{ ifname: string }>).map((l) => l.ifname).sort();
}

function listDir(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

function run(name: string, network: string, fixed?: { ip: string; mac: string }): string {
  const args = ['run', '-d', '--pull=never', '--name', name, '--network', network];
  if (fixed) args.push('--ip', fixed.ip, '--mac-address', fixed.mac);
  const id = sb.ok([...args, IMAGE, '/bin/sleep', '600']);
  expect(id).toMatch(/^[0-9a-f]{64}$/);
  ids.set(name, id);
  return id;
}

function networks(name: string): Record<string, NetworkSettings> {
  return JSON.parse(sb.ok(['inspect', '--format', '{{json .NetworkSettings.Networks}}', name]));
}

/** The container's view of one interface: IPv4 address/prefix and MAC, through busybox ip. */
function iface(name: string, ifname: string): { cidr: string; mac: string } {
  const addr = sb.ok(['exec', name, 'ip', '-o', '-4', 'addr', 'show', 'dev', ifname]);
  const link = sb.ok(['exec', name, 'ip', '-o', 'link', 'show', 'dev', ifname]);
  return {
    cidr: /\binet (\S+)/.exec(addr)?.[1] ?? `no IPv4 address in: ${addr}`,
    mac: /link\/ether (\S+)/.exec(link)?.[1] ?? `no MAC in: ${link}`,
  };
}

function containerLinks(name: string): string[] {
  return sb
    .ok(['exec', name, 'ip', '-o', 'link', 'show'])
    .split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1])
    .filter((n): n is string => !!n)
    .sort();
}

function defaultRoute(name: string): string {
  return sb.ok(['exec', name, 'ip', 'route', 'show', 'default']);
}

/** One ping from a container to another container's address, retried a few times. */
function ping(from: string, address: string): boolean {
  for (let i = 0; i < 3; i++) if (sb.podman(['exec', from, 'ping', '-c', '1', '-W', '2', address]).status === 0) return true;
  return false;
}

function bridgePorts(): string[] {
  return sb
    .hostLinks()
    .filter((l) => l.master === BRIDGE_DEV)
    .map((l) => l.ifname)
    .sort();
}

function rulesMentioning(name: string): string[] {
  const short = ids.get(name)!.slice(0, 12);
  return sb.masqueradeRules().filter((l) => l.includes(short));
}

function expectReservation(network: string, ip: string, name: string, ifname: string): void {
  expect(sb.reservations(network).get(ip)).toBe(`${ids.get(name)}\r\n${ifname}`);
}

/** Waits (bounded) for a condition that another process brings about, e.g. conmon's cleanup. */
async function eventually(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`still not true after waiting: ${what}`);
}

beforeAll(async () => {
  requireEngine(PLUGIN_DIR, ['bridge', 'macvlan', 'host-local']);
  before.rootLinks = rootLinks();
  before.runNetns = listDir('/run/netns').filter((n) => n.startsWith('netns-'));
  before.cniResults = listDir('/var/lib/cni/results');
  sb = await PodmanSandbox.create(PLUGIN_DIR);
  sb.hostIp(['link', 'add', MASTER, 'type', 'veth', 'peer', 'name', MASTER_PEER]);
  sb.hostIp(['link', 'set', MASTER, 'up']);
  sb.hostIp(['link', 'set', MASTER_PEER, 'up']);
  // A bridge network as `podman network create` writes it (cniVersion 0.4.0), and a macvlan one
  // at 1.0.0, so both result versions go through podman.
  sb.addNetwork({
    cniVersion: '0.4.0',
    name: BRIDGE,
    plugins: [
      {
        type: 'bridge',
        bridge: BRIDGE_DEV,
        isGateway: true,
        ipMasq: true,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          dataDir: sb.dataDir,
          ranges: [[{ subnet: '10.213.1.0/24', gateway: '10.213.1.1' }]],
          routes: [{ dst: '0.0.0.0/0' }],
        },
      },
    ],
  });
  sb.addNetwork({
    cniVersion: '1.0.0',
    name: MACVLAN,
    plugins: [
      {
        type: 'macvlan',
        master: MASTER,
        mode: 'bridge',
        ipam: {
          type: 'host-local',
          dataDir: sb.dataDir,
          ranges: [[{ subnet: '10.213.2.0/24', gateway: '10.213.2.1' }]],
          routes: [{ dst: '0.0.0.0/0' }],
        },
      },
    ],
  });
});

afterAll(async () => {
  await sb?.destroy();
});

describe('podman 4.3 (CNI backend) with the cni-ts plugins', () => {
  it('lists both networks: VERSION probing accepts the plugins', () => {
    const r = sb.podman(['network', 'ls', '--format', '{{.Name}} {{.Driver}}']);
    expect(r.stderr).not.toMatch(/Error validating CNI config/);
    expect(r.status).toBe(0);
    const listed = r.stdout.trim().split('\n');
    expect(listed).toContain(`${BRIDGE} bridge`);
    expect(listed).toContain(`${MACVLAN} macvlan`);
  });

  it('bridge: a dynamic and a static container get their addresses, MACs, routes and reach each other', () => {
    run('b1', BRIDGE);
    run('b2', BRIDGE, STATIC[BRIDGE]);

    const n1 = networks('b1')[BRIDGE];
    const n2 = networks('b2')[BRIDGE];
    expect(n2).toMatchObject({ IPAddress: STATIC[BRIDGE].ip, IPPrefixLen: 24, Gateway: '10.213.1.1', MacAddress: STATIC[BRIDGE].mac });
    expect(n1).toMatchObject({ IPPrefixLen: 24, Gateway: '10.213.1.1' });
    expect(n1.IPAddress).toMatch(/^10\.213\.1\.\d+$/);
    expect([STATIC[BRIDGE].ip, '10.213.1.1']).not.toContain(n1.IPAddress);

    expect(iface('b1', 'eth0')).toEqual({ cidr: `${n1.IPAddress}/24`, mac: n1.MacAddress });
    expect(iface('b2', 'eth0')).toEqual({ cidr: `${STATIC[BRIDGE].ip}/24`, mac: STATIC[BRIDGE].mac });
    for (const c of ['b1', 'b2']) expect(defaultRoute(c)).toMatch(/^default via 10\.213\.1\.1 dev eth0/);

    expect([...sb.reservations(BRIDGE).keys()].sort()).toEqual([n1.IPAddress, STATIC[BRIDGE].ip].sort());
    expectReservation(BRIDGE, n1.IPAddress, 'b1', 'eth0');
    expectReservation(BRIDGE, STATIC[BRIDGE].ip, 'b2', 'eth0');

    expect(bridgePorts()).toHaveLength(2);
    for (const c of ['b1', 'b2']) expect(rulesMentioning(c)).not.toEqual([]);

    expect(ping('b1', STATIC[BRIDGE].ip)).toBe(true);
    expect(ping('b2', n1.IPAddress)).toBe(true);
  });

  it('macvlan: a dynamic and a static container get their addresses, MACs, routes and reach each other', () => {
    run('m1', MACVLAN);
    run('m2', MACVLAN, STATIC[MACVLAN]);

    const n1 = networks('m1')[MACVLAN];
    const n2 = networks('m2')[MACVLAN];
    expect(n2).toMatchObject({ IPAddress: STATIC[MACVLAN].ip, IPPrefixLen: 24, Gateway: '10.213.2.1', MacAddress: STATIC[MACVLAN].mac });
    expect(n1).toMatchObject({ IPPrefixLen: 24, Gateway: '10.213.2.1' });
    expect(n1.IPAddress).toMatch(/^10\.213\.2\.\d+$/);
    expect([STATIC[MACVLAN].ip, '10.213.2.1']).not.toContain(n1.IPAddress);

    expect(iface('m1', 'eth0')).toEqual({ cidr: `${n1.IPAddress}/24`, mac: n1.MacAddress });
    expect(iface('m2', 'eth0')).toEqual({ cidr: `${STATIC[MACVLAN].ip}/24`, mac: STATIC[MACVLAN].mac });
    for (const c of ['m1', 'm2']) expect(defaultRoute(c)).toMatch(/^default via 10\.213\.2\.1 dev eth0/);

    expect([...sb.reservations(MACVLAN).keys()].sort()).toEqual([n1.IPAddress, STATIC[MACVLAN].ip].sort());
    expectReservation(MACVLAN, n1.IPAddress, 'm1', 'eth0');
    expectReservation(MACVLAN, STATIC[MACVLAN].ip, 'm2', 'eth0');
    // the macvlan links live in the containers: the host namespace gains none
    expect(sb.hostLinks().filter((l) => l.linkinfo?.info_kind === 'macvlan')).toEqual([]);

    expect(ping('m1', STATIC[MACVLAN].ip)).toBe(true);
    expect(ping('m2', n1.IPAddress)).toBe(true);
  });

  it("podman network connect adds eth1 on the other network, which reaches that network's containers", () => {
    sb.ok(['network', 'connect', MACVLAN, 'b1']);
    sb.ok(['network', 'connect', BRIDGE, 'm1']);

    const b1 = networks('b1');
    const m1 = networks('m1');
    expect(Object.keys(b1).sort()).toEqual([BRIDGE, MACVLAN]);
    expect(Object.keys(m1).sort()).toEqual([BRIDGE, MACVLAN]);
    expect(b1[MACVLAN].IPAddress).toMatch(/^10\.213\.2\.\d+$/);
    expect(m1[BRIDGE].IPAddress).toMatch(/^10\.213\.1\.\d+$/);

    expect(containerLinks('b1')).toEqual(['eth0', 'eth1', 'lo']);
    expect(containerLinks('m1')).toEqual(['eth0', 'eth1', 'lo']);
    expect(iface('b1', 'eth1')).toEqual({ cidr: `${b1[MACVLAN].IPAddress}/24`, mac: b1[MACVLAN].MacAddress });
    expect(iface('m1', 'eth1')).toEqual({ cidr: `${m1[BRIDGE].IPAddress}/24`, mac: m1[BRIDGE].MacAddress });
    expectReservation(MACVLAN, b1[MACVLAN].IPAddress, 'b1', 'eth1');
    expectReservation(BRIDGE, m1[BRIDGE].IPAddress, 'm1', 'eth1');
    expect(sb.reservations(BRIDGE).size).toBe(3);
    expect(sb.reservations(MACVLAN).size).toBe(3);
    expect(bridgePorts()).toHaveLength(3);
    expect(rulesMentioning('m1')).not.toEqual([]);

    expect(ping('b1', STATIC[MACVLAN].ip)).toBe(true);
    expect(ping('m2', b1[MACVLAN].IPAddress)).toBe(true);
    expect(ping('m1', STATIC[BRIDGE].ip)).toBe(true);
    expect(ping('b2', m1[BRIDGE].IPAddress)).toBe(true);
  });

  it('podman network disconnect removes eth1 and releases its reservation and rules', () => {
    const b1Mv = networks('b1')[MACVLAN].IPAddress;
    const m1Br = networks('m1')[BRIDGE].IPAddress;
    sb.ok(['network', 'disconnect', MACVLAN, 'b1']);
    sb.ok(['network', 'disconnect', BRIDGE, 'm1']);

    expect(Object.keys(networks('b1'))).toEqual([BRIDGE]);
    expect(Object.keys(networks('m1'))).toEqual([MACVLAN]);
    expect(containerLinks('b1')).toEqual(['eth0', 'lo']);
    expect(containerLinks('m1')).toEqual(['eth0', 'lo']);
    expect(sb.reservations(MACVLAN).has(b1Mv)).toBe(false);
    expect(sb.reservations(BRIDGE).has(m1Br)).toBe(false);
    expect(sb.reservations(BRIDGE).size).toBe(2);
    expect(sb.reservations(MACVLAN).size).toBe(2);
    expect(bridgePorts()).toHaveLength(2);
    expect(rulesMentioning('m1')).toEqual([]);
    // the first interfaces are untouched
    expect(ping('b1', STATIC[BRIDGE].ip)).toBe(true);
    expect(ping('m1', STATIC[MACVLAN].ip)).toBe(true);
  });

  it("a container killed from outside is torn down by conmon's cleanup (DEL without podman rm)", async () => {
    run('b3', BRIDGE);
    const ip = networks('b3')[BRIDGE].IPAddress;
    expectReservation(BRIDGE, ip, 'b3', 'eth0');
    expect(bridgePorts()).toHaveLength(3);
    expect(rulesMentioning('b3')).not.toEqual([]);

    sb.ok(['kill', 'b3']);
    sb.ok(['wait', 'b3']);
    await eventually(() => !sb.reservations(BRIDGE).has(ip), `reservation of ${ip} released`);
    await eventually(() => bridgePorts().length === 2, "the host end of b3's veth gone");
    expect(rulesMentioning('b3')).toEqual([]);
    sb.ok(['rm', 'b3']);
  });

  it('podman rm -f releases every reservation and leaves only the bridge: no veth, macvlan or masquerade rule', () => {
    sb.ok(['rm', '-a', '-f', '-t', '0']);
    expect(sb.ok(['ps', '-a', '--format', '{{.Names}}'])).toBe('');

    expect([...sb.reservations(BRIDGE).keys()]).toEqual([]);
    expect([...sb.reservations(MACVLAN).keys()]).toEqual([]);
    expect(
      sb
        .hostLinks()
        .map((l) => l.ifname)
        .sort(),
    ).toEqual([BRIDGE_DEV, MASTER, MASTER_PEER, 'lo'].sort());
    expect(sb.masqueradeRules()).toEqual([]);
    // podman's own bookkeeping in the private mounts: no cached result, no container netns left
    expect(sb.inHost('ls', ['-A', '/var/lib/cni/results']).stdout).toBe('');
    expect(sb.inHost('sh', ['-c', 'ls -A /run/netns 2>/dev/null']).stdout).toBe('');
  });

  it('tearing the engine down leaves nothing on the machine', async () => {
    expect(await sb.destroy()).toEqual([]);
    expect(fs.existsSync(sb.tmp)).toBe(false);
    // no holder, conmon, container or cleanup process of this run survives
    expect(processesMentioning([sb.label, sb.tmp])).toEqual([]);
    expect(listDir('/run/netns').filter((n) => n.startsWith('netns-'))).toEqual(before.runNetns);
    expect(listDir('/var/lib/cni/results')).toEqual(before.cniResults);
    expect(rootLinks()).toEqual(before.rootLinks);
  });
});
