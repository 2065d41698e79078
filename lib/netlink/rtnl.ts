import * as C from './constants';
import type { NetlinkConn } from './conn';
import { ENODEV, NetlinkError } from './errors';
import { parseCidr, parseIp, type Family } from './inet';
import type { Message } from './message';
import {
  linkFlagsOf,
  linkIndexOf,
  linkNameOf,
  parseAddress,
  parseBridgeVlans,
  parseLink,
  parseLinks,
  parseRoute,
  type FlagsOf,
  type NameOf,
} from './parse';
import * as R from './requests';
import type { BridgeVlan, NlAddress, NlLink, NlRoute } from './types';

// Link, address and route operations of one namespace, by name, over one NetlinkConn: the
// netlink counterpart of lib/net's Netns reads and Batch steps (same step texts in errors).
// Synchronous: every call is a few syscalls on a socket already bound to its namespace.

export interface LinkOptions {
  mtu?: number;
  mac?: string;
}

export interface BridgeOptions extends LinkOptions {
  vlanFiltering?: boolean;
  /** IFLA_BR_VLAN_DEFAULT_PVID (0 disables the default PVID). */
  vlanDefaultPvid?: number;
}

/** A namespace given by an open fd (see netns.ts), for links created in or moved to it. */
export interface NetnsTarget {
  readonly fd: number;
  /** For messages. */
  readonly path: string;
}

export interface VethPeer extends LinkOptions {
  name: string;
  /** Create the peer directly in this namespace. */
  netns?: NetnsTarget;
}

export interface MacvlanOptions extends LinkOptions {
  /** Master link, by name in this namespace. */
  master: string;
  mode: R.MacvlanMode;
  bcQueueLen?: number;
  /** Create the macvlan directly in this namespace (its name never meets this one's links). */
  netns?: NetnsTarget;
}

export interface VlanOptions extends LinkOptions {
  parent: string;
  id: number;
}

export type RouteScope = number | 'global' | 'universe' | 'site' | 'link' | 'host';

export interface RouteSpec {
  dst: string;
  gw?: string;
  dev?: string;
  metric?: number;
  table?: number;
  scope?: RouteScope;
  src?: string;
  /** Path MTU (RTAX_MTU); absent or 0: the device's. */
  mtu?: number;
  /** Advertised TCP MSS (RTAX_ADVMSS); absent or 0: derived from the MTU. */
  advmss?: number;
  nexthops?: Array<{ gw?: string; dev?: string; weight?: number }>;
}

export interface RouteQuery {
  family?: Family;
  /** A table number or 'all'; default main (254). */
  table?: number | 'all';
  dev?: string;
}

export type DadState = { state: 'settled' } | { state: 'tentative' } | { state: 'dadfailed'; address: string };

const SCOPE_NUMBERS: Record<string, number> = { global: 0, universe: 0, site: 200, link: 253, host: 254 };

function scopeNumber(s: RouteScope): number {
  if (typeof s === 'number') return s;
  const n = SCOPE_NUMBERS[s];
  if (n === undefined) throw new R.NetlinkArgumentError(`invalid route scope ${JSON.stringify(s)}`);
  return n;
}

const ROOT: Record<Family, string> = { 4: '0.0.0.0/0', 6: '::/0' };

export class Rtnl {
  constructor(readonly conn: NetlinkConn) {}

  // ---- names ----

  private getByName(name: string, what: string): Message | undefined {
    try {
      return this.conn.get(R.getLinkByName(name), what);
    } catch (e) {
      if (e instanceof NetlinkError && e.kind === 'notfound') return undefined;
      throw e;
    }
  }

  /** The ifindex of `name`; a missing link fails `what` with ENODEV, as iproute2 reports it. */
  indexOf(name: string, what = `find link ${name}`): number {
    const m = this.getByName(R.checkLinkName(name), what);
    if (!m) throw new NetlinkError(what, ENODEV, undefined, { reason: `Cannot find device "${name}"` });
    return linkIndexOf(m);
  }

  /** Lookups by index for one decode, each link asked for at most once. */
  private resolver(): { nameOf: NameOf; flagsOf: FlagsOf } {
    const cache = new Map<number, Message | undefined>();
    const get = (index: number): Message | undefined => {
      if (!cache.has(index)) {
        let m: Message | undefined;
        try {
          m = this.conn.get(R.getLinkByIndex(index), `read link ${index}`);
        } catch (e) {
          if (!(e instanceof NetlinkError && e.kind === 'notfound')) throw e;
        }
        cache.set(index, m);
      }
      return cache.get(index);
    };
    return {
      nameOf: (i) => {
        const m = get(i);
        return m ? linkNameOf(m) : undefined;
      },
      flagsOf: (i) => {
        const m = get(i);
        return m ? linkFlagsOf(m) : undefined;
      },
    };
  }

