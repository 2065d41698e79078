import { ConfigReader, isJsonObject, lookup } from './config';
import { CniError, ErrCode } from './errors';
import type { Request } from './plugin';
import { parseDns, parseResult, isDnsEmpty, type Dns, type Result } from './result';

/** The keys every plugin config may carry (SPEC.md "Network configuration"), already typed. */
export interface NetConf {
  cniVersion: string;
  name: string;
  type: string;
  /** `ipam.type`, or '' when there is no IPAM section or it names no plugin (L2-only mode). */
  ipamType: string;
  /** DNS from the config, undefined when no field is set. */
  dns?: Dns;
  prevResult?: Result;
  runtimeConfig: ConfigReader;
  /** `args.cni`, the conventions' structured arguments. */
  argsCni: ConfigReader;
  /** The whole config, for plugin-specific options. */
  top: ConfigReader;
}

const EMPTY = (where: string) => new ConfigReader({}, where);

export function parseNetConf(req: Request, plugin: string): NetConf {
  const top = new ConfigReader(req.conf, plugin);
  const ipam = top.optObject('ipam');
  const ipamType = ipam?.optString('type') ?? '';
  const dnsRaw = top.raw('dns');
  let dns: Dns | undefined;
  try {
    dns = parseDns(dnsRaw);
  } catch (e) {
    throw new CniError(ErrCode.InvalidNetworkConfig, `${plugin}: option 'dns' is invalid: ${(e as Error).message}`);
  }
  let prevResult: Result | undefined;
  const prevRaw = top.raw('prevResult');
  if (prevRaw !== undefined) {
    try {
      prevResult = parseResult(prevRaw, req.cniVersion);
    } catch (e) {
      throw new CniError(ErrCode.DecodingFailure, `${plugin}: could not parse prevResult: ${(e as Error).message}`);
    }
  }
  const args = top.raw('args');
  const cni = isJsonObject(args) ? lookup(args, 'cni') : undefined;
  return {
    cniVersion: req.cniVersion,
    name: req.name,
    type: top.string('type', plugin),
    ipamType,
    dns: isDnsEmpty(dns) ? undefined : dns,
    prevResult,
    runtimeConfig: top.optObject('runtimeConfig') ?? EMPTY(`${plugin}: runtimeConfig`),
    argsCni: isJsonObject(cni) ? new ConfigReader(cni, `${plugin}: args.cni`) : EMPTY(`${plugin}: args.cni`),
    top,
  };
}
