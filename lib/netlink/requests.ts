import * as C from './constants';
import { broadcast4, parseCidr, parseIp, parseMac, type Family } from './inet';
import { MessageWriter } from './message';

// Request builders, pure: each returns an unsent MessageWriter (the socket layer stamps the
// sequence number). Attribute order and flags follow what iproute2 6.1 sends for the same
// command, so test/unit/netlink can compare bytes with captured `ip` / `bridge` requests.
// Links are addressed by ifindex everywhere except the lookup by name itself.

export class NetlinkArgumentError extends Error {
  override readonly name = 'NetlinkArgumentError';
}

const encoder = new TextEncoder();

/** What the kernel's dev_valid_name() accepts: 1–15 bytes, not "." or "..", no '/', ':' or whitespace. */
export function checkLinkName(name: string, what = 'interface name'): string {
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || encoder.encode(name).length > 15 || /[/:\s]/.test(name)) {
    throw new NetlinkArgumentError(`invalid ${what} ${JSON.stringify(name)}`);
  }
  return name;
}

function checkIndex(index: number, what = 'interface index'): number {
  if (!Number.isSafeInteger(index) || index <= 0 || index > 0x7fffffff) throw new NetlinkArgumentError(`invalid ${what} ${index}`);
  return index;
}

function checkU32(n: number, what: string, min = 0, max = 0xffffffff): number {
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new NetlinkArgumentError(`invalid ${what} ${n}: expected ${min}..${max}`);
  return n;
}

const FAMILY: Record<Family, number> = { 4: C.AF_INET, 6: C.AF_INET6 };

function ifinfomsg(w: MessageWriter, family: number, index: number, flags = 0, change = 0): MessageWriter {
  return w.struct(C.IFINFOMSG_LEN, (v, at) => {
    v.setUint8(at, family);
    v.setInt32(at + 4, index, true);
    v.setUint32(at + 8, flags, true);
    v.setUint32(at + 12, change, true);
  });
}

/** Stats are never read here; leaving them out shrinks every link message by ~300 bytes. */
export const LINK_EXT_MASK = C.RTEXT_FILTER_SKIP_STATS;

// ---- links: reads ----

/** RTM_GETLINK by exact name (the kernel's own lookup: no `ifN` index shorthand). */
export function getLinkByName(name: string): MessageWriter {
  const w = ifinfomsg(new MessageWriter(C.RTM_GETLINK, C.NLM_F_REQUEST), C.AF_UNSPEC, 0);
  return w.u32(C.IFLA_EXT_MASK, LINK_EXT_MASK).strz(C.IFLA_IFNAME, checkLinkName(name));
}

export function getLinkByIndex(index: number): MessageWriter {
  const w = ifinfomsg(new MessageWriter(C.RTM_GETLINK, C.NLM_F_REQUEST), C.AF_UNSPEC, checkIndex(index));
  return w.u32(C.IFLA_EXT_MASK, LINK_EXT_MASK);
}

const AF_PACKET = 17;

/** Every link (family AF_PACKET as `ip link show` asks; the kernel treats it as AF_UNSPEC). */
export function dumpLinks(): MessageWriter {
  const w = ifinfomsg(new MessageWriter(C.RTM_GETLINK, C.NLM_F_REQUEST | C.NLM_F_DUMP), AF_PACKET, 0);
  return w.u32(C.IFLA_EXT_MASK, LINK_EXT_MASK);
}

/** Bridge ports with their VLANs (IFLA_AF_SPEC / IFLA_BRIDGE_VLAN_INFO), as `bridge vlan show`. */
export function dumpBridgeVlans(): MessageWriter {
  const w = ifinfomsg(new MessageWriter(C.RTM_GETLINK, C.NLM_F_REQUEST | C.NLM_F_DUMP), C.AF_BRIDGE, 0);
  return w.u32(C.IFLA_EXT_MASK, C.RTEXT_FILTER_BRVLAN);
}

// ---- links: create ----

