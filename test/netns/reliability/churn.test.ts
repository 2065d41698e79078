import crypto from 'node:crypto';
import { requireRoot, type TestNs } from '../../helpers/netns';
import { BRIDGE, NOTHING_LEFT, requireBinaries, rng, shapeProblem, withEnv, type Call, type Env, type Json, type Plugin } from './harness';

// Churn: hundreds of ADD/DEL cycles across cniVersions, plugins and masquerade backends, a few
// attachments alive at once (several per container namespace). After every round nothing may be
// left (links, addresses, reservations, iptables / nftables rules), and at the end the host's
// and the containers' sysctls and the bridges' state must be what the Go reference leaves: the
// bridges themselves, their gateway addresses and the forwarding sysctls stay; nothing else
// differs from the state before the first ADD (or, for the bridges, after the first round).
// Replay with CHURN_SEED; scale with CHURN_CYCLES.

const SEED = Number(process.env.CHURN_SEED ?? 20261202);
const CYCLES = Number(process.env.CHURN_CYCLES ?? 200);
const CHURN_VERSIONS = ['0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
const NFT_BRIDGE = 'cnirel1';
const IFNAMES = ['eth0', 'net1', 'eth1'];
const CONTAINERS = 4;

jest.setTimeout(240_000);

beforeAll(() => {
  requireRoot();
  requireBinaries();
});

interface Flavour {
  label: string;
  plugin: Plugin;
  conf(e: Env, version: string): Json;
  /** Subnets a result's addresses must fall in (prefix test on the text form). */
  prefixes: string[];
  /** Whether the plugin puts an interface with the addresses into the container. */
  link: boolean;
}

const FLAVOURS: Flavour[] = [
  {
    label: 'bridge/iptables',
    plugin: 'bridge',
    conf: (e, v) => e.conf('bridge', v, 'churn-ipt', { ipMasqBackend: 'iptables' }),
    prefixes: ['10.77.0.'],
    link: true,
  },
  {
    label: 'bridge/nftables',
    plugin: 'bridge',
    conf: (e, v) =>
      e.conf('bridge', v, 'churn-nft', {
        bridge: NFT_BRIDGE,
        ipMasqBackend: 'nftables',
        ipam: e.ipam({ ranges: [[{ subnet: '10.76.0.0/24' }], [{ subnet: 'fd76::/64' }]] }),
      }),
    prefixes: ['10.76.0.', 'fd76::'],
    link: true,
  },
  { label: 'macvlan', plugin: 'macvlan', conf: (e, v) => e.conf('macvlan', v, 'churn-mv'), prefixes: ['10.78.0.'], link: true },
  { label: 'host-local', plugin: 'host-local', conf: (e, v) => e.conf('host-local', v, 'churn-hl'), prefixes: ['10.77.0.'], link: false },
];

interface Attachment {
  flavour: Flavour;
  version: string;
  conf: Json;
  ctr: TestNs;
  containerId: string;
  ifName: string;
  ips: string[];
}

/** Everything under the namespace's ipv4/ipv6 conf trees plus ip_forward, as "key=value". */
function sysctls(ns: TestNs): Map<string, string> {
  const script = 'cd /proc/sys/net && grep -r . ipv4/conf ipv6/conf ipv4/ip_forward 2>/dev/null; true';
  const out = new Map<string, string>();
  for (const line of ns.execOk('sh', ['-c', script]).split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

function sysctlDiff(
  before: Map<string, string>,
  after: Map<string, string>,
  allowed: (key: string, was?: string, now?: string) => boolean,
): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys]
    .filter((k) => before.get(k) !== after.get(k) && !allowed(k, before.get(k), after.get(k)))
    .map((k) => `${k}: ${before.get(k)} -> ${after.get(k)}`);
}

/**
 * JSON without the parts that move on their own: timers, address lifetimes, and IPv6 DAD state
 * (an address added while the bridge has no carrier stays tentative until a port comes up).
 */
function steady(v: Json): Json {
  if (Array.isArray(v)) return v.map(steady);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => !/timer|life_time|^tentative$/.test(k))
        .map(([k, x]) => [k, steady(x)]),
    );
  }
  return v;
}

/**
 * The bridge's forwarding entries without its multicast ones (33:33:…, 01:00:5e:…): those mirror
 * the kernel's IPv6 group memberships (solicited-node, subnet-router anycast), which follow
 * carrier and DAD state, not anything a plugin left.
 */
