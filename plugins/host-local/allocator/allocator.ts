import { CniError, ErrCode } from '../../../lib/cni/errors';
import type { Ip } from '../../../lib/ip';
import type { Range } from './range';
import { rangeFor, rangeSetText, roundRobin, setContains, type RangeSet } from './range-set';
import type { AttachmentKey, Store } from '../store/store';

export interface Allocation {
  ip: Ip;
  range: Range;
  set: RangeSet;
}

function setError(set: RangeSet, msg: string, code: number = ErrCode.Internal): CniError {
  return new CniError(code, `failed to allocate for range ${set.index}: ${msg}`);
}

function reserveRequested(store: Store, set: RangeSet, key: AttachmentKey, ip: Ip): Allocation {
  const range = rangeFor(set, ip) as Range;
  if (ip.equals(range.gateway)) throw setError(set, `requested ip ${ip.toString()} is subnet's gateway`);
  if (!store.reserve(key, ip, set.index)) {
    throw setError(set, `requested IP address ${ip.toString()} is not available in range set ${rangeSetText(set)}`);
  }
  return { ip, range, set };
}

function reserveNext(store: Store, set: RangeSet, key: AttachmentKey): Allocation {
  const held = store.findByAttachment(key).find((ip) => setContains(set, ip));
  if (held) throw setError(set, `${held.toString()} has been allocated to ${key.containerId}, duplicate allocation is not allowed`);
  for (const { ip, range } of roundRobin(set, store.lastReservedIp(set.index))) {
    if (store.reserve(key, ip, set.index)) return { ip, range, set };
  }
  // Transient: addresses come back when containers are deleted or garbage-collected.
  throw setError(set, `no IP addresses available in range set: ${rangeSetText(set)}`, ErrCode.TryAgainLater);
}

/**
 * One address from every range set for `key`: a requested address when one falls in the set,
 * else the next free one in round-robin order. Either every set gets an address or nothing
 * reserved by this call stays reserved. Reservations the attachment already had are left alone
 * (the reference releases them too when a later set fails, which turns a duplicate ADD into a
 * lost address).
 */
export function allocate(store: Store, sets: readonly RangeSet[], key: AttachmentKey, requested: readonly Ip[]): Allocation[] {
  const pending = [...requested];
  const done: Allocation[] = [];
  try {
    for (const set of sets) {
      const i = pending.findIndex((ip) => setContains(set, ip));
      const ip = i >= 0 ? pending.splice(i, 1)[0] : undefined;
      done.push(ip ? reserveRequested(store, set, key, ip) : reserveNext(store, set, key));
    }
    if (pending.length > 0) {
      throw new CniError(
        ErrCode.Internal,
        `failed to allocate all requested IPs: ${pending.map((ip) => ip.toString()).join(' ')} (not in any range of ${sets.map(rangeSetText).join(' / ')}, or more than one requested for the same range set)`,
      );
    }
    return done;
  } catch (e) {
    for (const a of done) store.release(a.ip);
    throw e;
  }
}
