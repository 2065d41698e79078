import type { NetError, NetErrorKind } from './errors';
import { checkSysctlValue, sysctlPath } from './sysctl';
import { checkCidr, checkIfName, checkIp, checkMac, checkNetnsPath, checkUint, NetValidationError, type IpFamily } from './validate';

/** One rtnetlink operation of a batch, with the arguments the step was validated with. */
export type RtnlCall =
  | { op: 'createBridge'; name: string; opts: BridgeOptions }
  | { op: 'createVeth'; name: string; opts: LinkOptions; peer: VethPeer }
  | { op: 'createMacvlan'; name: string; opts: MacvlanOptions }
  | { op: 'createDummy'; name: string; opts: LinkOptions }
  | { op: 'deleteLink' | 'setUp'; name: string }
  | { op: 'setMac'; name: string; mac: string }
  | { op: 'setAlias'; name: string; alias: string }
  | { op: 'setPromisc'; name: string; on: boolean }
  | { op: 'setMaster'; name: string; master: string }
  | { op: 'rename'; name: string; newName: string }
  | { op: 'setBridgePort'; name: string; flags: { hairpin?: boolean; isolated?: boolean } }
  | { op: 'bridgeVlanAdd'; port: string; vid: number; flags: { pvid?: boolean; untagged?: boolean } }
  | { op: 'bridgeVlanDel'; port: string; vid: number }
  | { op: 'addAddress'; dev: string; cidr: string; noDad: boolean }
  | { op: 'delAddress'; dev: string; cidr: string }
  | { op: 'addRoute'; route: RouteSpec; mode: RouteAddMode };

/** One operation of a batch, as it will be executed. */
export type StepOp =
  | { tool: 'rtnl'; call: RtnlCall }
  | { tool: 'sysctl'; path: string; value: string; ignoreErrors: boolean }
  | { tool: 'dad'; ifname: string; timeoutMs: number; intervalMs: number };

export interface Step {
  /** What the step does, for error messages: "add address 10.1.0.5/24 to eth0". */
  what: string;
  op: StepOp;
  /** Failures of these kinds are recorded and the batch goes on. */
  tolerate: NetErrorKind[];
}

export interface BatchOutcome {
  /** Steps that failed in a tolerated way (e.g. "create bridge cni0" with kind 'exists'). */
  tolerated: Array<{ index: number; what: string; error: NetError }>;
}

/** Where a new link (a veth peer, a macvlan) is placed: a namespace addressable by path. */
export interface NetnsRef {
  readonly isCurrent: boolean;
  /** A path any process can open: /run/netns/x, /proc/<pid>/ns/net, … */
  readonly ref: string;
}

export interface LinkOptions {
  /** 0 or absent: the kernel's default. */
  mtu?: number;
  mac?: string;
}

export interface VethPeer extends LinkOptions {
  name: string;
  /** Namespace the peer is created in; absent: the batch's own. */
  netns?: NetnsRef;
}

export type MacvlanMode = 'bridge' | 'private' | 'vepa' | 'passthru' | 'source';
const MACVLAN_MODES: readonly string[] = ['bridge', 'private', 'vepa', 'passthru', 'source'];

export interface MacvlanOptions extends LinkOptions {
  master: string;
  mode: MacvlanMode;
  /** Broadcast/multicast queue length (IFLA_MACVLAN_BC_QUEUE_LEN); 0 or absent: kernel default. */
  bcQueueLen?: number;
  /** Namespace the macvlan is created in (directly, so its name never meets this namespace's links). */
  netns?: NetnsRef;
}

export interface BridgeOptions extends LinkOptions {
  vlanFiltering?: boolean;
}

export interface RouteSpec {
  dst: string;
  gw?: string;
  dev?: string;
  /** Route priority (metric). */
  metric?: number;
  table?: number;
  /** Numeric rtnetlink scope (0 universe, 253 link, 254 host) or its name. */
  scope?: number | 'global' | 'universe' | 'site' | 'link' | 'host';
  src?: string;
  /** Path MTU for this route (RTAX_MTU); absent or 0: the device's. */
  mtu?: number;
  /** TCP MSS advertised on connections over this route (RTAX_ADVMSS); absent or 0: derived from the MTU. */
  advmss?: number;
}