export type MacvlanMode = 'private' | 'vepa' | 'bridge' | 'passthru' | 'source';

export const MACVLAN_MODES: Record<MacvlanMode, number> = {
  private: C.MACVLAN_MODE_PRIVATE,
  vepa: C.MACVLAN_MODE_VEPA,
  bridge: C.MACVLAN_MODE_BRIDGE,
  passthru: C.MACVLAN_MODE_PASSTHRU,
  source: C.MACVLAN_MODE_SOURCE,
};

export interface LinkAttrs {
  /** 0 or absent: the kernel's default. */
  mtu?: number;
  mac?: string;
  /** Create the link directly in the namespace open on this fd (IFLA_NET_NS_FD). */
  netnsFd?: number;
}

export type LinkKind =
  | { kind: 'bridge'; vlanFiltering?: boolean; vlanDefaultPvid?: number }
  | { kind: 'veth'; peer: LinkAttrs & { name: string } }
  | { kind: 'macvlan'; mode: MacvlanMode; bcQueueLen?: number }
  | { kind: 'dummy' }
  | { kind: 'vlan'; id: number };

export interface NewLink extends LinkAttrs {
  name: string;
  /** IFLA_LINK: a macvlan's master, a vlan's parent (an ifindex in the current namespace). */
  parentIndex?: number;
  info: LinkKind;
}

function linkAttrs(w: MessageWriter, a: LinkAttrs): void {
  if (a.mtu) w.u32(C.IFLA_MTU, checkU32(a.mtu, 'MTU', 68, 65535));
  if (a.mac !== undefined) w.attr(C.IFLA_ADDRESS, parseMac(a.mac));
  if (a.netnsFd !== undefined) w.u32(C.IFLA_NET_NS_FD, checkU32(a.netnsFd, 'namespace fd', 0, 0x7fffffff));
}

function infoData(w: MessageWriter, info: LinkKind): void {
  switch (info.kind) {
    case 'bridge':
      if (!info.vlanFiltering && info.vlanDefaultPvid === undefined) return;
      w.nested(C.IFLA_INFO_DATA, () => {
        if (info.vlanFiltering) w.u8(C.IFLA_BR_VLAN_FILTERING, 1);
        if (info.vlanDefaultPvid !== undefined) w.u16(C.IFLA_BR_VLAN_DEFAULT_PVID, checkU32(info.vlanDefaultPvid, 'default PVID', 0, 4094));
      });
      return;
    case 'veth': {
      const peer = info.peer;
      w.nested(C.IFLA_INFO_DATA, () =>
        w.nested(C.VETH_INFO_PEER, () => {
          ifinfomsg(w, C.AF_UNSPEC, 0);
          linkAttrs(w, peer);
          w.strz(C.IFLA_IFNAME, checkLinkName(peer.name, 'veth peer name'));
        }),
      );
      return;
    }
    case 'macvlan': {
      const mode = MACVLAN_MODES[info.mode];
      if (mode === undefined) throw new NetlinkArgumentError(`invalid macvlan mode ${JSON.stringify(info.mode)}`);
      w.nested(C.IFLA_INFO_DATA, () => {
        if (info.bcQueueLen) w.u32(C.IFLA_MACVLAN_BC_QUEUE_LEN, checkU32(info.bcQueueLen, 'macvlan bcqueuelen'));
        w.u32(C.IFLA_MACVLAN_MODE, mode);
      });
      return;
    }
    case 'vlan':
      w.nested(C.IFLA_INFO_DATA, () => w.u16(C.IFLA_VLAN_ID, checkU32(info.id, 'VLAN id', 0, 4094)));
      return;
    case 'dummy':
      return;
  }
}

