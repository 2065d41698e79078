import { requireRoot } from '../../helpers/netns';
import {
  BRIDGE,
  MASTER,
  NOTHING_LEFT,
  requireBinaries,
  rng,
  shapeProblem,
  sleep,
  withEnv,
  type Call,
  type Env,
  type Json,
  type Plugin,
  type Run,
} from './harness';

// Races: many plugin processes at once on one network, the way a node starting a burst of pods
// calls them. Concurrent ADDs (the first of them on a bridge that does not exist yet), then
// concurrent DELs; DEL twice at the same time for one attachment; DEL issued while the ADD of
// the same attachment is still running. Every address handed out once, every call answered
// cleanly, nothing left afterwards.

const N = Number(process.env.RACE_ADDS ?? 40);

jest.setTimeout(120_000);

beforeAll(() => {
  requireRoot();
  requireBinaries();
});

interface Slot {
  containerId: string;
  ctr: number;
  ifName: string;
}

/** N attachments spread over the containers, several interfaces each, so links also race per namespace. */
function slots(e: Env, n: number): Slot[] {
  const c = e.topo.containers.length;
  return Array.from({ length: n }, (_, i) => ({ containerId: `race-${i}`, ctr: i % c, ifName: `eth${Math.floor(i / c)}` }));
}

function callOf(plugin: Plugin, conf: Json, s: Slot, command: string): Call {
  return { plugin, command, conf, containerId: s.containerId, ifName: s.ifName };
}

function all(e: Env, plugin: Plugin, conf: Json, ss: Slot[], command: string): Promise<Run[]> {
  return Promise.all(ss.map((s) => e.start(callOf(plugin, conf, s, command), e.topo.containers[s.ctr]).done));
}

function failures(runs: Run[], ss: Slot[], what: string): string[] {
  return runs.flatMap((r, i) =>
    r.status === 0 && !shapeProblem(r) ? [] : [`${what} ${ss[i].containerId}/${ss[i].ifName}: ${r.status} ${r.stdout}${r.stderr}`],
  );
}

function duplicates(ips: string[]): string[] {
  return ips.filter((ip, i) => ips.indexOf(ip) !== i);
}

