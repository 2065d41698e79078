// Addresses as bytes and back, pure (no node:net, so the same code runs under Node and Bun):
// IPv4 dotted quads, IPv6 text (formatted as inet_ntop / iproute2 print it), MACs.

export type Family = 4 | 6;

export class AddressSyntaxError extends Error {
  override readonly name = 'AddressSyntaxError';
}

function parse4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(parts[i])) return undefined;
    const n = Number(parts[i]);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parse6(text: string): Uint8Array | undefined {
  if (text.includes('%')) return undefined;
  let tail4: Uint8Array | undefined;
  let s = text;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    tail4 = parse4(s.slice(lastColon + 1));
    if (!tail4) return undefined;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const all = [...head, ...new Array<string>(8 - total).fill('0'), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(all[i])) return undefined;
    const n = parseInt(all[i], 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  }
  if (tail4) out.set(tail4, 12);
  return out;
}

/** An IPv4 or IPv6 address (no zone) as 4 or 16 bytes; undefined when it is neither. */
export function tryParseIp(text: string): { family: Family; bytes: Uint8Array } | undefined {
  if (typeof text !== 'string') return undefined;
  const v4 = parse4(text);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = text.includes(':') ? parse6(text) : undefined;
  return v6 ? { family: 6, bytes: v6 } : undefined;
}

export function parseIp(text: string, what = 'IP address'): { family: Family; bytes: Uint8Array } {
  const ip = tryParseIp(text);
  if (!ip) throw new AddressSyntaxError(`invalid ${what} ${JSON.stringify(text)}`);
  return ip;
}

/** `address/prefix`. */
export function parseCidr(text: string, what = 'CIDR'): { family: Family; bytes: Uint8Array; prefix: number } {
  const slash = typeof text === 'string' ? text.indexOf('/') : -1;
  if (slash < 0) throw new AddressSyntaxError(`invalid ${what} ${JSON.stringify(text)}: missing "/prefix"`);
  const ip = parseIp(text.slice(0, slash), what);
  const p = text.slice(slash + 1);
  const prefix = /^(0|[1-9][0-9]{0,2})$/.test(p) ? Number(p) : -1;
  if (prefix < 0 || prefix > (ip.family === 4 ? 32 : 128))
    throw new AddressSyntaxError(`invalid ${what} ${JSON.stringify(text)}: bad prefix length`);
  return { ...ip, prefix };
}

/** Text of a 4- or 16-byte address, RFC 5952 for IPv6 (as inet_ntop prints it). */
export function formatIp(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length !== 16) return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[2 * i] << 8) | b[2 * i + 1]);
  // IPv4-mapped and IPv4-compatible forms as glibc's inet_ntop prints them.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && (g[5] === 0xffff || (g[5] === 0 && g[6] !== 0))) {
    return `::${g[5] === 0xffff ? 'ffff:' : ''}${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** The IPv4 broadcast address of `addr/prefix` (iproute2's `brd +`). */
export function broadcast4(addr: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const bits = Math.max(0, Math.min(8, prefix - 8 * i));
    const hostMask = 0xff >> bits;
    out[i] = addr[i] | hostMask;
  }
  return out;
}

const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

export function parseMac(text: string, what = 'MAC address'): Uint8Array {
  if (typeof text !== 'string' || !MAC.test(text)) throw new AddressSyntaxError(`invalid ${what} ${JSON.stringify(text)}`);
  return Uint8Array.from(text.split(':'), (h) => parseInt(h, 16));
}

export function formatMac(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}