  private allNames(): Map<number, string> {
    const names = new Map<number, string>();
    for (const m of this.conn.dump(R.dumpLinks(), 'list links')) {
      const name = linkNameOf(m);
      if (name !== undefined) names.set(linkIndexOf(m), name);
    }
    return names;
  }

  // ---- link reads ----

  /** The link called exactly `name`, undefined if there is none. */
  link(name: string): NlLink | undefined {
    const m = this.getByName(R.checkLinkName(name), `read link ${name}`);
    if (!m) return undefined;
    const r = this.resolver();
    return parseLink(m, r.nameOf, r.flagsOf);
  }

  linkByIndex(index: number): NlLink | undefined {
    try {
      const r = this.resolver();
      return parseLink(this.conn.get(R.getLinkByIndex(index), `read link ${index}`), r.nameOf, r.flagsOf);
    } catch (e) {
      if (e instanceof NetlinkError && e.kind === 'notfound') return undefined;
      throw e;
    }
  }

  links(): NlLink[] {
    return parseLinks(this.conn.dump(R.dumpLinks(), 'list links'));
  }

  /** operstate ('up', 'down', …), undefined when there is no such link. */
  operstate(name: string): string | undefined {
    return this.link(name)?.operstate;
  }

  // ---- link creation ----

  private create(spec: R.NewLink, what: string): void {
    this.conn.ack(R.newLink(spec), what);
  }

  createBridge(name: string, o: BridgeOptions = {}): void {
    const info: R.LinkKind = { kind: 'bridge' };
    if (o.vlanFiltering) info.vlanFiltering = true;
    if (o.vlanDefaultPvid !== undefined) info.vlanDefaultPvid = o.vlanDefaultPvid;
    this.create({ name, ...linkOpts(o), info }, `create bridge ${name}`);
  }

  /** A veth pair: `name` here, `peer.name` created directly in `peer.netns` when given. */
  createVeth(name: string, o: LinkOptions, peer: VethPeer): void {
    const where = peer.netns ? ` in ${peer.netns.path}` : '';
    const p: R.LinkAttrs & { name: string } = { name: peer.name, ...linkOpts(peer) };
    if (peer.netns) p.netnsFd = peer.netns.fd;
    this.create({ name, ...linkOpts(o), info: { kind: 'veth', peer: p } }, `create veth ${name} with peer ${peer.name}${where}`);
  }

  createMacvlan(name: string, o: MacvlanOptions): void {
    const where = o.netns ? ` in ${o.netns.path}` : '';
    const what = `create macvlan ${name} on ${o.master}${where}`;
    const parentIndex = this.indexOf(o.master, what);
    const info: R.LinkKind = { kind: 'macvlan', mode: o.mode };
    if (o.bcQueueLen) info.bcQueueLen = o.bcQueueLen;
    const spec: R.NewLink = { name, ...linkOpts(o), parentIndex, info };
    if (o.netns) spec.netnsFd = o.netns.fd;
    this.create(spec, what);
  }

  createDummy(name: string, o: LinkOptions = {}): void {
    this.create({ name, ...linkOpts(o), info: { kind: 'dummy' } }, `create dummy ${name}`);
  }

  createVlan(name: string, o: VlanOptions): void {
    const what = `create vlan ${name} on ${o.parent}`;
    const parentIndex = this.indexOf(o.parent, what);
    this.create({ name, ...linkOpts(o), parentIndex, info: { kind: 'vlan', id: o.id } }, what);
  }

  // ---- link changes ----

  private change(name: string, change: R.LinkChange, what: string): void {
    this.conn.ack(R.setLink(this.indexOf(name, what), change), what);
  }

  /** Deletes a link; a missing one fails with kind 'notfound' (a Batch step tolerates it). */
  deleteLink(name: string): void {
    const what = `delete link ${name}`;
    this.conn.ack(R.delLink(this.indexOf(name, what)), what);
  }

  setUp(name: string): void {
    this.change(name, { up: true }, `set ${name} up`);
  }

  setDown(name: string): void {
    this.change(name, { up: false }, `set ${name} down`);
  }

  setMtu(name: string, mtu: number): void {
    this.change(name, { mtu }, `set MTU of ${name} to ${mtu}`);
  }

  setMac(name: string, mac: string): void {
    this.change(name, { mac }, `set MAC of ${name} to ${mac.toLowerCase()}`);
  }

