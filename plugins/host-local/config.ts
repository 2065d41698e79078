import { parseCniArgs } from '../../lib/cni/args';
import { ConfigReader } from '../../lib/cni/config';
import { CniError, ErrCode } from '../../lib/cni/errors';
import type { Request } from '../../lib/cni/plugin';
import type { Route } from '../../lib/cni/result';
import { versionAtLeast } from '../../lib/cni/version';
import { Cidr, Ip } from '../../lib/ip';
import { parseGcGracePeriod } from '../../lib/kit/gc-grace';
import { canonicalRange, type Range } from './allocator/range';
import { makeRangeSet, setsOverlap, type RangeSet } from './allocator/range-set';
import type { ReleaseOnReboot } from './store/reboot-release';

export const DEFAULT_DATA_DIR = '/var/lib/cni/networks';

/** Everything host-local needs from a request, validated. */
export interface HostLocalConfig {
  name: string;
  cniVersion: string;
  dataDir: string;
  resolvConf?: string;
  routes: Route[];
  rangeSets: RangeSet[];
  /** CNI_ARGS IP, then args.cni.ips, then runtimeConfig.ips; duplicates removed. */
  requestedIps: Ip[];
  /** Release reservations of earlier boots on the first ADD after a reboot (see reboot-release.ts). */
  releaseOnReboot: ReleaseOnReboot;
  /** GC releases only reservations written at least this long ago (ms). */
  gcGracePeriod: number;
}

const PLUGIN = 'host-local';

function invalid(msg: string): CniError {
  return new CniError(ErrCode.InvalidNetworkConfig, `${PLUGIN}: ${msg}`);
}

/** `ip` or `ip/prefix` (the prefix is ignored, as in the reference), or null. */
function parseRequestedIp(text: string): Ip | null {
  if (text.includes('/')) return Cidr.tryParse(text)?.ip ?? null;
  return Ip.tryParse(text);
}

function requestedFromCniArgs(raw: string): Ip[] {
  const value = parseCniArgs(raw, ['IP']).get('IP');
  // Go accepts exactly one address here; a comma-separated list is accepted as well.
  if (value === undefined || value === '') return [];
  return value.split(',').map((text) => {
    const ip = parseRequestedIp(text.trim());
    if (!ip) {
      throw new CniError(
        ErrCode.InvalidEnvironmentVariables,
        `CNI_ARGS: IP "${text}" is not an IP address (expected IP=<ip>[/<prefix>][,<ip>...])`,
      );
    }
    return ip;
  });
}

function requestedFromList(reader: ConfigReader | undefined, key: string, where: string): Ip[] {
  const list = reader?.optStrings(key) ?? [];
  return list.map((text, i) => {
    const ip = parseRequestedIp(text);
    if (!ip) throw invalid(`${where}[${i}] "${text}" is not an IP address (expected "<ip>" or "<ip>/<prefix>")`);
    return ip;
  });
}

function uniqueIps(ips: Ip[]): Ip[] {
  return [...new Map(ips.map((ip) => [ip.toString(), ip] as const)).values()];
}

function parseRange(raw: unknown, where: string): Range {
  const r = ConfigReader.of(raw, where);
  return canonicalRange(
    {
      subnet: r.optString('subnet'),
      rangeStart: r.optString('rangeStart'),
      rangeEnd: r.optString('rangeEnd'),
      gateway: r.optString('gateway'),
    },
    where,
  );
}

/** A list of range sets (`ipam.ranges`, `runtimeConfig.ipRanges`), each a list of ranges. */
function parseRangeSets(reader: ConfigReader, key: string, source: string, firstIndex: number): RangeSet[] {
  const sets = reader.optArray(key) ?? [];
  return sets.map((set, i) => {
    const label = `${source}[${i}]`;
    if (!Array.isArray(set)) throw invalid(`${label} must be a list of ranges (a range set), got ${JSON.stringify(set)}`);
    const ranges = set.map((r, j) => parseRange(r, `${PLUGIN}: ${label}[${j}]`));
    return makeRangeSet(ranges, firstIndex + i, label);
  });
}

