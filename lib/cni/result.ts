import { Ip, type IpFamily } from '../ip';
import { isJsonObject } from './config';
import { CniError, ErrCode } from './errors';
import { ALL_VERSIONS, familyOf, IMPLICIT_VERSION } from './version';
import { outputJson } from './output-json';

// One in-memory shape (the 1.1 one, a superset of every older family); conversion happens
// only when a result is read (parseResult) or printed (formatResult).

export interface Interface {
  name: string;
  mac?: string;
  mtu?: number;
  sandbox?: string;
  socketPath?: string;
  pciID?: string;
}

export interface IpConfig {
  /** CIDR with the host part kept, e.g. "10.1.2.3/24". */
  address: string;
  gateway?: string;
  /** Index into `interfaces`. */
  interface?: number;
}

export interface Route {
  dst: string;
  gw?: string;
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
}

export interface Dns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export interface Result {
  cniVersion: string;
  interfaces?: Interface[];
  ips?: IpConfig[];
  routes?: Route[];
  dns?: Dns;
}

type Json = Record<string, unknown>;

function decodeError(msg: string): CniError {
  return new CniError(ErrCode.DecodingFailure, `failed to parse result: ${msg}`);
}

const isObject: (v: unknown) => v is Json = isJsonObject;

function familyOfIp(text: string): IpFamily {
  return Ip.parse(text).family;
}

/** What Go's net.ParseIP accepts (lib/ip's port of it): no leading zeros, no zone, no "10.1". */
function isStrictIp(text: string): boolean {
  return Ip.tryParse(text) !== null;
}

function checkCidr(v: unknown, what: string): string {
  if (typeof v !== 'string') throw decodeError(`${what} must be a CIDR string, got ${JSON.stringify(v)}`);
  const slash = v.indexOf('/');
  const addr = v.slice(0, slash);
  const prefix = v.slice(slash + 1);
  if (slash < 0 || !isStrictIp(addr) || !/^\d{1,3}$/.test(prefix) || Number(prefix) > (addr.includes(':') ? 128 : 32)) {
    throw decodeError(`${what} "${v}" is not a valid CIDR`);
  }
  return v;
}

function checkIp(v: unknown, what: string): string {
  if (typeof v !== 'string' || !isStrictIp(v)) throw decodeError(`${what} "${String(v)}" is not a valid IP address`);
  return v;
}

function optInt(v: unknown, what: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw decodeError(`${what} must be an integer`);
  return v;
}

function optString(v: unknown, what: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw decodeError(`${what} must be a string`);
  return v;
}

function optStrings(v: unknown, what: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw decodeError(`${what} must be a list of strings`);
  return v as string[];
}

function parseRoute(v: unknown): Route {
  if (!isObject(v)) throw decodeError('route must be an object');
  const r: Route = { dst: checkCidr(v.dst, 'route dst') };
  if (v.gw !== undefined && v.gw !== null && v.gw !== '') r.gw = checkIp(v.gw, 'route gw');
  for (const k of ['mtu', 'advmss', 'priority', 'table', 'scope'] as const) {
    const n = optInt(v[k], `route ${k}`);
    if (n !== undefined) r[k] = n;
  }
  return r;
}

export function parseDns(v: unknown): Dns | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw decodeError('dns must be an object');
  const d: Dns = {};
  const ns = optStrings(v.nameservers, 'dns nameservers');
  if (ns) d.nameservers = ns;
  const domain = optString(v.domain, 'dns domain');
  if (domain) d.domain = domain;
  const search = optStrings(v.search, 'dns search');
  if (search) d.search = search;
  const options = optStrings(v.options, 'dns options');
  if (options) d.options = options;
  return d;
}

export function isDnsEmpty(d: Dns | undefined): boolean {
  return !d || (!d.nameservers?.length && !d.domain && !d.search?.length && !d.options?.length);
}

function parseList<T>(v: unknown, what: string, item: (x: unknown) => T): T[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw decodeError(`${what} must be a list`);
  return v.map(item);
}

function parseLegacyIp(v: unknown, fam: string, routes: Route[]): IpConfig | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw decodeError(`${fam} must be an object`);
  const ipc: IpConfig = { address: checkCidr(v.ip, `${fam}.ip`) };
  if (v.gateway !== undefined && v.gateway !== null && v.gateway !== '') ipc.gateway = checkIp(v.gateway, `${fam}.gateway`);
  routes.push(...(parseList(v.routes, `${fam}.routes`, parseRoute) ?? []));
  return ipc;
}

