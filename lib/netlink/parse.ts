import type { Nexthop } from '../net/types';
import * as C from './constants';
import { formatIp, formatMac, type Family } from './inet';
import { attrList, attrMap, getS32, getStr, getU16, getU32, getU8, type Message } from './message';
import type { BridgeVlan, NlAddress, NlBridgePort, NlLink, NlRoute } from './types';

// Decoders for the kernel's RTM_NEWLINK / RTM_NEWADDR / RTM_NEWROUTE messages, pure. Names
// and flag words are the ones `ip -json` prints, so the results equal what lib/net/ip-json.ts
// reads from iproute2 (the netns suite checks this against `ip -d -json`).

/** Index -> name, for masters, parents and output devices. */
export type NameOf = (index: number) => string | undefined;

/** Index -> IFF_* flags of a link in the same namespace, for iproute2's M-DOWN mark. */
export type FlagsOf = (index: number) => number | undefined;

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

// iproute2's print_link_flags order.
const IFF_NAMES: ReadonlyArray<[number, string]> = [
  [0x8, 'LOOPBACK'],
  [0x2, 'BROADCAST'],
  [0x10, 'POINTOPOINT'],
  [0x1000, 'MULTICAST'],
  [0x80, 'NOARP'],
  [0x200, 'ALLMULTI'],
  [0x100, 'PROMISC'],
  [0x400, 'MASTER'],
  [0x800, 'SLAVE'],
  [0x4, 'DEBUG'],
  [0x8000, 'DYNAMIC'],
  [0x4000, 'AUTOMEDIA'],
  [0x2000, 'PORTSEL'],
  [0x20, 'NOTRAILERS'],
  [0x1, 'UP'],
  [0x10000, 'LOWER_UP'],
  [0x20000, 'DORMANT'],
  [0x40000, 'ECHO'],
];

/** IFF_* names as iproute2 prints them; `masterDown` (the parent link is down) adds M-DOWN. */
export function linkFlagNames(flags: number, masterDown = false): string[] {
  const out: string[] = [];
  if (flags & C.IFF_UP && !(flags & C.IFF_RUNNING)) out.push('NO-CARRIER');
  let rest = flags & ~C.IFF_RUNNING;
  for (const [bit, name] of IFF_NAMES) {
    if (rest & bit) {
      out.push(name);
      rest &= ~bit;
    }
  }
  if (rest) out.push(rest.toString(16));
  if (masterDown) out.push('M-DOWN');
  return out;
}

const OPERSTATES = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'];
const PORT_STATES = ['disabled', 'listening', 'learning', 'forwarding', 'blocking'];

export const MACVLAN_MODE_NAMES: Record<number, string> = {
  [C.MACVLAN_MODE_PRIVATE]: 'private',
  [C.MACVLAN_MODE_VEPA]: 'vepa',
  [C.MACVLAN_MODE_BRIDGE]: 'bridge',
  [C.MACVLAN_MODE_PASSTHRU]: 'passthru',
  [C.MACVLAN_MODE_SOURCE]: 'source',
};

function bridgePort(data: Map<number, Uint8Array>): NlBridgePort {
  const port: NlBridgePort = {
    hairpin: getU8(data.get(C.IFLA_BRPORT_MODE)) === 1,
    isolated: getU8(data.get(C.IFLA_BRPORT_ISOLATED)) === 1,
  };
  const state = getU8(data.get(C.IFLA_BRPORT_STATE));
  if (state !== undefined) port.state = PORT_STATES[state] ?? String(state);
  const learning = getU8(data.get(C.IFLA_BRPORT_LEARNING));
  if (learning !== undefined) port.learning = learning === 1;
  const flood = getU8(data.get(C.IFLA_BRPORT_UNICAST_FLOOD));
  if (flood !== undefined) port.flood = flood === 1;
  return port;
}

/** The ifindex of an RTM_NEWLINK without decoding the rest. */
export function linkIndexOf(m: Message): number {
  return view(m.body).getInt32(4, true);
}

/** The name of an RTM_NEWLINK without decoding the rest. */
export function linkNameOf(m: Message): string | undefined {
  return getStr(attrMap(m.body, C.IFINFOMSG_LEN).get(C.IFLA_IFNAME));
}

export function parseLink(m: Message, nameOf: NameOf = () => undefined, flagsOf: FlagsOf = () => undefined): NlLink {
  return decodeLink(m, attrMap(m.body, C.IFINFOMSG_LEN), nameOf, flagsOf);
}

