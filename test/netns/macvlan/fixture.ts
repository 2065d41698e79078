import fs from 'node:fs';
import { makeTopology, type TestNs, type Topology } from '../../helpers/netns';
import { reservations, runOk, runPlugin, tempDataDir, type PluginCall, type PluginRun } from '../../helpers/run-plugin';

// A throwaway host namespace whose "uplink" is a veth pair (master `mvup0`, its peer `mvup1`,
// both up so the master has carrier), with container namespaces beside it. Nothing leaves
// these namespaces.

export const MASTER = 'mvup0';
export const NETWORK = 'mvnet';

export interface MacvlanEnv extends Topology {
  dataDir: string;
  /** The macvlan plugin run inside the host namespace against container `i` (default 0). */
  run(call: Omit<PluginCall, 'netns'> & { netns?: string }, i?: number): PluginRun;
  ok(call: Omit<PluginCall, 'netns'> & { netns?: string }, i?: number): PluginRun;
  /** `ip -d link show dev <ifname>` in a namespace, parsed. */
  link(ns: TestNs, ifname?: string): any;
  destroy(): void;
}

export function macvlanEnv(opts: { containers?: number; plugin?: string; binDir?: string } = {}): MacvlanEnv {
  const topo = makeTopology({ containers: opts.containers ?? 1 });
  topo.host.ip('link', 'add', 'name', MASTER, 'type', 'veth', 'peer', 'name', 'mvup1');
  topo.host.ip('link', 'set', MASTER, 'up');
  topo.host.ip('link', 'set', 'mvup1', 'up');
  const dataDir = tempDataDir();
  const plugin = opts.plugin ?? 'macvlan';
  const withNetns = (call: Omit<PluginCall, 'netns'> & { netns?: string }, i: number): PluginCall => ({
    binDir: opts.binDir,
    ...call,
    netns: call.netns ?? topo.containers[i].path,
  });
  return {
    ...topo,
    dataDir,
    run: (call, i = 0) => runPlugin(topo.host, plugin, withNetns(call, i)),
    ok: (call, i = 0) => runOk(topo.host, plugin, withNetns(call, i)),
    link: (ns, ifname = 'eth0') => ns.ipJson('-d', 'link', 'show', 'dev', ifname)[0],
    destroy: () => {
      topo.cleanup();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A macvlan config on MASTER with host-local in `dataDir` (IPv4 10.60.0.0/24, default route). */
export function macvlanConf(
  dataDir: string,
  extra: Record<string, unknown> = {},
  ipam: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name: NETWORK,
    type: 'macvlan',
    master: MASTER,
    ipam: { type: 'host-local', dataDir, ranges: [[{ subnet: '10.60.0.0/24' }]], routes: [{ dst: '0.0.0.0/0' }], ...ipam },
    ...extra,
  };
}

/** The addresses of a link as `ip/prefix`, global scope only. */
export function globalAddresses(ns: TestNs, ifname = 'eth0'): string[] {
  const [entry] = ns.ipJson('address', 'show', 'dev', ifname);
  return (entry?.addr_info ?? [])
    .filter((a: { scope: string }) => a.scope === 'global')
    .map((a: { local: string; prefixlen: number }) => `${a.local}/${a.prefixlen}`);
}

/** Link names in a namespace. */
export function linkNames(ns: TestNs): string[] {
  return ns.ipJson('link', 'show').map((l: { ifname: string }) => l.ifname);
}

/** No link left in the (first) container but lo, and no reservation left. */
export function expectNothingLeft(env: MacvlanEnv): void {
  expect(linkNames(env.ctr)).toEqual(['lo']);
  expect(reservations(env.dataDir, NETWORK)).toEqual([]);
}