/** RTM_NEWLINK with NLM_F_CREATE|NLM_F_EXCL: a new link, failing with EEXIST if the name is taken. */
export function newLink(spec: NewLink): MessageWriter {
  const w = ifinfomsg(new MessageWriter(C.RTM_NEWLINK, C.NLM_F_REQUEST | C.NLM_F_ACK | C.NLM_F_EXCL | C.NLM_F_CREATE), C.AF_UNSPEC, 0);
  if ((spec.info.kind === 'macvlan' || spec.info.kind === 'vlan') && spec.parentIndex === undefined) {
    throw new NetlinkArgumentError(`a ${spec.info.kind} link needs a parent link`);
  }
  linkAttrs(w, spec);
  if (spec.parentIndex !== undefined) w.u32(C.IFLA_LINK, checkIndex(spec.parentIndex, 'parent index'));
  w.strz(C.IFLA_IFNAME, checkLinkName(spec.name));
  w.nested(C.IFLA_LINKINFO, () => {
    w.str(C.IFLA_INFO_KIND, spec.info.kind);
    infoData(w, spec.info);
  });
  return w;
}

// ---- links: change, delete ----

export interface LinkChange {
  up?: boolean;
  promisc?: boolean;
  mtu?: number;
  mac?: string;
  /** New name. */
  name?: string;
  /** IFLA_IFALIAS (`ip link set alias`). */
  alias?: string;
  /** 0: no master (`nomaster`). */
  masterIndex?: number;
  /** Move into the namespace open on this fd. */
  netnsFd?: number;
}

/** RTM_NEWLINK on an existing link (what `ip link set` sends). */
export function setLink(index: number, change: LinkChange): MessageWriter {
  let flags = 0;
  let mask = 0;
  if (change.up !== undefined) {
    mask |= C.IFF_UP;
    if (change.up) flags |= C.IFF_UP;
  }
  if (change.promisc !== undefined) {
    mask |= C.IFF_PROMISC;
    if (change.promisc) flags |= C.IFF_PROMISC;
  }
  const w = ifinfomsg(new MessageWriter(C.RTM_NEWLINK, C.NLM_F_REQUEST | C.NLM_F_ACK), C.AF_UNSPEC, checkIndex(index), flags, mask);
  if (change.mtu !== undefined) w.u32(C.IFLA_MTU, checkU32(change.mtu, 'MTU', 68, 65535));
  if (change.mac !== undefined) w.attr(C.IFLA_ADDRESS, parseMac(change.mac));
  if (change.name !== undefined) w.strz(C.IFLA_IFNAME, checkLinkName(change.name, 'new interface name'));
  if (change.alias !== undefined) w.str(C.IFLA_IFALIAS, change.alias);
  if (change.masterIndex !== undefined) w.u32(C.IFLA_MASTER, change.masterIndex === 0 ? 0 : checkIndex(change.masterIndex, 'master index'));
  if (change.netnsFd !== undefined) w.u32(C.IFLA_NET_NS_FD, checkU32(change.netnsFd, 'namespace fd', 0, 0x7fffffff));
  return w;
}

export interface BridgePortFlags {
  hairpin?: boolean;
  isolated?: boolean;
  learning?: boolean;
  /** Unicast flooding (`flood`). */
  flood?: boolean;
  mcastFlood?: boolean;
  bcastFlood?: boolean;
}

/** Bridge port options, as `ip link set dev X type bridge_slave …` sends them. */
export function setBridgePort(index: number, f: BridgePortFlags): MessageWriter {
  const w = ifinfomsg(new MessageWriter(C.RTM_NEWLINK, C.NLM_F_REQUEST | C.NLM_F_ACK), C.AF_UNSPEC, checkIndex(index));
  const b = (v: boolean) => (v ? 1 : 0);
  return w.nested(C.IFLA_LINKINFO, () => {
    // iproute2 names the kind "bridge_slave"; the kernel ignores a kind without link ops on a
    // change and picks the port options' policy from the port's master.
    w.str(C.IFLA_INFO_KIND, 'bridge_slave');
    w.nested(C.IFLA_INFO_SLAVE_DATA, () => {
      if (f.hairpin !== undefined) w.u8(C.IFLA_BRPORT_MODE, b(f.hairpin));
      if (f.isolated !== undefined) w.u8(C.IFLA_BRPORT_ISOLATED, b(f.isolated));
      if (f.learning !== undefined) w.u8(C.IFLA_BRPORT_LEARNING, b(f.learning));
      if (f.flood !== undefined) w.u8(C.IFLA_BRPORT_UNICAST_FLOOD, b(f.flood));
      if (f.mcastFlood !== undefined) w.u8(C.IFLA_BRPORT_MCAST_FLOOD, b(f.mcastFlood));
      if (f.bcastFlood !== undefined) w.u8(C.IFLA_BRPORT_BCAST_FLOOD, b(f.bcastFlood));
    });
  });
}