/**
 * How `addRoute` treats an existing route to the same destination:
 * - `create` (ip route prepend, NLM_F_CREATE alone — the reference's RouteAddEcmp): another route
 *   with a different gateway is added beside it; only an identical route fails with 'exists';
 * - `exclusive` (ip route add, NLM_F_CREATE|NLM_F_EXCL): any route with that destination and
 *   metric fails with 'exists';
 * - `replace` (ip route replace): the existing route is replaced.
 */
export type RouteAddMode = 'create' | 'exclusive' | 'replace';

export interface DadWaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

const onOff = (v: boolean) => (v ? 'on' : 'off');

function linkOptions<T extends LinkOptions>(o: T, what: string): T {
  const out = { ...o };
  if (o.mtu) checkUint(o.mtu, `${what} MTU`, 68, 65535);
  else delete out.mtu;
  if (o.mac !== undefined) out.mac = checkMac(o.mac, `${what} MAC address`);
  return out;
}

/** A namespace a link is placed in; absent when it is the batch's own. */
function placement(target: NetnsRef | undefined, self: NetnsRef): NetnsRef | undefined {
  if (!target || target === self || (target.isCurrent && self.isCurrent)) return undefined;
  if (!target.isCurrent) checkNetnsPath(target.ref);
  return target;
}

function checkScope(scope: RouteSpec['scope']): void {
  if (typeof scope === 'number') checkUint(scope, 'route scope', 0, 255);
  else if (scope !== 'global' && scope !== 'universe' && scope !== 'site' && scope !== 'link' && scope !== 'host') {
    throw new NetValidationError(`invalid route scope ${JSON.stringify(scope)}`);
  }
}

/** The selector part of a route, shared by add and del: validated and canonical. */
function routeSelector(r: RouteSpec): { route: RouteSpec; family: IpFamily; desc: string } {
  const dst = checkCidr(r.dst, 'route destination');
  const route: RouteSpec = { dst: dst.text };
  let desc = dst.text;
  if (r.gw !== undefined) {
    const gw = checkIp(r.gw, 'route gateway');
    if (gw.family !== dst.family) {
      throw new NetValidationError(`route to ${dst.text}: gateway ${gw.text} is of another address family`);
    }
    route.gw = gw.text;
    desc += ` via ${gw.text}`;
  }
  if (r.dev !== undefined) {
    route.dev = checkIfName(r.dev);
    desc += ` dev ${r.dev}`;
  }
  if (r.metric !== undefined) route.metric = checkUint(r.metric, 'route metric');
  if (r.table !== undefined) {
    route.table = checkUint(r.table, 'route table', 1);
    desc += ` table ${r.table}`;
  }
  return { route, family: dst.family, desc };
}

/**
 * Collects kernel operations for one namespace and runs them in order over that namespace's
 * rtnetlink socket (sysctls and DAD waits inside the same namespace). Every name and address is
 * validated when the step is added, so a bad value throws here and nothing runs.
 */
export class Batch {
  private readonly list: Step[] = [];

  constructor(
    private readonly ns: NetnsRef,
    private readonly runner: (steps: readonly Step[]) => Promise<BatchOutcome>,
  ) {}

  get steps(): readonly Step[] {
    return this.list;
  }

  get size(): number {
    return this.list.length;
  }

  /** Runs the steps in order; throws the first untolerated failure as a NetError. */
  run(): Promise<BatchOutcome> {
    if (this.list.length === 0) return Promise.resolve({ tolerated: [] });
    return this.runner(this.list.slice());
  }

  /** Failures of these kinds in the step just added are recorded instead of stopping the batch. */
  tolerating(...kinds: NetErrorKind[]): this {
    const last = this.list[this.list.length - 1];
    if (!last) throw new Error('tolerating() needs a step before it');
    last.tolerate = [...new Set([...last.tolerate, ...kinds])];
    return this;
  }

  private push(what: string, op: StepOp, tolerate: NetErrorKind[] = []): this {
    this.list.push({ what, op, tolerate });
    return this;
  }

  private rtnl(what: string, call: RtnlCall, tolerate?: NetErrorKind[]): this {
    return this.push(what, { tool: 'rtnl', call }, tolerate);
  }