  setAlias(name: string, alias: string): void {
    this.change(name, { alias }, `set alias of ${name} to ${alias}`);
  }

  setPromisc(name: string, on: boolean): void {
    this.change(name, { promisc: on }, `set promisc ${on ? 'on' : 'off'} on ${name}`);
  }

  setMaster(name: string, master: string): void {
    const what = `attach ${name} to ${master}`;
    const masterIndex = this.indexOf(master, what);
    this.change(name, { masterIndex }, what);
  }

  setNoMaster(name: string): void {
    this.change(name, { masterIndex: 0 }, `detach ${name} from its master`);
  }

  rename(name: string, newName: string): void {
    this.change(name, { name: newName }, `rename ${name} to ${newName}`);
  }

  moveToNetns(name: string, target: NetnsTarget): void {
    this.change(name, { netnsFd: target.fd }, `move ${name} to ${target.path}`);
  }

  setBridgePort(name: string, flags: R.BridgePortFlags): void {
    const desc = Object.entries(flags)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k} ${v ? 'on' : 'off'}`);
    if (desc.length === 0) return;
    const what = `set ${desc.join(', ')} on bridge port ${name}`;
    this.conn.ack(R.setBridgePort(this.indexOf(name, what), flags), what);
  }

  // ---- bridge VLANs ----

  bridgeVlanAdd(port: string, vid: number, f: R.VlanFlags = {}): void {
    const what = `add VLAN ${vid}${f.pvid ? ' pvid' : ''}${f.untagged ? ' untagged' : ''} to ${port}`;
    this.conn.ack(R.bridgeVlan('add', this.indexOf(port, what), vid, f), what);
  }

  bridgeVlanDel(port: string, vid: number): void {
    const what = `remove VLAN ${vid} from ${port}`;
    this.conn.ack(R.bridgeVlan('del', this.indexOf(port, what), vid), what);
  }

  /** VLANs of every bridge port (and bridge) that has any, by ifindex. */
  bridgeVlans(): Map<number, { name: string; vlans: BridgeVlan[] }> {
    return parseBridgeVlans(this.conn.dump(R.dumpBridgeVlans(), 'list bridge VLANs'));
  }

  /** VLANs of one port; empty for a port without VLAN entries. */
  portVlans(port: string): BridgeVlan[] {
    const index = this.indexOf(port, `read VLANs of ${port}`);
    return this.bridgeVlans().get(index)?.vlans ?? [];
  }

  // ---- addresses ----

  addAddress(dev: string, cidr: string, o: { noDad?: boolean } = {}): void {
    const c = parseCidr(cidr, 'address');
    const what = `add address ${canonicalCidr(cidr)} to ${dev}`;
    this.conn.ack(R.addAddress(this.indexOf(dev, what), cidr, { noDad: c.family === 6 && o.noDad === true }), what);
  }

  delAddress(dev: string, cidr: string): void {
    const what = `delete address ${canonicalCidr(cidr)} from ${dev}`;
    this.conn.ack(R.delAddress(this.indexOf(dev, what), cidr), what);
  }

  /** Addresses of one link (NetError 'notfound' if it is not there) or of all links. */
  addresses(ifname?: string, family?: Family): NlAddress[] {
    let index: number | undefined;
    let names: NameOf;
    let order: Map<number, number> | undefined;
    if (ifname !== undefined) {
      index = this.indexOf(ifname, `list addresses of ${ifname}`);
      names = (i) => (i === index ? ifname : undefined);
    } else {
      const all = this.allNames();
      names = (i) => all.get(i);
      order = new Map([...all.keys()].map((i, pos) => [i, pos]));
    }
    const out: NlAddress[] = [];
    for (const m of this.conn.dump(R.dumpAddresses(family), ifname ? `list addresses of ${ifname}` : 'list addresses')) {
      const a = parseAddress(m, names);
      if (a && (index === undefined || a.ifindex === index)) out.push(a);
    }
    if (order) {
      // The kernel dumps all IPv4 addresses, then all IPv6 ones; iproute2 (and so the driver)
      // lists them link by link in link order.
      const rank = (i: number) => order.get(i) ?? Number.MAX_SAFE_INTEGER;
      out.sort((a, b) => rank(a.ifindex) - rank(b.ifindex));
    }
    return out;
  }

  /** DAD state of a link's IPv6 addresses (what lib/net/wait.ts polls /proc/net/if_inet6 for). */
  dadState(ifname: string): DadState {
    let tentative = false;
    for (const a of this.addresses(ifname, 6)) {
      if (a.dadfailed) return { state: 'dadfailed', address: a.address };
      if (a.tentative) tentative = true;
    }
    return tentative ? { state: 'tentative' } : { state: 'settled' };
  }

  // ---- routes ----

  private routeRequest(r: RouteSpec, what: string): R.RouteRequest {
    const req: R.RouteRequest = { dst: r.dst };
    if (r.gw !== undefined) req.gw = r.gw;
    if (r.dev !== undefined) req.oif = this.indexOf(r.dev, what);
    if (r.metric !== undefined) req.priority = r.metric;
    if (r.table !== undefined) req.table = r.table;
    if (r.scope !== undefined) req.scope = scopeNumber(r.scope);
    if (r.src !== undefined) req.prefsrc = r.src;
    if (r.mtu || r.advmss) {
      req.metrics = {};
      if (r.mtu) req.metrics.mtu = r.mtu;
      if (r.advmss) req.metrics.advmss = r.advmss;
    }
    if (r.nexthops) {
      req.nexthops = r.nexthops.map((h) => {
        const hop: R.NexthopSpec = {};
        if (h.gw !== undefined) hop.gw = h.gw;
        if (h.dev !== undefined) hop.oif = this.indexOf(h.dev, what);
        if (h.weight !== undefined) hop.weight = h.weight;
        return hop;
      });
    }
    return req;
  }

  addRoute(r: RouteSpec, mode: R.RouteAddMode = 'create'): void {
    const what = `add route ${routeDesc(r)}`;
    this.conn.ack(R.newRoute(this.routeRequest(r, what), mode), what);
  }

  delRoute(r: RouteSpec): void {
    const what = `delete route ${routeDesc(r)}`;
    this.conn.ack(R.delRoute(this.routeRequest(r, what)), what);
  }

  /** Routes (cache entries left out), of the main table unless `table` says otherwise. */
  routes(q: RouteQuery = {}): NlRoute[] {
    const families: Family[] = q.family ? [q.family] : [4, 6];
    const oif = q.dev !== undefined ? this.indexOf(q.dev, `list routes of ${q.dev}`) : undefined;
    const names = this.allNames();
    const table = q.table ?? C.RT_TABLE_MAIN;
    const out: NlRoute[] = [];
    for (const f of families) {
      for (const m of this.conn.dump(R.dumpRoutes(f), `list IPv${f} routes`)) {
        const r = parseRoute(m, (i) => names.get(i));
        if (!r || (table !== 'all' && r.table !== table)) continue;
        if (oif !== undefined && r.oif !== oif && !r.nexthops?.some((h) => h.oif === oif)) continue;
        out.push(r);
      }
    }
    return out;
  }

  /** The device of the first default route in the main table, IPv4 before IPv6 (macvlan's default master). */
  defaultRouteInterface(): string | undefined {
    return this.routes().find((r) => r.type === 'unicast' && r.dst === ROOT[r.family] && r.dev !== undefined)?.dev;
  }

  /** A link, its addresses and all routes (both families, all tables). */
  inspect(ifname: string): { link?: NlLink; addresses: NlAddress[]; routes: NlRoute[] } {
    const link = this.link(ifname);
    const routes = this.routes({ table: 'all' });
    if (!link) return { addresses: [], routes };
    return { link, addresses: this.addresses(ifname), routes };
  }

  /** Deletes a link after reading its addresses; a link already gone is `deleted: false`. */
  deleteLinkWithAddresses(name: string): { deleted: boolean; addresses: NlAddress[] } {
    let addresses: NlAddress[];
    try {
      addresses = this.addresses(name);
      this.deleteLink(name);
    } catch (e) {
      if (e instanceof NetlinkError && e.kind === 'notfound') return { deleted: false, addresses: [] };
      throw e;
    }
    return { deleted: true, addresses };
  }
}

function linkOpts(o: LinkOptions): R.LinkAttrs {
  const out: R.LinkAttrs = {};
  if (o.mtu) out.mtu = o.mtu;
  if (o.mac !== undefined) out.mac = o.mac;
  return out;
}

function canonicalCidr(cidr: string): string {
  const slash = cidr.indexOf('/');
  const ip = parseIp(cidr.slice(0, slash));
  return `${ip.family === 6 ? cidr.slice(0, slash).toLowerCase() : cidr.slice(0, slash)}${cidr.slice(slash)}`;
}

function routeDesc(r: RouteSpec): string {
  let s = r.dst;
  if (r.gw !== undefined) s += ` via ${r.gw}`;
  if (r.dev !== undefined) s += ` dev ${r.dev}`;
  if (r.table !== undefined) s += ` table ${r.table}`;
  return s;
}