export interface VlanFlags {
  /** Ingress untagged frames get this VLAN. */
  pvid?: boolean;
  /** Egress frames leave untagged. */
  untagged?: boolean;
}

/** `bridge vlan add|del dev PORT vid N [pvid] [untagged]`: AF_BRIDGE RTM_SETLINK / RTM_DELLINK. */
export function bridgeVlan(op: 'add' | 'del', index: number, vid: number, f: VlanFlags = {}): MessageWriter {
  checkU32(vid, 'VLAN id', 1, 4094);
  const type = op === 'add' ? C.RTM_SETLINK : C.RTM_DELLINK;
  const w = ifinfomsg(new MessageWriter(type, C.NLM_F_REQUEST | C.NLM_F_ACK), C.AF_BRIDGE, checkIndex(index));
  const flags = (f.pvid ? C.BRIDGE_VLAN_INFO_PVID : 0) | (f.untagged ? C.BRIDGE_VLAN_INFO_UNTAGGED : 0);
  const info = new Uint8Array(4);
  const v = new DataView(info.buffer);
  v.setUint16(0, flags, true);
  v.setUint16(2, vid, true);
  return w.nested(C.IFLA_AF_SPEC, () => w.attr(C.IFLA_BRIDGE_VLAN_INFO, info));
}

export function delLink(index: number): MessageWriter {
  return ifinfomsg(new MessageWriter(C.RTM_DELLINK, C.NLM_F_REQUEST | C.NLM_F_ACK), C.AF_UNSPEC, checkIndex(index));
}

// ---- addresses ----

export interface AddressOptions {
  /** IPv6: no duplicate address detection (IFA_F_NODAD). */
  noDad?: boolean;
  /** Other IFA_F_* bits to set. */
  flags?: number;
  /** RT_SCOPE_*; default 0 (global), as iproute2 for anything but loopback addresses. */
  scope?: number;
}

function ifaddrmsg(w: MessageWriter, family: number, prefix: number, flags: number, scope: number, index: number): MessageWriter {
  return w.struct(C.IFADDRMSG_LEN, (v, at) => {
    v.setUint8(at, family);
    v.setUint8(at + 1, prefix);
    v.setUint8(at + 2, flags & 0xff);
    v.setUint8(at + 3, scope);
    v.setUint32(at + 4, index, true);
  });
}

/**
 * RTM_NEWADDR (create, exclusive). IPv4 below /31 gets its broadcast address, as iproute2's
 * `brd +` and the reference's netlink library do. Flags above 0xff travel in IFA_FLAGS.
 */
export function addAddress(index: number, cidr: string, o: AddressOptions = {}): MessageWriter {
  const c = parseCidr(cidr, 'address');
  const flags = (o.flags ?? 0) | (c.family === 6 && o.noDad ? C.IFA_F_NODAD : 0);
  const w = new MessageWriter(C.RTM_NEWADDR, C.NLM_F_REQUEST | C.NLM_F_ACK | C.NLM_F_EXCL | C.NLM_F_CREATE);
  ifaddrmsg(w, FAMILY[c.family], c.prefix, flags, checkU32(o.scope ?? 0, 'scope', 0, 255), checkIndex(index));
  w.attr(C.IFA_LOCAL, c.bytes).attr(C.IFA_ADDRESS, c.bytes);
  if (c.family === 4 && c.prefix < 31) w.attr(C.IFA_BROADCAST, broadcast4(c.bytes, c.prefix));
  if (flags > 0xff) w.u32(C.IFA_FLAGS, flags);
  return w;
}

