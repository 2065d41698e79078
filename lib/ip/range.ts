import { Ip } from './address';

/** Inclusive at both ends; an address of another family is never in range. */
export function ipInRange(ip: Ip, start: Ip, end: Ip): boolean {
  return ip.family === start.family && ip.family === end.family && ip.value >= start.value && ip.value <= end.value;
}