  createBridge(name: string, opts: BridgeOptions = {}): this {
    checkIfName(name, 'bridge name');
    const o: BridgeOptions = linkOptions(opts, name);
    if (!o.vlanFiltering) delete o.vlanFiltering;
    return this.rtnl(`create bridge ${name}`, { op: 'createBridge', name, opts: o });
  }

  /** A veth pair: `name` here, `peer.name` in `peer.netns` (created there directly). */
  createVeth(name: string, opts: LinkOptions, peer: VethPeer): this {
    checkIfName(name, 'veth name');
    checkIfName(peer.name, 'veth peer name');
    const p: VethPeer = linkOptions(peer, peer.name);
    const netns = placement(peer.netns, this.ns);
    if (netns) p.netns = netns;
    else delete p.netns;
    const where = peer.netns && !peer.netns.isCurrent ? ` in ${peer.netns.ref}` : '';
    return this.rtnl(`create veth ${name} with peer ${peer.name}${where}`, {
      op: 'createVeth',
      name,
      opts: linkOptions(opts, name),
      peer: p,
    });
  }

  createMacvlan(name: string, opts: MacvlanOptions): this {
    checkIfName(name, 'macvlan name');
    checkIfName(opts.master, 'macvlan master');
    if (!MACVLAN_MODES.includes(opts.mode)) throw new NetValidationError(`invalid macvlan mode ${JSON.stringify(opts.mode)}`);
    const o: MacvlanOptions = linkOptions(opts, name);
    if (opts.bcQueueLen) checkUint(opts.bcQueueLen, 'macvlan bcqueuelen');
    else delete o.bcQueueLen;
    const netns = placement(opts.netns, this.ns);
    if (netns) o.netns = netns;
    else delete o.netns;
    const where = opts.netns && !opts.netns.isCurrent ? ` in ${opts.netns.ref}` : '';
    return this.rtnl(`create macvlan ${name} on ${opts.master}${where}`, { op: 'createMacvlan', name, opts: o });
  }

  createDummy(name: string, opts: LinkOptions = {}): this {
    checkIfName(name, 'dummy name');
    return this.rtnl(`create dummy ${name}`, { op: 'createDummy', name, opts: linkOptions(opts, name) });
  }

  /** Deletes a link; a link that is already gone is tolerated (kind 'notfound' in the outcome). */
  deleteLink(name: string): this {
    checkIfName(name);
    return this.rtnl(`delete link ${name}`, { op: 'deleteLink', name }, ['notfound']);
  }

  setUp(name: string): this {
    return this.rtnl(`set ${checkIfName(name)} up`, { op: 'setUp', name });
  }

  setMac(name: string, mac: string): this {
    checkIfName(name);
    const m = checkMac(mac);
    return this.rtnl(`set MAC of ${name} to ${m}`, { op: 'setMac', name, mac: m });
  }

