import { Ip, type IpFamily } from '../ip';

// Every name, address, MAC and namespace path a Batch step is built from passes through here
// first. ADD keeps the alphabets the reference's users can rely on (and iproute2, which tools
// and people use on the same links, can handle: no whitespace, quotes, '#', '%d'), so they are
// deliberately narrower than what the kernel itself would take; DEL takes any name the kernel
// accepts (checkAnyNetnsPath, exact-name lookups over netlink).

export class NetValidationError extends Error {
  override readonly name = 'NetValidationError';
}

function fail(what: string, value: unknown, why: string): never {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  throw new NetValidationError(`invalid ${what} ${shown}: ${why}`);
}

const IFNAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** A Linux interface name (1–15 bytes) from the alphabet [A-Za-z0-9_.-], not starting with '.' or '-'. */
export function checkIfName(name: string, what = 'interface name'): string {
  if (isIfName(name)) return name;
  if (typeof name !== 'string' || name.length === 0) fail(what, name, 'must not be empty');
  if (Buffer.byteLength(name) > 15) fail(what, name, 'longer than 15 bytes');
  return fail(what, name, 'only letters, digits, "_", "." and "-" are allowed, not first "." or "-"');
}

/** Whether `name` passes checkIfName: for config parsers that report the problem themselves. */
export function isIfName(name: string): boolean {
  return typeof name === 'string' && name.length > 0 && Buffer.byteLength(name) <= 15 && IFNAME.test(name);
}

/**
 * What the kernel itself accepts as a link name (dev_valid_name): 1–15 bytes, not "." or "..",
 * no '/', ':' or byte its isspace() matches (which, on bytes, includes 0xa0). For DEL, which must
 * clean up a link whatever made it; such a name travels only as a whole argv entry, never in a
 * batch line.
 */
export function checkKernelIfName(name: string, what = 'interface name'): string {
  if (typeof name !== 'string' || name.length === 0) fail(what, name, 'must not be empty');
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length > 15) fail(what, name, 'longer than 15 bytes');
  if (name === '.' || name === '..') fail(what, name, 'must not be "." or ".."');
  if (bytes.some((b) => b === 0 || b === 0x2f || b === 0x3a || b === 0x20 || (b >= 0x09 && b <= 0x0d) || b === 0xa0)) {
    fail(what, name, 'contains "/", ":", NUL or whitespace');
  }
  return name;
}

/**
 * Names iproute2 reads as an ifindex when no link has them (`if3` is ifindex 3): a link with
 * such a name is looked up and compared by name before anything acts on it.
 */
export function isIfindexShorthand(name: string): boolean {
  return /^if[0-9]+$/.test(name);
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** A 48-bit MAC as xx:xx:xx:xx:xx:xx, returned lower-case. */
export function checkMac(mac: string, what = 'MAC address'): string {
  if (typeof mac !== 'string' || !MAC.test(mac)) fail(what, mac, 'expected xx:xx:xx:xx:xx:xx');
  return mac.toLowerCase();
}

export type { IpFamily };

export interface ParsedIp {
  family: IpFamily;
  text: string;
}

export interface ParsedCidr {
  family: IpFamily;
  address: string;
  prefix: number;
  /** `address/prefix`, as handed to iproute2. */
  text: string;
}

/** An IPv4 (dotted quad, no leading zeros) or IPv6 (no zone) address, as Go's net.ParseIP reads it. */
export function checkIp(text: string, what = 'IP address'): ParsedIp {
  if (typeof text !== 'string') fail(what, text, 'not a string');
  if (Ip.tryParse(text) === null) fail(what, text, 'not an IPv4 or IPv6 address');
  // The family of the text as written: iproute2 reads "::ffff:1.2.3.4" as an IPv6 address.
  return text.includes(':') ? { family: 6, text: text.toLowerCase() } : { family: 4, text };
}

/** `address/prefix` with a well-formed address and a prefix length in range for its family. */
export function checkCidr(text: string, what = 'CIDR'): ParsedCidr {
  if (typeof text !== 'string') fail(what, text, 'not a string');
  const slash = text.indexOf('/');
  if (slash < 0) fail(what, text, 'missing "/prefix"');
  const ip = checkIp(text.slice(0, slash), what);
  const prefixText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) fail(what, text, 'bad prefix length');
  const prefix = Number(prefixText);
  if (prefix > (ip.family === 4 ? 32 : 128)) fail(what, text, 'prefix length out of range');
  return { family: ip.family, address: ip.text, prefix, text: `${ip.text}/${prefix}` };
}

/** An integer in [min, max]. */
export function checkUint(n: number, what: string, min = 0, max = 0xffffffff): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) {
    fail(what, n, `expected an integer from ${min} to ${max}`);
  }
  return n;
}

const NETNS_PATH = /^\/[A-Za-z0-9_.:@+=,/-]*$/;

/**
 * An absolute namespace path (/run/netns/x, /proc/<pid>/ns/net, a runtime's bind mount) for ADD:
 * whitespace, quotes, '#' and '\' are refused, as they were when the path travelled in iproute2
 * batch lines; the ADD contract stays the same now that the path is opened directly.
 */
export function checkNetnsPath(path: string): string {
  if (typeof path !== 'string' || !NETNS_PATH.test(path)) {
    fail('namespace path', path, 'must be absolute and use only letters, digits and _ . : @ + = , / -');
  }
  if (path.split('/').some((seg) => seg === '..')) fail('namespace path', path, 'must not contain ".."');
  if (path.length > 4096) fail('namespace path', path, 'too long');
  return path;
}

/** Any absolute path without NUL (DEL's CNI_NETNS): opened as is, never parsed. */
export function checkAnyNetnsPath(path: string): string {
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes('\0')) fail('namespace path', path, 'must be absolute');
  if (Buffer.byteLength(path) > 4095) fail('namespace path', path, 'too long');
  return path;
}