function decodeLink(m: Message, a: Map<number, Uint8Array>, nameOf: NameOf, flagsOf: FlagsOf): NlLink {
  const v = view(m.body);
  const type = v.getUint16(2, true);
  const ifindex = v.getInt32(4, true);
  const flagWord = v.getUint32(8, true);
  const parent = getU32(a.get(C.IFLA_LINK));
  const parentNetnsId = getS32(a.get(C.IFLA_LINK_NETNSID));
  const sameNsParent = parent !== undefined && parent !== 0 && parentNetnsId === undefined;
  const flags = linkFlagNames(flagWord, sameNsParent && !((flagsOf(parent) ?? 0) & C.IFF_UP));
  const info = attrMap(a.get(C.IFLA_LINKINFO) ?? new Uint8Array(0));
  const kind = getStr(info.get(C.IFLA_INFO_KIND)) ?? '';
  const data = attrMap(info.get(C.IFLA_INFO_DATA) ?? new Uint8Array(0));
  const link: NlLink = {
    ifindex,
    name: getStr(a.get(C.IFLA_IFNAME)) ?? '',
    kind,
    type,
    mtu: getU32(a.get(C.IFLA_MTU)) ?? 0,
    flags,
    up: (flagWord & C.IFF_UP) !== 0,
    operstate: OPERSTATES[getU8(a.get(C.IFLA_OPERSTATE)) ?? 0] ?? 'unknown',
    promisc: (flagWord & C.IFF_PROMISC) !== 0,
  };
  const mac = a.get(C.IFLA_ADDRESS);
  if (mac && type === C.ARPHRD_ETHER) link.mac = formatMac(mac);
  const alias = getStr(a.get(C.IFLA_IFALIAS));
  if (alias) link.alias = alias;
  const txqlen = getU32(a.get(C.IFLA_TXQLEN));
  if (txqlen !== undefined) link.txqlen = txqlen;
  const master = getU32(a.get(C.IFLA_MASTER));
  if (master) {
    link.masterIndex = master;
    const name = nameOf(master);
    if (name !== undefined) link.master = name;
  }
  if (parent) {
    link.linkIndex = parent;
    if (parentNetnsId !== undefined) {
      link.parentIndex = parent;
      link.parentNetnsId = parentNetnsId;
    } else {
      // iproute2's ll_index_to_name() for an index it does not know.
      link.parentName = nameOf(parent) ?? `if${parent}`;
    }
  }
  if (kind === 'macvlan' || kind === 'macvtap') {
    const mode = getU32(data.get(C.IFLA_MACVLAN_MODE));
    if (mode !== undefined) link.macvlanMode = MACVLAN_MODE_NAMES[mode] ?? String(mode);
    const bcq = getU32(data.get(C.IFLA_MACVLAN_BC_QUEUE_LEN));
    if (bcq !== undefined) link.bcQueueLen = bcq;
  }
  if (kind === 'vlan') {
    const id = getU16(data.get(C.IFLA_VLAN_ID));
    if (id !== undefined) link.vlanId = id;
  }
  if (kind === 'bridge') link.vlanFiltering = getU8(data.get(C.IFLA_BR_VLAN_FILTERING)) === 1;
  if (getStr(info.get(C.IFLA_INFO_SLAVE_KIND)) === 'bridge') {
    link.bridgePort = bridgePort(attrMap(info.get(C.IFLA_INFO_SLAVE_DATA) ?? new Uint8Array(0)));
  }
  return link;
}

/** Links of a dump, masters and parents named from the same dump. */
export function parseLinks(msgs: readonly Message[]): NlLink[] {
  const names = new Map<number, string>();
  const flags = new Map<number, number>();
  const attrs = msgs.map((m) => {
    const a = attrMap(m.body, C.IFINFOMSG_LEN);
    const name = getStr(a.get(C.IFLA_IFNAME));
    if (name !== undefined) names.set(linkIndexOf(m), name);
    flags.set(linkIndexOf(m), linkFlagsOf(m));
    return a;
  });
  return msgs.map((m, i) =>
    decodeLink(
      m,
      attrs[i],
      (x) => names.get(x),
      (x) => flags.get(x),
    ),
  );
}

/** The IFF_* word of an RTM_NEWLINK. */
export function linkFlagsOf(m: Message): number {
  return view(m.body).getUint32(8, true);
}