export function delAddress(index: number, cidr: string): MessageWriter {
  const c = parseCidr(cidr, 'address');
  const w = new MessageWriter(C.RTM_DELADDR, C.NLM_F_REQUEST | C.NLM_F_ACK);
  ifaddrmsg(w, FAMILY[c.family], c.prefix, 0, 0, checkIndex(index));
  return w.attr(C.IFA_LOCAL, c.bytes).attr(C.IFA_ADDRESS, c.bytes);
}

export function dumpAddresses(family?: Family): MessageWriter {
  const w = new MessageWriter(C.RTM_GETADDR, C.NLM_F_REQUEST | C.NLM_F_DUMP);
  return ifaddrmsg(w, family ? FAMILY[family] : C.AF_UNSPEC, 0, 0, 0, 0);
}

// ---- routes ----

export interface NexthopSpec {
  gw?: string;
  oif?: number;
  /** 1–256, default 1. */
  weight?: number;
}

export interface RouteRequest {
  /** Destination CIDR; `0.0.0.0/0` / `::/0` for a default route. */
  dst: string;
  gw?: string;
  /** Output link index (RTA_OIF). */
  oif?: number;
  /** RTA_PRIORITY (the metric). */
  priority?: number;
  /** Default main (254). */
  table?: number;
  /** RT_SCOPE_*; default as iproute2: link for an IPv4 route without gateway or nexthops, else universe. */
  scope?: number;
  prefsrc?: string;
  metrics?: { mtu?: number; advmss?: number };
  /** RTA_MULTIPATH. */
  nexthops?: NexthopSpec[];
}

/**
 * How an add treats an existing route: `create` NLM_F_CREATE (iproute2 `prepend`, the
 * reference's ECMP add), `exclusive` NLM_F_CREATE|NLM_F_EXCL (`add`), `replace`
 * NLM_F_CREATE|NLM_F_REPLACE (`replace`).
 */
export type RouteAddMode = 'create' | 'exclusive' | 'replace';

const ROUTE_FLAGS: Record<RouteAddMode, number> = {
  create: C.NLM_F_CREATE,
  exclusive: C.NLM_F_CREATE | C.NLM_F_EXCL,
  replace: C.NLM_F_CREATE | C.NLM_F_REPLACE,
};

function rtmsg(
  w: MessageWriter,
  family: number,
  dstLen: number,
  table: number,
  protocol: number,
  scope: number,
  type: number,
): MessageWriter {
  return w.struct(C.RTMSG_LEN, (v, at) => {
    v.setUint8(at, family);
    v.setUint8(at + 1, dstLen);
    v.setUint8(at + 4, table < 256 ? table : C.RT_TABLE_UNSPEC);
    v.setUint8(at + 5, protocol);
    v.setUint8(at + 6, scope);
    v.setUint8(at + 7, type);
  });
}

function sameFamily(text: string, family: Family, what: string): Uint8Array {
  const ip = parseIp(text, what);
  if (ip.family !== family) throw new NetlinkArgumentError(`${what} ${text} is of another address family`);
  return ip.bytes;
}

