import { parseCniArgs } from '../../lib/cni/args';
import { CniError, ErrCode } from '../../lib/cni/errors';
import { parseNetConf, type NetConf } from '../../lib/cni/netconf';
import type { Request } from '../../lib/cni/plugin';
import { familyOf } from '../../lib/cni/version';
import { pickMac } from '../../lib/kit/mac';
import { isIfName } from '../../lib/net';
import type { MasterConf } from '../../lib/kit/master';

export const MACVLAN_MODES = ['bridge', 'private', 'vepa', 'passthru'] as const;
export type MacvlanMode = (typeof MACVLAN_MODES)[number];

const UINT32_MAX = 4294967295;

/** A macvlan config, validated; the kernel-dependent parts (default master, MTU limit) come later. */
export interface MacvlanConf extends MasterConf {
  net: NetConf;
  /** Undefined: the interface of the first default route (host, or container with linkInContainer). */
  master?: string;
  mode: MacvlanMode;
  /** 0 = inherit the master's MTU. */
  mtu: number;
  /** Lower-case colon form; undefined = kernel-chosen random MAC. */
  mac?: string;
  linkInContainer: boolean;
  /** 0 = kernel default. */
  bcQueueLen: number;
  /** L3 mode: an IPAM plugin assigns addresses; otherwise the link is only brought up. */
  isLayer3: boolean;
}

// The master's name gets the kernel layer's name check (the ADD alphabet of lib/net/validate.ts).
function parseMaster(top: NetConf['top']): string | undefined {
  const master = top.optString('master');
  if (master === undefined || master === '') return undefined;
  if (!isIfName(master)) throw top.fail('master', 'must be an interface name (1-15 letters, digits, "_", "." or "-")', master);
  return master;
}

// Ethernet's minimum; the upper bound is the master's MTU, checked once the master is known.
const MIN_MTU = 68;

function parseMtu(top: NetConf['top']): number {
  const mtu = top.int('mtu', 0, { min: 0 });
  if (mtu !== 0 && mtu < MIN_MTU) throw top.fail('mtu', `must be 0 (the master's MTU) or at least ${MIN_MTU}`, mtu);
  return mtu;
}

function parseMode(value: string | undefined, fail: (got: string) => Error): MacvlanMode {
  if (value === undefined || value === '') return 'bridge';
  if ((MACVLAN_MODES as readonly string[]).includes(value)) return value as MacvlanMode;
  throw fail(value);
}

/**
 * The MAC sources in the reference plugin's order of precedence: runtimeConfig.mac (the `mac`
 * capability), then CNI_ARGS `MAC=`, then the config's `mac`. `args.cni.mac` is not read by
 * macvlan.
 */
function containerMac(req: Request, net: NetConf): string | undefined {
  return pickMac('macvlan', [
    ['runtimeConfig.mac', () => net.runtimeConfig.optString('mac')],
    ['CNI_ARGS MAC', () => (req.args !== '' ? parseCniArgs(req.args, ['MAC']).get('MAC') : undefined)],
    ['mac', () => net.top.optString('mac')],
  ]);
}

/**
 * An L2-only attachment has no address, and a 0.1/0.2 result can only describe addresses:
 * refused up front, before a link is made that the result could not report.
 */
function checkL2Version(net: NetConf): void {
  if (net.ipamType === '' && familyOf(net.cniVersion) === '0.2') {
    throw new CniError(
      ErrCode.IncompatibleCniVersion,
      `macvlan: without IPAM (L2 only) the config needs cniVersion 0.3.0 or later; a ${net.cniVersion} result can only describe IP addresses`,
    );
  }
}

export function parseMacvlanConf(req: Request): MacvlanConf {
  const net = parseNetConf(req, 'macvlan');
  checkL2Version(net);
  const top = net.top;
  return {
    plugin: 'macvlan',
    net,
    master: parseMaster(top),
    mode: parseMode(top.optString('mode'), (got) => top.fail('mode', `must be one of ${MACVLAN_MODES.join(', ')}`, got)),
    mtu: parseMtu(top),
    mac: containerMac(req, net),
    linkInContainer: top.bool('linkInContainer', false),
    bcQueueLen: top.int('bcqueuelen', 0, { min: 0, max: UINT32_MAX }),
    isLayer3: net.ipamType !== '',
  };
}
