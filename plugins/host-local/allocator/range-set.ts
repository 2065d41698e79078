import { CniError, ErrCode } from '../../../lib/cni/errors';
import type { Ip, IpFamily } from '../../../lib/ip';
import { rangeContains, rangesOverlap, rangeText, type Range } from './range';

/**
 * The pools one address is taken from. `index` is the position in the final list (runtime
 * ipRanges, then the legacy top-level range, then ipam.ranges): it names `last_reserved_ip.<index>`.
 * `source` says where the set was configured, for messages.
 */
export interface RangeSet {
  index: number;
  source: string;
  family: IpFamily;
  ranges: Range[];
}

/** Validates one set: not empty, one family, no two ranges sharing an address. */
export function makeRangeSet(ranges: Range[], index: number, source: string): RangeSet {
  if (ranges.length === 0)
    throw new CniError(ErrCode.InvalidNetworkConfig, `host-local: ${source} is an empty range set; give it at least one range`);
  const family = ranges[0].subnet.family;
  ranges.forEach((r, i) => {
    if (r.subnet.family !== family) {
      throw new CniError(
        ErrCode.InvalidNetworkConfig,
        `host-local: ${source} mixes address families (${source}[0] is IPv${family}, ${source}[${i}] is IPv${r.subnet.family}); put each family in its own range set`,
      );
    }
    for (let j = 0; j < i; j++) {
      if (rangesOverlap(ranges[j], r)) {
        throw new CniError(
          ErrCode.InvalidNetworkConfig,
          `host-local: ${source}[${j}] (${rangeText(ranges[j])}) and ${source}[${i}] (${rangeText(r)}) overlap`,
        );
      }
    }
  });
  return { index, source, family, ranges };
}

/** The range an address can be allocated from, if any. */
export function rangeFor(set: RangeSet, ip: Ip): Range | undefined {
  return set.ranges.find((r) => rangeContains(r, ip));
}

export function setContains(set: RangeSet, ip: Ip): boolean {
  return rangeFor(set, ip) !== undefined;
}

export function setsOverlap(a: RangeSet, b: RangeSet): boolean {
  return a.ranges.some((r) => b.ranges.some((r1) => rangesOverlap(r, r1)));
}

/** "10.1.0.1-10.1.0.254,10.2.0.1-10.2.0.254", the reference's text for a set in messages. */
export function rangeSetText(set: RangeSet): string {
  return set.ranges.map(rangeText).join(',');
}

/**
 * Round-robin order of the reference plugin: start right after the last reserved address when
 * it lies in the set (so a crash-looping container does not get its old address straight back),
 * else at the first range's start; walk to each range's end, continue with the next range, wrap,
 * and stop after one full turn. A range's own gateway is never offered.
 */
export function* roundRobin(set: RangeSet, lastReserved: Ip | undefined): Generator<{ ip: Ip; range: Range }> {
  let idx = 0;
  let cur: Ip = set.ranges[0].start;
  const lastIdx = lastReserved ? set.ranges.findIndex((r) => rangeContains(r, lastReserved)) : -1;
  if (lastReserved && lastIdx >= 0) {
    [idx, cur] = successor(set, lastIdx, lastReserved);
  }
  const first = cur;
  do {
    const range = set.ranges[idx];
    if (!cur.equals(range.gateway)) yield { ip: cur, range };
    [idx, cur] = successor(set, idx, cur);
  } while (!cur.equals(first));
}

function successor(set: RangeSet, idx: number, ip: Ip): [number, Ip] {
  const range = set.ranges[idx];
  if (ip.equals(range.end)) {
    const nextIdx = (idx + 1) % set.ranges.length;
    return [nextIdx, set.ranges[nextIdx].start];
  }
  return [idx, ip.next() as Ip];
}

/** How many addresses the set can hand out (each range minus its gateway when inside it). */
export function setCapacity(set: RangeSet): bigint {
  let total = 0n;
  for (const r of set.ranges) {
    total += r.end.value - r.start.value + 1n;
    if (rangeContains(r, r.gateway)) total -= 1n;
  }
  return total;
}
