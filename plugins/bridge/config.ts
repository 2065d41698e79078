import { parseCniArgs } from '../../lib/cni/args';
import { ConfigReader } from '../../lib/cni/config';
import { invalidConfig } from '../../lib/cni/errors';
import { parseNetConf, type NetConf } from '../../lib/cni/netconf';
import { parseGcGracePeriod } from '../../lib/kit/gc-grace';
import { pickMac } from '../../lib/kit/mac';
import type { Request } from '../../lib/cni/plugin';
import { isIfName } from '../../lib/net';
import type { MasqBackend } from '../../lib/netfilter/masquerade';

export const DEFAULT_BRIDGE = 'cni0';
const MAX_VLAN = 4094;

/** A bridge config, validated, with the reference plugin's defaults filled in. */
export interface BridgeConf {
  net: NetConf;
  bridge: string;
  /** Also true when only isDefaultGateway was set (it implies a gateway). */
  isGateway: boolean;
  isDefaultGateway: boolean;
  forceAddress: boolean;
  ipMasq: boolean;
  /** undefined: chosen at ADD time as the reference does (iptables unless only nftables works). */
  ipMasqBackend?: MasqBackend;
  /** With ipMasq: also drop the container's packets conntrack marks INVALID (they would leave un-NATed). */
  ipMasqDropInvalid: boolean;
  /** 0 = kernel default. */
  mtu: number;
  hairpinMode: boolean;
  promiscMode: boolean;
  /** 0 = no VLAN. */
  vlan: number;
  /** Tagged VLANs of the host port, sorted, without duplicates. */
  vlanTrunk: number[];
  /** A new bridge is created with VLAN filtering (vlan set, or vlanTrunk given even if empty). */
  vlanFiltering: boolean;
  preserveDefaultVlan: boolean;
  enableDad: boolean;
  macSpoofCheck: boolean;
  disableContainerInterface: boolean;
  portIsolation: boolean;
  /** Container interface MAC, lower-case colon form; undefined = kernel-chosen. */
  mac?: string;
  /** An IPAM plugin assigns addresses; otherwise the bridge works at layer 2 only. */
  isLayer3: boolean;
  /** Delete the bridge (if cni-ts created it with this option) when its last port goes. */
  removeBridgeWhenUnused: boolean;
  /** GC removes stale masquerade rules only after they were found stale this long ago (ms). */
  gcGracePeriod: number;
}

// Interface names: the kernel layer's name check (the ADD alphabet of lib/net/validate.ts) decides.
function parseBridgeName(top: ConfigReader): string {
  const name = top.string('bridge', DEFAULT_BRIDGE);
  if (!isIfName(name)) throw top.fail('bridge', 'must be an interface name (1-15 letters, digits, "_", "." or "-")', name);
  return name;
}

/** vlanTrunk entries: `{id}` or `{minID, maxID}` (both, min <= max), each 1-4094. */
function parseVlanTrunk(top: ConfigReader): number[] | undefined {
  const items = top.optArray('vlanTrunk');
  if (items === undefined) return undefined;
  const vids = new Set<number>();
  items.forEach((item, i) => {
    const entry = ConfigReader.of(item, `bridge: vlanTrunk[${i}]`);
    const range = { min: 1, max: MAX_VLAN };
    const min = entry.optInt('minID', range);
    const max = entry.optInt('maxID', range);
    if ((min === undefined) !== (max === undefined)) {
      throw invalidConfig(
        `bridge: vlanTrunk[${i}]: minID and maxID must be given together (${min === undefined ? 'minID' : 'maxID'} is missing)`,
      );
    }
    if (min !== undefined && max !== undefined) {
      if (max < min) throw invalidConfig(`bridge: vlanTrunk[${i}]: minID ${min} is greater than maxID ${max}`);
      for (let v = min; v <= max; v++) vids.add(v);
    }
    const id = entry.optInt('id', range);
    if (id !== undefined) vids.add(id);
  });
  return [...vids].sort((a, b) => a - b);
}