/** Addresses on the container interfaces, per slot. */
function onLinks(e: Env, ss: Slot[]): string[][] {
  return ss.map((s) =>
    e.topo.containers[s.ctr]
      .ipJson('addr', 'show', 'dev', s.ifName)
      .flatMap((l: Json) => (l.addr_info as Json[]).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`)),
  );
}

describe('reliability: concurrent ADDs and DELs', () => {
  test.each([
    ['bridge', 'iptables'],
    ['bridge', 'nftables'],
    ['macvlan', ''],
    ['host-local', ''],
  ])(`%s %s: ${N} ADDs at once (bridge: not yet created), then ${N} DELs at once`, (plugin, backend) =>
    withEnv(async (e) => {
      const p = plugin as Plugin;
      const conf = e.conf(p, '1.0.0', 'racenet', backend ? { ipMasqBackend: backend } : {});
      const ss = slots(e, N);
      expect(e.links(e.host).some((l) => l.ifname === BRIDGE)).toBe(false);
      const adds = await all(e, p, conf, ss, 'ADD');
      expect(failures(adds, ss, 'ADD')).toEqual([]);
      const ips = adds.map((r) => (r.json.ips as Json[]).map((i) => i.address as string));
      expect(duplicates(ips.flat())).toEqual([]);
      expect(ips.every((l) => l.length === 1)).toBe(true);
      expect(e.reservations().length).toBe(N);
      if (p !== 'host-local') expect(onLinks(e, ss)).toEqual(ips);
      if (p === 'bridge') {
        // One bridge, every host veth on it, the gateway address on it once.
        const bridges = e.links(e.host).filter((l) => l.linkinfo?.info_kind === 'bridge');
        expect(bridges.map((l) => l.ifname)).toEqual([BRIDGE]);
        expect(e.host.ipJson('link', 'show', 'master', BRIDGE).length).toBe(N);
        const gw = e.host
          .ipJson('addr', 'show', 'dev', BRIDGE)
          .flatMap((l: Json) => (l.addr_info as Json[]).filter((a) => a.family === 'inet').map((a) => a.local));
        expect(gw).toEqual(['10.77.0.1']);
        // One masquerade rule set per attachment.
        const rules = backend === 'nftables' ? e.nftRules() : e.natRules().filter((l) => l.startsWith(':CNI-'));
        expect(rules.length).toBeGreaterThanOrEqual(N);
      }
      if (p === 'macvlan') expect(e.host.ipJson('link', 'show', 'dev', MASTER).length).toBe(1);

      const dels = await all(e, p, conf, ss, 'DEL');
      expect(failures(dels, ss, 'DEL')).toEqual([]);
      expect(e.leftovers()).toEqual(NOTHING_LEFT);
      console.log(
        `races: ${p}${backend ? `/${backend}` : ''} ${N} concurrent ADDs (${new Set(ips.flat()).size} distinct addresses), ${N} concurrent DELs, 0 failed, 0 left`,
      );
    }, 8),
  );

  test.each(['bridge', 'macvlan', 'host-local'] as Plugin[])('%s: DEL twice at the same moment for each of many attachments', (plugin) =>
    withEnv(async (e) => {
      const conf = e.conf(plugin);
      const ss = slots(e, 12);
      const adds = await all(e, plugin, conf, ss, 'ADD');
      expect(failures(adds, ss, 'ADD')).toEqual([]);
      const dels = await all(e, plugin, conf, [...ss, ...ss], 'DEL');
      // Both DELs of an attachment succeed: the one that finds nothing left has nothing to do.
      expect(failures(dels, [...ss, ...ss], 'DEL')).toEqual([]);
      expect(dels.map((r) => r.stdout)).toEqual(dels.map(() => ''));
      expect(e.leftovers()).toEqual(NOTHING_LEFT);
      console.log(`races: ${plugin} ${ss.length} attachments deleted twice concurrently (${dels.length} DELs), 0 failed, 0 left`);
    }, 6),
  );

  test.each(['bridge', 'macvlan', 'host-local'] as Plugin[])(
    '%s: DEL issued while the ADD is still running; a final DEL leaves nothing',
    (plugin) =>
      withEnv(async (e) => {
        const conf = e.conf(plugin);
        const r = rng(31 + plugin.length);
        const ss = slots(e, 16);
        const pairs = await Promise.all(
          ss.map(async (s) => {
            const add = e.start(callOf(plugin, conf, s, 'ADD'), e.topo.containers[s.ctr]);
            await sleep(r.int(80));
            const del = e.start(callOf(plugin, conf, s, 'DEL'), e.topo.containers[s.ctr]);
            return Promise.all([add.done, del.done]);
          }),
        );
        const addRuns = pairs.map(([a]) => a);
        const delRuns = pairs.map(([, d]) => d);
        // The ADD may legitimately fail: the DEL can remove its veth / macvlan link, or release its
        // reservation, between two of its steps (the runtime has already given the attachment up).
        // It must fail cleanly though: one JSON error, no hang, no crash.
        expect(addRuns.map(shapeProblem).filter(Boolean)).toEqual([]);
        expect(failures(delRuns, ss, 'racing DEL')).toEqual([]);
        const finals = await all(e, plugin, conf, ss, 'DEL');
        expect(failures(finals, ss, 'final DEL')).toEqual([]);
        expect(e.leftovers()).toEqual(NOTHING_LEFT);
        // The network still works: the same attachments can be added again.
        const again = await all(e, plugin, conf, ss, 'ADD');
        expect(failures(again, ss, 'ADD after the race')).toEqual([]);
        expect(duplicates(again.flatMap((x) => (x.json.ips as Json[]).map((i) => i.address as string)))).toEqual([]);
        expect(failures(await all(e, plugin, conf, ss, 'DEL'), ss, 'DEL')).toEqual([]);
        expect(e.leftovers()).toEqual(NOTHING_LEFT);
        const failedAdds = addRuns.filter((x) => x.status !== 0).length;
        console.log(
          `races: ${plugin} ${ss.length} DELs racing in-flight ADDs (${failedAdds} ADDs lost the race cleanly), 0 unclean, 0 left`,
        );
      }, 8),
  );
});