function unicastFdb(e: Env, name: string): Json {
  const all: Json[] = JSON.parse(e.host.execOk('bridge', ['-j', 'fdb', 'show', 'br', name]) || '[]');
  return all.filter((f) => !/^(33:33:|01:00:5e:)/i.test(f.mac));
}

function bridgeState(e: Env, name: string): Json {
  return {
    link: steady(e.host.ipJson('-d', 'link', 'show', 'dev', name)),
    addrs: steady(e.host.ipJson('addr', 'show', 'dev', name)),
    fdb: unicastFdb(e, name),
    ports: e.host.ipJson('link', 'show', 'master', name).map((l: Json) => l.ifname),
  };
}

/**
 * Routes of every table, but for IPv6's local table: the kernel adds an address's local and
 * anycast routes there only once DAD completes, which needs carrier on the bridge.
 */
function hostRoutes(e: Env): Json {
  return steady(e.host.ipJson('route', 'show', 'table', 'all').filter((r: Json) => !(r.table === 'local' && String(r.dst).includes(':'))));
}

/** Leftovers with the second bridge (like the first, never deleted) not counted. */
function leftovers(e: Env): Json {
  const left = e.leftovers();
  left.hostLinks = left.hostLinks.filter((n: string) => n !== NFT_BRIDGE);
  return left;
}

function addressesIn(ns: TestNs, ifName: string): string[] {
  return ns.ipJson('addr', 'show', 'dev', ifName).flatMap((l: Json) => (l.addr_info as Json[]).map((a) => `${a.local}/${a.prefixlen}`));
}

