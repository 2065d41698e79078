import { Ip } from './address';

/** Inclusive at both ends; an address of another family is never in range. */
export function ipInRange(ip: Ip, start: Ip, end: Ip): boolean {
  return ip.family === start.family && ip.family === end.family && ip.value >= start.value && ip.value <= end.value;
}

/**
 * Every address from `start` to `end`, both included, in ascending order; nothing when
 * start > end. Lazy, so a /64 can be walked until the first free address.
 */
export function* ipRange(start: Ip, end: Ip): Generator<Ip, void, undefined> {
  if (start.family !== end.family) {
    throw new TypeError(`cannot iterate from IPv${start.family} ${start.toString()} to IPv${end.family} ${end.toString()}`);
  }
  for (let ip: Ip | null = start; ip !== null && ip.value <= end.value; ip = ip.next()) yield ip;
}
