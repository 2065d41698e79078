import { randomBytes } from './digest';

// The three spellings Go's net.ParseMAC accepts for a 48-bit Ethernet address.
const COLON = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const HYPHEN = /^[0-9a-f]{2}(-[0-9a-f]{2}){5}$/i;
const DOTTED = /^[0-9a-f]{4}(\.[0-9a-f]{4}){2}$/i;

/** Canonical lower-case colon form of a 48-bit MAC (what `ip link` prints), or undefined when `text` is none. */
export function normalizeMac(text: string): string | undefined {
  let hex: string;
  if (COLON.test(text) || HYPHEN.test(text)) hex = text.replace(/[:-]/g, '');
  else if (DOTTED.test(text)) hex = text.replace(/\./g, '');
  else return undefined;
  return (hex.toLowerCase().match(/../g) ?? []).join(':');
}

/** A MAC an Ethernet link can take: unicast (lowest bit of the first byte clear) and not all zeros. */
export function isAssignableMac(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 1) === 0 && mac !== '00:00:00:00:00:00';
}

/**
 * A random locally administered unicast MAC, as the kernel picks for a new veth or bridge.
 * Choosing it here instead of letting the kernel do it means ADD knows every MAC it reports
 * without reading it back, and the address is marked as set so neither udev's MAC policy nor
 * the bridge's "follow the lowest port" rule changes it later.
 */
export function randomMac(): string {
  const bytes = randomBytes(6);
  bytes[0] = (bytes[0] & 0xfe) | 0x02;
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