/** Reads a result of any version (prevResult, an IPAM plugin's output) into the common shape. */
export function parseResult(raw: unknown, fallbackVersion: string = IMPLICIT_VERSION): Result {
  if (!isObject(raw)) throw decodeError('result must be a JSON object');
  const version = typeof raw.cniVersion === 'string' && raw.cniVersion !== '' ? raw.cniVersion : fallbackVersion;
  // As Go's result factory: a version this library has no result type for cannot be read.
  if (!(ALL_VERSIONS as readonly string[]).includes(version)) throw decodeError(`unsupported CNI result version "${version}"`);
  const out: Result = { cniVersion: version };

  if (familyOf(version) === '0.2') {
    const routes: Route[] = [];
    const ips = [parseLegacyIp(raw.ip4, 'ip4', routes), parseLegacyIp(raw.ip6, 'ip6', routes)].filter(
      (x): x is IpConfig => x !== undefined,
    );
    if (ips.length) out.ips = ips;
    if (routes.length) out.routes = routes;
  } else {
    const interfaces = parseList(raw.interfaces, 'interfaces', (v): Interface => {
      if (!isObject(v) || typeof v.name !== 'string') throw decodeError('interface must be an object with a name');
      const i: Interface = { name: v.name };
      for (const k of ['mac', 'sandbox', 'socketPath', 'pciID'] as const) {
        const s = optString(v[k], `interface ${k}`);
        if (s) i[k] = s;
      }
      const mtu = optInt(v.mtu, 'interface mtu');
      if (mtu) i.mtu = mtu;
      return i;
    });
    if (interfaces) out.interfaces = interfaces;
    const ips = parseList(raw.ips, 'ips', (v): IpConfig => {
      if (!isObject(v)) throw decodeError('ips entry must be an object');
      const ipc: IpConfig = { address: checkCidr(v.address, 'ips address') };
      if (v.gateway !== undefined && v.gateway !== null && v.gateway !== '') ipc.gateway = checkIp(v.gateway, 'ips gateway');
      const idx = optInt(v.interface, 'ips interface');
      if (idx !== undefined) ipc.interface = idx;
      return ipc;
    });
    if (ips) out.ips = ips;
    const routes = parseList(raw.routes, 'routes', parseRoute);
    if (routes) out.routes = routes;
  }
  const dns = parseDns(raw.dns);
  if (!isDnsEmpty(dns)) out.dns = dns;
  return out;
}

function ipFamily(address: string): IpFamily {
  return familyOfIp(address.slice(0, address.indexOf('/')));
}

function dnsJson(d: Dns | undefined): Json {
  const out: Json = {};
  if (!d) return out;
  if (d.nameservers?.length) out.nameservers = d.nameservers;
  if (d.domain) out.domain = d.domain;
  if (d.search?.length) out.search = d.search;
  if (d.options?.length) out.options = d.options;
  return out;
}

function routeJson(r: Route): Json {
  const out: Json = { dst: r.dst };
  if (r.gw) out.gw = r.gw;
  for (const k of ['mtu', 'advmss', 'priority'] as const) if (r[k]) out[k] = r[k];
  // Go keeps table and scope as *int: 0 (RT_TABLE_UNSPEC, RT_SCOPE_UNIVERSE) is a value, not absence.
  for (const k of ['table', 'scope'] as const) if (r[k] !== undefined) out[k] = r[k];
  return out;
}

function legacyIpJson(ipc: IpConfig, routes: Route[]): Json {
  const out: Json = { ip: ipc.address };
  if (ipc.gateway) out.gateway = ipc.gateway;
  if (routes.length) out.routes = routes.map((r) => (r.gw ? { dst: r.dst, gw: r.gw } : { dst: r.dst }));
  return out;
}

/**
 * Renders a result in the wire format of `version`. Down-conversion to 0.1/0.2 keeps the first
 * address of each family and the routes of families that have an address, as the Go library does,
 * and fails when nothing would remain.
 */
export function formatResult(r: Result, version: string): Json {
  const fam = familyOf(version);
  if (fam === '0.2') {
    const v4 = r.ips?.find((i) => ipFamily(i.address) === 4);
    const v6 = r.ips?.find((i) => ipFamily(i.address) === 6);
    if (!v4 && !v6) {
      throw new CniError(
        ErrCode.IncompatibleCniVersion,
        `cannot convert result to version ${version}: no valid IP addresses (a ${version} result can only describe IP addresses)`,
      );
    }
    const routes = r.routes ?? [];
    const out: Json = { cniVersion: version };
    if (v4)
      out.ip4 = legacyIpJson(
        v4,
        routes.filter((rt) => ipFamily(rt.dst) === 4),
      );
    if (v6)
      out.ip6 = legacyIpJson(
        v6,
        routes.filter((rt) => ipFamily(rt.dst) === 6),
      );
    out.dns = dnsJson(r.dns);
    return out;
  }

  const out: Json = { cniVersion: version };
  if (r.interfaces?.length) {
    out.interfaces = r.interfaces.map((i) => {
      const o: Json = { name: i.name };
      if (i.mac) o.mac = i.mac;
      if (fam === '1.x' && i.mtu) o.mtu = i.mtu;
      if (i.sandbox) o.sandbox = i.sandbox;
      if (fam === '1.x' && i.socketPath) o.socketPath = i.socketPath;
      if (fam === '1.x' && i.pciID) o.pciID = i.pciID;
      return o;
    });
  }
  if (r.ips?.length) {
    out.ips = r.ips.map((i) => {
      const o: Json = {};
      if (fam === '0.4') o.version = String(ipFamily(i.address));
      if (i.interface !== undefined) o.interface = i.interface;
      o.address = i.address;
      if (i.gateway) o.gateway = i.gateway;
      return o;
    });
  }
  if (r.routes?.length) out.routes = r.routes.map(routeJson);
  if (fam === '0.4' || !isDnsEmpty(r.dns)) out.dns = dnsJson(r.dns);
  return out;
}

/** Same text the Go plugins print: 4-space indented JSON. */
export function resultText(r: Result, version: string): string {
  return outputJson(formatResult(r, version), 4);
}

/** The gateway of the first address of `family` in the result, used to fill routes without a gw. */
export function familyOfAddress(address: string): IpFamily {
  return address.includes('/') ? ipFamily(address) : familyOfIp(address);
}
