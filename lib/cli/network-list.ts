import fs from 'node:fs';
import path from 'node:path';
import { isJsonObject, lookup, type JsonObject } from '../cni/config';
import { compareVersions, CURRENT_VERSION, IMPLICIT_VERSION } from '../cni/version';

// The runtime's view of a network configuration, loaded the way libcni loads it (conf.go):
// NETCONFPATH holds *.conflist lists and deprecated single-plugin *.conf / *.json files.

/** One plugin of a chain: its config object exactly as written, plus the keys the runtime reads. */
export interface PluginConf {
  conf: JsonObject;
  type: string;
  /** The plugin object's own `name`, which libcni puts in its error messages. */
  name?: string;
  /** Capabilities declared `true`; only these receive runtimeConfig. */
  capabilities: string[];
}

export interface NetworkList {
  name: string;
  /** The version every plugin is run at (cniVersion, or negotiated from cniVersions); '' = 0.1.0. */
  cniVersion: string;
  disableCheck: boolean;
  disableGC: boolean;
  loadOnlyInlinedPlugins: boolean;
  plugins: PluginConf[];
  /** The bytes the list was read from (generated for a single-plugin file), kept in the cache. */
  bytes: Buffer;
  /** Where it came from, for messages. */
  source: string;
}

/** A file in NETCONFPATH that cannot be used as a network configuration. */
export class ConfigFileError extends Error {}

function fail(msg: string): never {
  throw new ConfigFileError(msg);
}

function parseJsonObject(bytes: Buffer, what: string): JsonObject {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    fail(`error parsing ${what}: ${(e as Error).message}`);
  }
  if (!isJsonObject(v)) fail(`error parsing ${what}: not a JSON object`);
  return v;
}

function describeType(v: unknown): string {
  return Array.isArray(v) ? 'list' : v === null ? 'null' : typeof v;
}

/** A plugin object as libcni's PluginConf decoding accepts it (Go matches keys case-insensitively). */
export function parsePluginConf(v: unknown, where: string): PluginConf {
  if (!isJsonObject(v)) fail(`${where}: not a JSON object`);
  const type = lookup(v, 'type');
  if (type !== undefined && type !== null && typeof type !== 'string') fail(`${where}: 'type' must be a string, got ${describeType(type)}`);
  if (!type) fail(`${where}: missing 'type'`);
  for (const key of ['name', 'cniVersion']) {
    const s = lookup(v, key);
    if (s !== undefined && s !== null && typeof s !== 'string') fail(`${where}: '${key}' must be a string, got ${describeType(s)}`);
  }
  for (const key of ['ipam', 'dns']) {
    const o = lookup(v, key);
    if (o !== undefined && o !== null && !isJsonObject(o)) fail(`${where}: '${key}' must be a JSON object, got ${describeType(o)}`);
  }
  const caps = lookup(v, 'capabilities');
  const capabilities: string[] = [];
  if (caps !== undefined && caps !== null) {
    if (!isJsonObject(caps)) fail(`${where}: 'capabilities' must be a JSON object, got ${describeType(caps)}`);
    for (const [cap, enabled] of Object.entries(caps)) {
      if (typeof enabled !== 'boolean') fail(`${where}: capability '${cap}' must be true or false, got ${describeType(enabled)}`);
      if (enabled) capabilities.push(cap);
    }
  }
  const name = lookup(v, 'name');
  return { conf: v, type, name: typeof name === 'string' && name !== '' ? name : undefined, capabilities };
}

/**
 * libcni's negotiation: every `cniVersions` entry up to the spec version libcni implements, plus
 * `cniVersion` when it is not newer either, and the highest wins. Without `cniVersions` the
 * `cniVersion` is used as written (a plugin then rejects a version it does not support).
 */
export function negotiateVersion(cniVersion: string, cniVersions: unknown): string {
  if (cniVersions === undefined) return cniVersion;
  if (!Array.isArray(cniVersions)) fail(`error parsing configuration list: 'cniVersions' must be a list, got ${describeType(cniVersions)}`);
  const usable: string[] = [];
  const notNewer = (v: string, what: string): boolean => {
    try {
      return compareVersions(v === '' ? IMPLICIT_VERSION : v, CURRENT_VERSION) <= 0;
    } catch {
      fail(`error parsing configuration list: invalid ${what} "${v}"`);
    }
  };
  cniVersions.forEach((v, i) => {
    if (typeof v !== 'string') fail(`error parsing configuration list: cniVersions[${i}] must be a string, got ${describeType(v)}`);
    if (notNewer(v, `cniVersions entry at index ${i}`)) usable.push(v);
  });
  if (cniVersion !== '' && notNewer(cniVersion, 'cniVersion')) usable.push(cniVersion);
  if (usable.length === 0) return cniVersion;
  return usable.sort((a, b) => compareVersions(a === '' ? IMPLICIT_VERSION : a, b === '' ? IMPLICIT_VERSION : b))[usable.length - 1];
}