  /** Sets the link's alias (IFLA_IFALIAS), e.g. to mark who created it. */
  setAlias(name: string, alias: string): this {
    checkIfName(name);
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(alias)) throw new NetValidationError(`invalid link alias ${JSON.stringify(alias)}`);
    return this.rtnl(`set alias of ${name} to ${alias}`, { op: 'setAlias', name, alias });
  }

  setPromisc(name: string, on: boolean): this {
    checkIfName(name);
    return this.rtnl(`set promisc ${onOff(on)} on ${name}`, { op: 'setPromisc', name, on });
  }

  setMaster(name: string, master: string): this {
    checkIfName(name);
    checkIfName(master, 'master name');
    return this.rtnl(`attach ${name} to ${master}`, { op: 'setMaster', name, master });
  }

  rename(name: string, newName: string): this {
    checkIfName(name);
    checkIfName(newName, 'new interface name');
    return this.rtnl(`rename ${name} to ${newName}`, { op: 'rename', name, newName });
  }

  /** Bridge port flags (IFLA_INFO_SLAVE_DATA, as `ip link set … type bridge_slave`). */
  setBridgePort(name: string, flags: { hairpin?: boolean; isolated?: boolean }): this {
    checkIfName(name);
    const f: { hairpin?: boolean; isolated?: boolean } = {};
    const desc: string[] = [];
    if (flags.hairpin !== undefined) {
      f.hairpin = flags.hairpin;
      desc.push(`hairpin ${onOff(flags.hairpin)}`);
    }
    if (flags.isolated !== undefined) {
      f.isolated = flags.isolated;
      desc.push(`isolated ${onOff(flags.isolated)}`);
    }
    if (desc.length === 0) return this;
    return this.rtnl(`set ${desc.join(', ')} on bridge port ${name}`, { op: 'setBridgePort', name, flags: f });
  }

  /** A VLAN on a bridge port; `pvid` + `untagged` make it the native VLAN. */
  bridgeVlanAdd(port: string, vid: number, opts: { pvid?: boolean; untagged?: boolean } = {}): this {
    checkIfName(port);
    checkUint(vid, 'VLAN id', 1, 4094);
    const extra = `${opts.pvid ? ' pvid' : ''}${opts.untagged ? ' untagged' : ''}`;
    const flags: { pvid?: boolean; untagged?: boolean } = {};
    if (opts.pvid) flags.pvid = true;
    if (opts.untagged) flags.untagged = true;
    return this.rtnl(`add VLAN ${vid}${extra} to ${port}`, { op: 'bridgeVlanAdd', port, vid, flags });
  }

  bridgeVlanDel(port: string, vid: number): this {
    checkIfName(port);
    checkUint(vid, 'VLAN id', 1, 4094);
    return this.rtnl(`remove VLAN ${vid} from ${port}`, { op: 'bridgeVlanDel', port, vid });
  }

  /**
   * Adds an address. IPv4 gets the broadcast address computed (`brd +`) for prefixes up to /30,
   * as the reference's netlink library does; `noDad` skips IPv6 duplicate address detection.
   */
  addAddress(dev: string, cidr: string, opts: { noDad?: boolean } = {}): this {
    checkIfName(dev);
    const c = checkCidr(cidr, 'address');
    return this.rtnl(`add address ${c.text} to ${dev}`, {
      op: 'addAddress',
      dev,
      cidr: c.text,
      noDad: c.family === 6 && opts.noDad === true,
    });
  }

  delAddress(dev: string, cidr: string): this {
    checkIfName(dev);
    const c = checkCidr(cidr, 'address');
    return this.rtnl(`delete address ${c.text} from ${dev}`, { op: 'delAddress', dev, cidr: c.text });
  }

  addRoute(route: RouteSpec, mode: RouteAddMode = 'create'): this {
    const sel = routeSelector(route);
    const r = sel.route;
    if (route.scope !== undefined) {
      checkScope(route.scope);
      r.scope = route.scope;
    }
    if (route.src !== undefined) {
      const src = checkIp(route.src, 'route source');
      if (src.family !== sel.family) throw new NetValidationError(`route to ${route.dst}: source ${src.text} is of another address family`);
      r.src = src.text;
    }
    if (route.mtu) r.mtu = checkUint(route.mtu, 'route MTU', 68, 65535);
    if (route.advmss) r.advmss = checkUint(route.advmss, 'route advmss', 1, 65535);
    return this.rtnl(`add route ${sel.desc}`, { op: 'addRoute', route: r, mode });
  }

  /** Writes /proc/sys/<key> in this namespace (key in the reference's dot-or-slash form). */
  sysctl(key: string, value: string | number, opts: { ignoreErrors?: boolean } = {}): this {
    const path = sysctlPath(key);
    const v = checkSysctlValue(value);
    return this.push(`set sysctl ${path}=${v}`, { tool: 'sysctl', path, value: v, ignoreErrors: opts.ignoreErrors ?? false });
  }

  /**
   * Waits until no IPv6 address of `ifname` is tentative (polling, 50 ms, 5 s by default). A
   * `dadfailed` address fails the step; running out of time fails it only when the link is
   * operationally up (a link without carrier never finishes DAD).
   */
  waitForDad(ifname: string, opts: DadWaitOptions = {}): this {
    checkIfName(ifname);
    const timeoutMs = checkUint(opts.timeoutMs ?? 5000, 'DAD timeout', 0, 600_000);
    const intervalMs = checkUint(opts.intervalMs ?? 50, 'DAD poll interval', 1, 60_000);
    return this.push(`wait for duplicate address detection on ${ifname}`, { tool: 'dad', ifname, timeoutMs, intervalMs });
  }
}
