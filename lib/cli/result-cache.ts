import fs from 'node:fs';
import path from 'node:path';
import { isJsonObject, type JsonObject } from '../cni/config';
import { formatResult, parseResult, type Result } from '../cni/result';
import { IMPLICIT_VERSION } from '../cni/version';
import { canonicalJson, type NetworkList } from './network-list';
import type { RuntimeConf } from './runtime-conf';

// libcni's result cache, byte-compatible so that cnitool, podman or containerd on the same node
// read what cni-ts wrote and the other way round:
// <cacheDir>/results/<network>-<containerId>-<ifname> holding
// {"kind":"cniCacheV1","containerId","config" (base64 of the list's bytes),"ifName",
//  "networkName","netns","cniArgs":[[k,v]...],"capabilityArgs",{...},"result":{...}}.

export const CACHE_KIND = 'cniCacheV1';
export const DEFAULT_CACHE_DIR = '/var/lib/cni';

export class CacheError extends Error {}

export function cacheFilePath(cacheDir: string, network: string, rt: Pick<RuntimeConf, 'containerId' | 'ifName'>): string {
  if (network === '' || rt.containerId === '' || rt.ifName === '') {
    throw new CacheError(
      `cache file path requires network name (${JSON.stringify(network)}), container ID (${JSON.stringify(rt.containerId)}), and interface name (${JSON.stringify(rt.ifName)})`,
    );
  }
  // The names come from config files, the environment and the cache itself: none may leave the directory.
  for (const part of [network, rt.containerId, rt.ifName]) {
    if (part.includes('/') || part.includes('\0') || part === '..')
      throw new CacheError(`${JSON.stringify(part)} cannot be part of a cache file name`);
  }
  return path.join(cacheDir, 'results', `${network}-${rt.containerId}-${rt.ifName}`);
}

/** Go's encoder writes a decoded object with sorted keys; so does libcni's cache. */
function sorted(v: unknown): unknown {
  return JSON.parse(canonicalJson(v));
}

export function writeCachedResult(cacheDir: string, list: NetworkList, rt: RuntimeConf, result: Result): void {
  const entry: JsonObject = {
    kind: CACHE_KIND,
    containerId: rt.containerId,
    config: list.bytes.toString('base64'),
    ifName: rt.ifName,
    networkName: list.name,
  };
  if (rt.netns) entry.netns = rt.netns;
  if (rt.args.length > 0) entry.cniArgs = rt.args;
  if (Object.keys(rt.capabilityArgs).length > 0) entry.capabilityArgs = sorted(rt.capabilityArgs);
  entry.result = sorted(formatResult(result, result.cniVersion));
  const file = cacheFilePath(cacheDir, list.name, rt);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, JSON.stringify(entry), { mode: 0o600 });
}

/**
 * The result cached by the last ADD of this attachment, converted to the list's current version
 * (the config may have changed while the container ran), or undefined when nothing is cached.
 * A file written by an old libcni (the bare result, no envelope) is read too.
 */
export function readCachedResult(cacheDir: string, list: NetworkList, rt: RuntimeConf): JsonObject | undefined {
  let text: string;
  try {
    text = fs.readFileSync(cacheFilePath(cacheDir, list.name, rt), 'utf8');
  } catch (e) {
    if (e instanceof CacheError) throw e;
    return undefined;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CacheError(`failed to parse cached result of network "${list.name}": ${(e as Error).message}`);
  }
  const cached = isJsonObject(raw) && raw.kind === CACHE_KIND ? raw.result : raw;
  try {
    const result = parseResult(cached, IMPLICIT_VERSION);
    return formatResult(result, list.cniVersion || IMPLICIT_VERSION);
  } catch (e) {
    throw new CacheError(`failed to read cached result of network "${list.name}" as version ${list.cniVersion}: ${(e as Error).message}`);
  }
}

export function deleteCachedResult(cacheDir: string, network: string, rt: RuntimeConf): void {
  try {
    fs.rmSync(cacheFilePath(cacheDir, network, rt), { force: true });
  } catch {
    // like libcni: a cache entry that cannot be named or removed is not an error of the DEL
  }
}

/** One attachment the cache knows about (libcni's NetworkAttachment). */
export interface CachedAttachment {
  containerId: string;
  network: string;
  ifName: string;
  netns: string;
  args: Array<[string, string]>;
  capabilityArgs: JsonObject;
}

function argsPairs(v: unknown): Array<[string, string]> {
  if (!Array.isArray(v)) return [];
  return v.filter((p): p is [string, string] => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string');
}

/** Every readable cniCacheV1 entry, in file-name order; anything else in the directory is ignored. */
export function cachedAttachments(cacheDir: string): CachedAttachment[] {
  const dir = path.join(cacheDir, 'results');
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
  const out: CachedAttachment[] = [];
  for (const name of names) {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
    } catch {
      continue;
    }
    if (!isJsonObject(raw) || raw.kind !== CACHE_KIND) continue;
    const { containerId, ifName, networkName, netns } = raw;
    if (typeof ifName !== 'string' || ifName === '' || typeof networkName !== 'string' || networkName === '') continue;
    out.push({
      containerId: typeof containerId === 'string' ? containerId : '',
      network: networkName,
      ifName,
      netns: typeof netns === 'string' ? netns : '',
      args: argsPairs(raw.cniArgs),
      capabilityArgs: isJsonObject(raw.capabilityArgs) ? raw.capabilityArgs : {},
    });
  }
  return out;
}