function routeBody(
  w: MessageWriter,
  r: RouteRequest,
  family: Family,
  dst: Uint8Array,
  prefix: number,
  table: number,
  forAdd: boolean,
): void {
  if (prefix > 0) w.attr(C.RTA_DST, dst);
  if (r.gw !== undefined) w.attr(C.RTA_GATEWAY, sameFamily(r.gw, family, 'gateway'));
  if (r.priority !== undefined) w.u32(C.RTA_PRIORITY, checkU32(r.priority, 'metric'));
  if (table >= 256) w.u32(C.RTA_TABLE, table);
  if (r.prefsrc !== undefined) w.attr(C.RTA_PREFSRC, sameFamily(r.prefsrc, family, 'source'));
  if (r.oif !== undefined) w.u32(C.RTA_OIF, checkIndex(r.oif, 'output interface index'));
  if (!forAdd) return;
  const m = r.metrics;
  if (m && (m.mtu !== undefined || m.advmss !== undefined)) {
    w.nested(C.RTA_METRICS, () => {
      if (m.mtu !== undefined) w.u32(C.RTAX_MTU, checkU32(m.mtu, 'route MTU', 0, 0xffff));
      if (m.advmss !== undefined) w.u32(C.RTAX_ADVMSS, checkU32(m.advmss, 'route advmss', 0, 0xffff));
    });
  }
  if (r.nexthops && r.nexthops.length > 0) {
    w.nested(C.RTA_MULTIPATH, () => {
      for (const hop of r.nexthops ?? []) {
        const weight = checkU32(hop.weight ?? 1, 'nexthop weight', 1, 256);
        // rtnexthop {u16 len, u8 flags, u8 hops (weight - 1), s32 ifindex}, its length covering
        // the attributes after it.
        const at = w.hole(C.RTNEXTHOP_LEN);
        if (hop.gw !== undefined) w.attr(C.RTA_GATEWAY, sameFamily(hop.gw, family, 'nexthop gateway'));
        const oif = hop.oif === undefined ? 0 : checkIndex(hop.oif, 'nexthop interface index');
        w.patch(at, (v, o) => {
          v.setUint16(o, w.length - at, true);
          v.setUint8(o + 3, weight - 1);
          v.setInt32(o + 4, oif, true);
        });
      }
    });
  }
}

function routeTable(r: RouteRequest): number {
  return checkU32(r.table ?? C.RT_TABLE_MAIN, 'route table', 1);
}

/** RTM_NEWROUTE: a unicast route, protocol boot, as `ip route add|prepend|replace`. */
export function newRoute(r: RouteRequest, mode: RouteAddMode = 'create'): MessageWriter {
  const d = parseCidr(r.dst, 'route destination');
  const table = routeTable(r);
  const multipath = (r.nexthops?.length ?? 0) > 0;
  const scope = r.scope ?? (d.family === 4 && r.gw === undefined && !multipath ? C.RT_SCOPE_LINK : C.RT_SCOPE_UNIVERSE);
  const w = new MessageWriter(C.RTM_NEWROUTE, C.NLM_F_REQUEST | C.NLM_F_ACK | ROUTE_FLAGS[mode]);
  rtmsg(w, FAMILY[d.family], d.prefix, table, C.RTPROT_BOOT, checkU32(scope, 'scope', 0, 255), C.RTN_UNICAST);
  routeBody(w, r, d.family, d.bytes, d.prefix, table, true);
  return w;
}

/** RTM_DELROUTE, matching as `ip route del`: any protocol and type, any scope for IPv4. */
export function delRoute(r: RouteRequest): MessageWriter {
  const d = parseCidr(r.dst, 'route destination');
  const table = routeTable(r);
  const scope = r.scope ?? (d.family === 4 ? C.RT_SCOPE_NOWHERE : C.RT_SCOPE_UNIVERSE);
  const w = new MessageWriter(C.RTM_DELROUTE, C.NLM_F_REQUEST | C.NLM_F_ACK);
  rtmsg(w, FAMILY[d.family], d.prefix, table, 0, checkU32(scope, 'scope', 0, 255), C.RTN_UNSPEC);
  routeBody(w, r, d.family, d.bytes, d.prefix, table, false);
  return w;
}

export function dumpRoutes(family: Family): MessageWriter {
  return rtmsg(new MessageWriter(C.RTM_GETROUTE, C.NLM_F_REQUEST | C.NLM_F_DUMP), FAMILY[family], 0, 0, 0, 0, 0);
}