// iproute2's ifa_flag_names order; IFA_F_PERMANENT is printed inverted, as "dynamic".
const IFA_NAMES: ReadonlyArray<[number, string]> = [
  [C.IFA_F_SECONDARY, 'secondary'],
  [C.IFA_F_NODAD, 'nodad'],
  [C.IFA_F_OPTIMISTIC, 'optimistic'],
  [C.IFA_F_DADFAILED, 'dadfailed'],
  [C.IFA_F_HOMEADDRESS, 'home'],
  [C.IFA_F_DEPRECATED, 'deprecated'],
  [C.IFA_F_TENTATIVE, 'tentative'],
  [C.IFA_F_PERMANENT, 'permanent'],
  [C.IFA_F_MANAGETEMPADDR, 'mngtmpaddr'],
  [C.IFA_F_NOPREFIXROUTE, 'noprefixroute'],
  [C.IFA_F_MCAUTOJOIN, 'autojoin'],
  [C.IFA_F_STABLE_PRIVACY, 'stable-privacy'],
];

export function addressFlagNames(flags: number, family: Family): string[] {
  const out: string[] = [];
  for (const [bit, name] of IFA_NAMES) {
    if (bit === C.IFA_F_PERMANENT) {
      if (!(flags & bit)) out.push('dynamic');
    } else if (flags & bit) {
      out.push(bit === C.IFA_F_SECONDARY && family === 6 ? 'temporary' : name);
    }
  }
  return out;
}