test('churn: ADD/DEL cycles across versions, plugins and backends leave nothing behind', () =>
  withEnv((e) => {
    const r = rng(SEED);
    const problems: string[] = [];
    const hostBefore = sysctls(e.host);
    const ctrBefore = e.topo.containers.map(sysctls);
    const call = (a: Attachment, command: string): Call => ({
      plugin: a.flavour.plugin,
      command,
      conf: a.conf,
      containerId: a.containerId,
      ifName: a.ifName,
    });
    let cycles = 0;
    let rounds = 0;
    let doubleDels = 0;
    let maxAlive = 0;
    const perFlavour = new Map<string, number>();
    let afterFirstRound: Json | undefined;

    while (cycles < CYCLES) {
      rounds++;
      const alive: Attachment[] = [];
      const want = 1 + r.int(5);
      for (let j = 0; j < want && cycles < CYCLES; j++) {
        const flavour = r.pick(FLAVOURS);
        const version = r.pick(CHURN_VERSIONS);
        const ctr = r.pick(e.topo.containers);
        const free = IFNAMES.filter((n) => !alive.some((a) => a.ctr === ctr && a.ifName === n));
        if (free.length === 0) continue;
        const a: Attachment = {
          flavour,
          version,
          conf: flavour.conf(e, version),
          ctr,
          containerId: `churn-${crypto.randomBytes(6).toString('hex')}`,
          ifName: r.pick(free),
          ips: [],
        };
        cycles++;
        perFlavour.set(`${flavour.label}@${version}`, (perFlavour.get(`${flavour.label}@${version}`) ?? 0) + 1);
        const res = e.run(call(a, 'ADD'), ctr);
        const what = `round ${rounds} ${flavour.label} ${version} ${a.containerId}/${a.ifName}`;
        if (res.status !== 0 || shapeProblem(res)) {
          problems.push(`${what}: ADD failed: ${res.stdout}${res.stderr}`);
          e.run(call(a, 'DEL'), ctr);
          continue;
        }
        alive.push(a);
        a.ips = (res.json.ips as Json[]).map((i) => i.address as string);
        if (res.json.cniVersion !== version) problems.push(`${what}: result cniVersion ${res.json.cniVersion}`);
        if (a.ips.length !== flavour.prefixes.length || !flavour.prefixes.every((p) => a.ips.some((ip) => ip.startsWith(p)))) {
          problems.push(`${what}: addresses ${a.ips.join(',')} not one in each of ${flavour.prefixes.join(',')}`);
        }
        if (flavour.link) {
          const have = addressesIn(ctr, a.ifName);
          const missing = a.ips.filter((ip) => !have.includes(ip));
          if (missing.length) problems.push(`${what}: ${missing.join(',')} not on ${a.ifName} (has ${have.join(',')})`);
        }
      }
      maxAlive = Math.max(maxAlive, alive.length);
      for (const f of FLAVOURS) {
        const ips = alive.filter((a) => a.flavour === f).flatMap((a) => a.ips);
        if (new Set(ips).size !== ips.length) problems.push(`round ${rounds}: ${f.label} handed out an address twice: ${ips.join(',')}`);
      }
      // DEL in a random order, sometimes twice (the runtime retrying).
      for (const a of [...alive].sort(() => r.next() - 0.5)) {
        const times = r.chance(0.15) ? 2 : 1;
        if (times === 2) doubleDels++;
        for (let t = 0; t < times; t++) {
          const res = e.run(call(a, 'DEL'), a.ctr);
          if (res.status !== 0 || res.stdout !== '')
            problems.push(
              `round ${rounds} ${a.flavour.label} ${a.version} ${a.containerId}/${a.ifName}: DEL #${t + 1} failed: ${res.stdout}${res.stderr}`,
            );
        }
      }
      const left = leftovers(e);
      if (JSON.stringify(left) !== JSON.stringify(NOTHING_LEFT)) problems.push(`round ${rounds}: left behind ${JSON.stringify(left)}`);
      if (afterFirstRound === undefined && [BRIDGE, NFT_BRIDGE].every((b) => e.links(e.host).some((l) => l.ifname === b))) {
        afterFirstRound = { bridges: [BRIDGE, NFT_BRIDGE].map((b) => bridgeState(e, b)), routes: hostRoutes(e), sysctls: sysctls(e.host) };
      }
    }

    // The bridges, once made, do not change with further attachments coming and going.
    expect(afterFirstRound).toBeDefined();
    const end = { bridges: [BRIDGE, NFT_BRIDGE].map((b) => bridgeState(e, b)), routes: hostRoutes(e), sysctls: sysctls(e.host) };
    expect(end.bridges).toEqual(afterFirstRound.bridges);
    expect(end.routes).toEqual(afterFirstRound.routes);
    const unstable = sysctlDiff(afterFirstRound.sysctls, end.sysctls, () => false);
    // Against the state before the first ADD: only what the reference leaves too.
    const bridgeKey = new RegExp(`^ipv[46]/conf/(${BRIDGE}|${NFT_BRIDGE})/`);
    const hostChanged = sysctlDiff(hostBefore, end.sysctls, (k, was, now) => {
      if (bridgeKey.test(k) && was === undefined) return true;
      if ((k === 'ipv4/ip_forward' || k.endsWith('/forwarding')) && now === '1') return true;
      // The kernel's own consequence of turning IPv4 forwarding on (inet_forward_change()).
      return k === 'ipv4/conf/all/accept_redirects' && now === '0' && end.sysctls.get('ipv4/ip_forward') === '1';
    });
    const ctrChanged = e.topo.containers.flatMap((c, i) => sysctlDiff(ctrBefore[i], sysctls(c), () => false).map((d) => `ctr${i} ${d}`));
    // The gateway address on each bridge stays (as with Go); nothing else was added to them.
    const bridgeAddrs = end.bridges.map((b: Json) =>
      (b.addrs[0].addr_info as Json[])
        .filter((a) => a.scope === 'global')
        .map((a) => `${a.local}/${a.prefixlen}`)
        .sort(),
    );
    expect(bridgeAddrs).toEqual([['10.77.0.1/24'], ['10.76.0.1/24', 'fd76::1/64']]);
    expect(end.bridges.map((b: Json) => b.ports)).toEqual([[], []]);

    const unclean = problems.length + unstable.length + hostChanged.length + ctrChanged.length;
    console.log(
      `churn: ${cycles} cycles (ADD+DEL) in ${rounds} rounds, ${perFlavour.size} plugin/version/backend combinations, ` +
        `up to ${maxAlive} alive at once, ${doubleDels} repeated DELs, ${unclean} unclean`,
    );
    expect({ problems, unstable, hostChanged, ctrChanged }).toEqual({ problems: [], unstable: [], hostChanged: [], ctrChanged: [] });
    expect(cycles).toBe(CYCLES);
  }, CONTAINERS));