function parseBackend(top: ConfigReader): MasqBackend | undefined {
  const backend = top.optString('ipMasqBackend');
  if (backend === undefined) return undefined;
  if (backend !== 'iptables' && backend !== 'nftables') throw top.fail('ipMasqBackend', 'must be "iptables" or "nftables"', backend);
  return backend;
}

/** The container MAC by the reference's precedence: runtimeConfig.mac, then args.cni.mac, then CNI_ARGS MAC. */
function containerMac(req: Request, net: NetConf): string | undefined {
  return pickMac('bridge', [
    ['runtimeConfig.mac', () => net.runtimeConfig.optString('mac')],
    ['args.cni.mac', () => net.argsCni.optString('mac')],
    ['CNI_ARGS MAC', () => (req.args !== '' ? parseCniArgs(req.args, ['MAC']).get('MAC') : undefined)],
  ]);
}

/**
 * Parses and validates the config. Options only ADD uses (the MAC, the masquerade backend, the
 * option combinations the reference refuses) are checked only for ADD, so that a DEL always gets
 * as far as releasing what ADD reserved.
 */
export function parseBridgeConf(req: Request): BridgeConf {
  const net = parseNetConf(req, 'bridge');
  const top = net.top;
  const isAdd = req.command === 'ADD';
  const vlanTrunk = parseVlanTrunk(top);
  const vlan = top.int('vlan', 0, { min: 0, max: MAX_VLAN });
  const isDefaultGateway = top.bool('isDefaultGateway', false);
  const conf: BridgeConf = {
    net,
    bridge: parseBridgeName(top),
    isGateway: top.bool('isGateway', false) || isDefaultGateway,
    isDefaultGateway,
    forceAddress: top.bool('forceAddress', false),
    ipMasq: top.bool('ipMasq', false),
    ipMasqBackend: undefined,
    ipMasqDropInvalid: top.bool('ipMasqDropInvalid', false),
    mtu: top.int('mtu', 0, { min: 0 }),
    hairpinMode: top.bool('hairpinMode', false),
    promiscMode: top.bool('promiscMode', false),
    vlan,
    vlanTrunk: vlanTrunk ?? [],
    vlanFiltering: vlan !== 0 || vlanTrunk !== undefined,
    preserveDefaultVlan: top.bool('preserveDefaultVlan', false),
    enableDad: top.bool('enabledad', false),
    macSpoofCheck: top.bool('macspoofchk', false),
    disableContainerInterface: top.bool('disableContainerInterface', false),
    portIsolation: top.bool('portIsolation', false),
    mac: isAdd ? containerMac(req, net) : undefined,
    isLayer3: net.ipamType !== '',
    removeBridgeWhenUnused: top.bool('removeBridgeWhenUnused', false),
    gcGracePeriod: parseGcGracePeriod(top),
  };
  // As in the reference, the backend matters (and is checked) only when masquerading is on.
  if (conf.ipMasq && req.command !== 'DEL') conf.ipMasqBackend = parseBackend(top);
  if (isAdd) checkCombinations(conf);
  return conf;
}

/** The option combinations the reference plugin refuses at ADD. */
function checkCombinations(conf: BridgeConf): void {
  if (conf.isLayer3 && conf.disableContainerInterface) {
    throw invalidConfig(
      'bridge: cannot use IPAM when disableContainerInterface is set (the container interface stays down, so it cannot use addresses)',
    );
  }
  if (conf.hairpinMode && conf.promiscMode) {
    throw invalidConfig('bridge: cannot set hairpinMode and promiscMode at the same time');
  }
  if (conf.vlan !== 0 && conf.isGateway && !isIfName(vlanGatewayName(conf))) {
    throw invalidConfig(
      `bridge: the VLAN gateway interface name "${vlanGatewayName(conf)}" (bridge.vlan) is longer than 15 characters: use a shorter bridge name`,
    );
  }
}

/** The host interface that carries the gateway address when a VLAN is set: `<bridge>.<vlan>`. */
export function vlanGatewayName(conf: Pick<BridgeConf, 'bridge' | 'vlan'>): string {
  return `${conf.bridge}.${conf.vlan}`;
}
