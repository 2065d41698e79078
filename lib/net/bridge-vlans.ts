import { kindOf, NetError, reasonOf } from './errors';
import type { Netns } from './netns';
import { checkIfName } from './validate';

interface VlanEntry {
  vlan?: unknown;
  vlanEnd?: unknown;
}

/**
 * The VLAN ids of a bridge port, from `bridge -json vlan show dev PORT` (ranges expanded).
 * Empty for a port without VLAN entries (e.g. on a bridge without VLAN filtering).
 */
export function parsePortVlans(json: string, port: string): number[] {
  const parsed: unknown = json.trim() === '' ? [] : JSON.parse(json);
  if (!Array.isArray(parsed)) return [];
  const vids: number[] = [];
  for (const dev of parsed as Array<{ ifname?: unknown; vlans?: unknown }>) {
    if (dev.ifname !== port || !Array.isArray(dev.vlans)) continue;
    for (const v of dev.vlans as VlanEntry[]) {
      if (typeof v.vlan !== 'number') continue;
      const end = typeof v.vlanEnd === 'number' ? v.vlanEnd : v.vlan;
      for (let vid = v.vlan; vid <= end; vid++) vids.push(vid);
    }
  }
  return vids;
}

/** VLAN ids configured on a bridge port (one `bridge` process). */
export async function readPortVlans(ns: Netns, port: string): Promise<number[]> {
  checkIfName(port);
  const r = await ns.exec('bridge', ['-json', 'vlan', 'show', 'dev', port]);
  if (r.status !== 0) {
    const reason = reasonOf(r.stderr.split('\n'), `exit status ${r.status}`);
    throw new NetError(`read VLANs of ${port}`, reason, kindOf(reason), { stderr: r.stderr });
  }
  return parsePortVlans(r.stdout, port);
}