function parseRoutes(ipam: ConfigReader): Route[] {
  return (ipam.optArray('routes') ?? []).map((raw, i) => {
    const r = ConfigReader.of(raw, `${PLUGIN}: ipam.routes[${i}]`);
    const dstText = r.optString('dst');
    if (!dstText) throw r.fail('dst', 'is required (a CIDR such as "0.0.0.0/0")');
    const dst = Cidr.tryParse(dstText);
    if (!dst) throw r.fail('dst', 'must be a CIDR such as "0.0.0.0/0"', dstText);
    const route: Route = { dst: dst.toAddressString() };
    const gwText = r.optString('gw');
    if (gwText) {
      const gw = Ip.tryParse(gwText);
      if (!gw) throw r.fail('gw', 'must be an IP address', gwText);
      route.gw = gw.toString();
    }
    for (const k of ['mtu', 'advmss', 'priority', 'table', 'scope'] as const) {
      const v = r.optInt(k);
      if (v !== undefined) route[k] = v;
    }
    return route;
  });
}

function parseReleaseOnReboot(ipam: ConfigReader): ReleaseOnReboot {
  const v = ipam.raw('releaseOnReboot');
  if (v === undefined || v === null || v === false) return false;
  if (v === true || v === 'all') return v;
  throw ipam.fail('releaseOnReboot', 'must be true, false or "all"', v);
}

function checkFamilyCount(sets: RangeSet[], cniVersion: string): void {
  if (versionAtLeast(cniVersion, '0.3.0')) return;
  for (const family of [4, 6] as const) {
    const n = sets.filter((s) => s.family === family).length;
    if (n > 1) {
      throw invalid(
        `cniVersion ${cniVersion} results hold one address per family, but ${n} IPv${family} range sets are configured; use cniVersion 0.3.0 or later`,
      );
    }
  }
}

function checkSetOverlaps(sets: RangeSet[]): void {
  for (let i = 0; i < sets.length; i++) {
    for (let j = i + 1; j < sets.length; j++) {
      if (setsOverlap(sets[i], sets[j])) {
        throw invalid(
          `range set ${i} (${sets[i].source}) overlaps range set ${j} (${sets[j].source}); each address may belong to one set only`,
        );
      }
    }
  }
}

/**
 * The reference plugin's config, read from the whole request as Go reads it: keys match
 * case-insensitively; the final list of range sets is runtimeConfig.ipRanges, then the legacy
 * top-level ipam.subnet range, then ipam.ranges.
 */
export function parseConfig(req: Request): HostLocalConfig {
  const top = new ConfigReader(req.conf, PLUGIN);
  const ipam = top.optObject('ipam');
  if (!ipam) throw invalid(`the config has no 'ipam' section (IPAM config missing 'ipam' key)`);
  const runtime = top.optObject('runtimeConfig');
  const argsCni = top.optObject('args')?.optObject('cni');

  const requestedIps = uniqueIps([
    ...requestedFromCniArgs(req.args),
    ...requestedFromList(argsCni, 'ips', 'args.cni.ips'),
    ...requestedFromList(runtime, 'ips', 'runtimeConfig.ips'),
  ]);

  const rangeSets: RangeSet[] = [];
  if (runtime) rangeSets.push(...parseRangeSets(runtime, 'ipRanges', 'runtimeConfig.ipRanges', 0));
  if (ipam.optString('subnet')) {
    const legacy = canonicalRange(
      {
        subnet: ipam.optString('subnet'),
        rangeStart: ipam.optString('rangeStart'),
        rangeEnd: ipam.optString('rangeEnd'),
        gateway: ipam.optString('gateway'),
      },
      `${PLUGIN}: ipam`,
    );
    rangeSets.push(makeRangeSet([legacy], rangeSets.length, 'ipam.subnet'));
  }
  rangeSets.push(...parseRangeSets(ipam, 'ranges', 'ipam.ranges', rangeSets.length));
  if (rangeSets.length === 0) throw invalid(`no IP ranges specified: set ipam.ranges, e.g. [[{"subnet": "10.1.0.0/24"}]]`);
  checkFamilyCount(rangeSets, req.cniVersion);
  checkSetOverlaps(rangeSets);

  const resolvConf = ipam.optString('resolvConf');
  return {
    name: req.name,
    cniVersion: req.cniVersion,
    dataDir: ipam.string('dataDir', DEFAULT_DATA_DIR),
    resolvConf: resolvConf || undefined,
    routes: parseRoutes(ipam),
    rangeSets,
    requestedIps,
    releaseOnReboot: parseReleaseOnReboot(ipam),
    gcGracePeriod: parseGcGracePeriod(ipam),
  };
}
