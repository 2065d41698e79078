import fs from 'node:fs';
import { NetError, kindOf } from './errors';
import { NetValidationError } from './validate';

/**
 * The reference's sysctl naming: a key may be written with '.' or '/' separators and the first
 * separator decides. With dots, '.' and '/' are swapped, so `net.ipv6.conf.eth0/100.accept_ra`
 * names the VLAN interface eth0.100. The result uses '/' and is relative to /proc/sys.
 */
export function sysctlPath(key: string): string {
  const dot = key.indexOf('.');
  const slash = key.indexOf('/');
  const path = dot === -1 || (slash !== -1 && slash < dot) ? key : key.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
  checkSysctlPath(key, path);
  return path;
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

// Only net/ keys: they are the only ones that are per namespace, so a write meant for a
// container can never change a machine-wide setting.
function checkSysctlPath(key: string, path: string): void {
  const segs = path.split('/');
  if (segs[0] !== 'net' || segs.length < 2 || !segs.every((s) => SEGMENT.test(s) && s.length <= 64)) {
    throw new NetValidationError(`invalid sysctl key ${JSON.stringify(key)}: expected a net.* / net/... key`);
  }
}

const VALUE = /^[A-Za-z0-9_.:-]{1,64}$/;

export function checkSysctlValue(value: string | number): string {
  const text = String(value);
  if (!VALUE.test(text)) throw new NetValidationError(`invalid sysctl value ${JSON.stringify(text)}`);
  return text;
}

/** Reads a sysctl of the current namespace (trailing newline removed). */
export function readSysctl(key: string): string {
  const path = sysctlPath(key);
  try {
    return fs.readFileSync(`/proc/sys/${path}`, 'utf8').trim();
  } catch (e) {
    const msg = (e as Error).message;
    throw new NetError(`read sysctl ${path}`, msg, kindOf(msg));
  }
}

/** Writes a sysctl of the current namespace. */
export function writeSysctl(key: string, value: string | number): void {
  const path = sysctlPath(key);
  const text = checkSysctlValue(value);
  try {
    fs.writeFileSync(`/proc/sys/${path}`, text);
  } catch (e) {
    const msg = (e as Error).message;
    throw new NetError(`set sysctl ${path}=${text}`, msg, kindOf(msg));
  }
}