const SCOPES: Record<number, string> = { 0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' };

export function scopeName(scope: number): string {
  return SCOPES[scope] ?? String(scope);
}

const familyOf = (af: number): Family | undefined => (af === C.AF_INET ? 4 : af === C.AF_INET6 ? 6 : undefined);

export function parseAddress(m: Message, nameOf: NameOf = () => undefined): NlAddress | undefined {
  const v = view(m.body);
  const family = familyOf(v.getUint8(0));
  if (family === undefined) return undefined;
  const prefix = v.getUint8(1);
  const ifindex = v.getUint32(4, true);
  const a = attrMap(m.body, C.IFADDRMSG_LEN);
  const raw = a.get(C.IFA_LOCAL) ?? a.get(C.IFA_ADDRESS);
  if (!raw) return undefined;
  const flagWord = getU32(a.get(C.IFA_FLAGS)) ?? v.getUint8(2);
  const flags = addressFlagNames(flagWord, family);
  const address = formatIp(raw);
  return {
    ifindex,
    ifname: nameOf(ifindex) ?? '',
    family,
    address,
    prefix,
    cidr: `${address}/${prefix}`,
    scope: scopeName(v.getUint8(3)),
    tentative: (flagWord & C.IFA_F_TENTATIVE) !== 0,
    dadfailed: (flagWord & C.IFA_F_DADFAILED) !== 0,
    flags,
  };
}

const ROUTE_TYPES = [
  'unspec',
  'unicast',
  'local',
  'broadcast',
  'anycast',
  'multicast',
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
  'nat',
  'xresolve',
];

const PROTOCOLS: Record<number, string> = {
  0: 'unspec',
  1: 'redirect',
  2: 'kernel',
  3: 'boot',
  4: 'static',
  8: 'gated',
  9: 'ra',
  10: 'mrt',
  11: 'zebra',
  12: 'bird',
  13: 'dnrouted',
  14: 'xorp',
  15: 'ntk',
  16: 'dhcp',
  18: 'keepalived',
  42: 'babel',
  99: 'openr',
  186: 'bgp',
  187: 'isis',
  188: 'ospf',
  189: 'rip',
  192: 'eigrp',
};

/** Route fields decoded; RTM_F_CLONED (cache) entries are undefined, as `ip route show` skips them. */
export function parseRoute(m: Message, nameOf: NameOf = () => undefined): NlRoute | undefined {
  const v = view(m.body);
  const family = familyOf(v.getUint8(0));
  if (family === undefined) return undefined;
  if (v.getUint32(8, true) & C.RTM_F_CLONED) return undefined;
  const dstLen = v.getUint8(1);
  const protocol = v.getUint8(5);
  const a = attrMap(m.body, C.RTMSG_LEN);
  const dst = a.get(C.RTA_DST);
  const route: NlRoute = {
    family,
    dst: `${dst ? formatIp(dst) : family === 4 ? '0.0.0.0' : '::'}/${dstLen}`,
    table: getU32(a.get(C.RTA_TABLE)) ?? v.getUint8(4),
    type: ROUTE_TYPES[v.getUint8(7)] ?? String(v.getUint8(7)),
    scope: scopeName(v.getUint8(6)),
  };
  // `ip route show` prints no protocol for boot, the default of `ip route add`.
  if (protocol !== C.RTPROT_BOOT) route.protocol = PROTOCOLS[protocol] ?? String(protocol);
  const gw = a.get(C.RTA_GATEWAY);
  if (gw) route.gateway = formatIp(gw);
  const oif = getU32(a.get(C.RTA_OIF));
  if (oif !== undefined) {
    route.oif = oif;
    const name = nameOf(oif);
    if (name !== undefined) route.dev = name;
  }
  const metric = getU32(a.get(C.RTA_PRIORITY));
  if (metric !== undefined) route.metric = metric;
  const src = a.get(C.RTA_PREFSRC);
  if (src) route.prefsrc = formatIp(src);
  const mx = a.get(C.RTA_METRICS);
  if (mx) {
    const mm = attrMap(mx);
    const mtu = getU32(mm.get(C.RTAX_MTU));
    if (mtu !== undefined) route.mtu = mtu;
    const advmss = getU32(mm.get(C.RTAX_ADVMSS));
    if (advmss !== undefined) route.advmss = advmss;
  }
  const mp = a.get(C.RTA_MULTIPATH);
  if (mp) route.nexthops = parseNexthops(mp, nameOf);
  return route;
}

function parseNexthops(b: Uint8Array, nameOf: NameOf): NonNullable<NlRoute['nexthops']> {
  const v = view(b);
  const out: Array<Nexthop & { oif?: number }> = [];
  let at = 0;
  while (at + C.RTNEXTHOP_LEN <= b.length) {
    const len = v.getUint16(at, true);
    if (len < C.RTNEXTHOP_LEN || at + len > b.length) break;
    const hop: Nexthop & { oif?: number } = { weight: v.getUint8(at + 3) + 1 };
    const oif = v.getInt32(at + 4, true);
    if (oif > 0) {
      hop.oif = oif;
      const name = nameOf(oif);
      if (name !== undefined) hop.dev = name;
    }
    const gw = attrMap(b.subarray(at + C.RTNEXTHOP_LEN, at + len)).get(C.RTA_GATEWAY);
    if (gw) hop.gateway = formatIp(gw);
    out.push(hop);
    at += (len + 3) & ~3;
  }
  return out;
}

/**
 * VLANs per link from an AF_BRIDGE link dump (RTEXT_FILTER_BRVLAN): index -> entries, ranges
 * expanded. Links without VLAN entries are absent.
 */
export function parseBridgeVlans(msgs: readonly Message[]): Map<number, { name: string; vlans: BridgeVlan[] }> {
  const out = new Map<number, { name: string; vlans: BridgeVlan[] }>();
  for (const m of msgs) {
    const a = attrMap(m.body, C.IFINFOMSG_LEN);
    const spec = a.get(C.IFLA_AF_SPEC);
    if (!spec) continue;
    const vlans: BridgeVlan[] = [];
    let rangeStart: number | undefined;
    for (const e of attrList(spec)) {
      if (e.type !== C.IFLA_BRIDGE_VLAN_INFO || e.value.length < 4) continue;
      const ev = view(e.value);
      const flags = ev.getUint16(0, true);
      const vid = ev.getUint16(2, true);
      const entry = (id: number): BridgeVlan => ({
        vid: id,
        pvid: (flags & C.BRIDGE_VLAN_INFO_PVID) !== 0,
        untagged: (flags & C.BRIDGE_VLAN_INFO_UNTAGGED) !== 0,
      });
      if (flags & C.BRIDGE_VLAN_INFO_RANGE_BEGIN) {
        rangeStart = vid;
      } else if (flags & C.BRIDGE_VLAN_INFO_RANGE_END && rangeStart !== undefined) {
        for (let id = rangeStart; id <= vid; id++) vlans.push(entry(id));
        rangeStart = undefined;
      } else {
        vlans.push(entry(vid));
      }
    }
    if (vlans.length > 0) out.set(linkIndexOf(m), { name: linkNameOf(m) ?? '', vlans });
  }
  return out;
}