/** libcni accepts JSON booleans and the strings "true"/"false" (any case) for the list flags. */
function listFlag(raw: JsonObject, key: string): boolean {
  const v = raw[key];
  if (v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    if (v.toLowerCase() === 'true') return true;
    if (v.toLowerCase() === 'false') return false;
    fail(`error parsing configuration list: invalid value "${v}" for ${key}`);
  }
  fail(`error parsing configuration list: invalid type ${describeType(v)} for ${key}`);
}

/** A network configuration list from its bytes, with only the plugins written inline. */
export function parseNetworkList(bytes: Buffer, source: string): NetworkList {
  const raw = parseJsonObject(bytes, 'configuration list');
  if (!('name' in raw)) fail('error parsing configuration list: no name');
  if (typeof raw.name !== 'string') fail(`error parsing configuration list: invalid name type ${describeType(raw.name)}`);
  if (raw.cniVersion !== undefined && typeof raw.cniVersion !== 'string') {
    fail(`error parsing configuration list: invalid cniVersion type ${describeType(raw.cniVersion)}`);
  }
  const list: NetworkList = {
    name: raw.name,
    cniVersion: negotiateVersion(raw.cniVersion ?? '', raw.cniVersions),
    disableCheck: listFlag(raw, 'disableCheck'),
    disableGC: listFlag(raw, 'disableGC'),
    loadOnlyInlinedPlugins: listFlag(raw, 'loadOnlyInlinedPlugins'),
    plugins: [],
    bytes,
    source,
  };
  if (!('plugins' in raw)) {
    if (list.loadOnlyInlinedPlugins) fail("error parsing configuration list: 'loadOnlyInlinedPlugins' is true, and no 'plugins' key");
    return list;
  }
  if (!Array.isArray(raw.plugins)) fail(`error parsing configuration list: invalid 'plugins' type ${describeType(raw.plugins)}`);
  if (raw.plugins.length === 0) fail('error parsing configuration list: no plugins in list');
  list.plugins = raw.plugins.map((p, i) => parsePluginConf(p, `plugin config ${i}`));
  return list;
}

function filesWithExtensions(dir: string, extensions: readonly string[]): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return entries
    .filter((e) => !e.isDirectory() && extensions.includes(path.extname(e.name)))
    .map((e) => path.join(dir, e.name))
    .sort();
}

function readFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    fail(`error reading ${file}: ${(e as Error).message}`);
  }
}

/**
 * A *.conflist file. Unless it sets loadOnlyInlinedPlugins, plugin objects in
 * `<dir>/<network name>/*.conf` are appended to the inline ones (libcni 1.2+, spec 1.1).
 */
export function networkListFromFile(file: string): NetworkList {
  const list = parseNetworkList(readFile(file), file);
  if (!list.loadOnlyInlinedPlugins) {
    for (const pluginFile of filesWithExtensions(path.join(path.dirname(file), list.name), ['.conf'])) {
      list.plugins.push(parsePluginConf(parseJsonObject(readFile(pluginFile), `configuration ${pluginFile}`), pluginFile));
    }
  }
  if (list.plugins.length === 0) fail('no plugin configs found');
  return list;
}

/** Sorted keys at every level: the compact form Go's encoder gives a decoded JSON object. */
export function canonicalJson(v: unknown): string {
  const sortKeys = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sortKeys);
    if (isJsonObject(x)) {
      const out: JsonObject = {};
      for (const k of Object.keys(x).sort()) out[k] = sortKeys(x[k]);
      return out;
    }
    return x;
  };
  return JSON.stringify(sortKeys(v));
}

/** A deprecated single-plugin file (*.conf, *.json), upgraded to a one-plugin list as libcni does. */
export function networkListFromSingleConf(file: string): NetworkList {
  const plugin = parsePluginConf(parseJsonObject(readFile(file), `configuration ${file}`), file);
  const version = lookup(plugin.conf, 'cniVersion');
  const listBytes = canonicalJson({
    cniVersion: typeof version === 'string' ? version : '',
    name: plugin.name ?? '',
    plugins: [plugin.conf],
  });
  return parseNetworkList(Buffer.from(listBytes), file);
}

/** Reports a configuration file that was skipped. */
export type Warn = (message: string) => void;

/**
 * Finds network `name` in `dir`: the *.conflist files first, then the single-plugin *.conf and
 * *.json files, each group in file-name order; the first with that name wins. A file that cannot
 * be parsed is skipped with a warning (libcni would give up on the whole directory).
 */
export function loadNetworkList(dir: string, name: string, warn: Warn): NetworkList {
  const candidates = [
    ...filesWithExtensions(dir, ['.conflist']).map((file) => ({ file, load: networkListFromFile })),
    ...filesWithExtensions(dir, ['.conf', '.json']).map((file) => ({ file, load: networkListFromSingleConf })),
  ];
  if (candidates.length === 0) throw new ConfigFileError(`no net configurations found in ${dir}`);
  for (const { file, load } of candidates) {
    let list: NetworkList;
    try {
      list = load(file);
    } catch (e) {
      if (!(e instanceof ConfigFileError)) throw e;
      warn(`skipping ${file}: ${e.message}`);
      continue;
    }
    if (list.name === name) return list;
  }
  throw new ConfigFileError(`no net configuration with name "${name}" in ${dir}`);
}
