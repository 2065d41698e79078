import type { NetError, NetErrorKind } from './errors';
import { checkSysctlValue, sysctlPath } from './sysctl';
import { checkCidr, checkIfName, checkIp, checkMac, checkNetnsPath, checkUint, NetValidationError, type IpFamily } from './validate';

/** One operation of a batch, as it will be executed. */
export type StepOp =
  | { tool: 'ip'; line: string }
  | { tool: 'bridge'; line: string }
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
const ROUTE_VERB: Record<RouteAddMode, string> = { create: 'prepend', exclusive: 'add', replace: 'replace' };

export interface DadWaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

const onOff = (v: boolean) => (v ? 'on' : 'off');

function linkOptions(o: LinkOptions | undefined, what: string): string {
  let s = '';
  if (o?.mtu) s += ` mtu ${checkUint(o.mtu, `${what} MTU`, 68, 65535)}`;
  if (o?.mac !== undefined) s += ` address ${checkMac(o.mac, `${what} MAC address`)}`;
  return s;
}

function netnsClause(target: NetnsRef | undefined, self: NetnsRef): string {
  if (!target || (target.isCurrent && self.isCurrent)) return '';
  return ` netns ${checkNetnsPath(target.ref)}`;
}

function scopeText(scope: RouteSpec['scope']): string {
  if (typeof scope === 'number') return String(checkUint(scope, 'route scope', 0, 255));
  if (scope === 'global' || scope === 'universe' || scope === 'site' || scope === 'link' || scope === 'host') {
    return scope;
  }
  throw new NetValidationError(`invalid route scope ${JSON.stringify(scope)}`);
}

/** The selector part of a route line, shared by add and del. */
function routeSelector(r: RouteSpec): { text: string; family: IpFamily; desc: string } {
  const dst = checkCidr(r.dst, 'route destination');
  let text = dst.text;
  let desc = dst.text;
  if (r.gw !== undefined) {
    const gw = checkIp(r.gw, 'route gateway');
    if (gw.family !== dst.family) {
      throw new NetValidationError(`route to ${dst.text}: gateway ${gw.text} is of another address family`);
    }
    text += ` via ${gw.text}`;
    desc += ` via ${gw.text}`;
  }
  if (r.dev !== undefined) {
    text += ` dev ${checkIfName(r.dev)}`;
    desc += ` dev ${r.dev}`;
  }
  if (r.metric !== undefined) text += ` metric ${checkUint(r.metric, 'route metric')}`;
  if (r.table !== undefined) {
    text += ` table ${checkUint(r.table, 'route table', 1)}`;
    desc += ` table ${r.table}`;
  }
  return { text, family: dst.family, desc };
}

/**
 * Collects kernel operations for one namespace and runs them together: every run of
 * consecutive `ip` operations is one `ip -batch -`, and in another namespace the whole batch
 * (sysctls, ip, bridge, DAD wait) is one process. Every name and address is validated when the
 * step is added, so a bad value throws here and nothing runs.
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

  private ip(what: string, line: string, tolerate?: NetErrorKind[]): this {
    return this.push(what, { tool: 'ip', line }, tolerate);
  }

  createBridge(name: string, opts: BridgeOptions = {}): this {
    checkIfName(name, 'bridge name');
    const vlan = opts.vlanFiltering ? ' vlan_filtering 1' : '';
    return this.ip(`create bridge ${name}`, `link add name ${name}${linkOptions(opts, name)} type bridge${vlan}`);
  }

  /** A veth pair: `name` here, `peer.name` in `peer.netns` (created there directly). */
  createVeth(name: string, opts: LinkOptions, peer: VethPeer): this {
    checkIfName(name, 'veth name');
    checkIfName(peer.name, 'veth peer name');
    const where = peer.netns && !peer.netns.isCurrent ? ` in ${peer.netns.ref}` : '';
    return this.ip(
      `create veth ${name} with peer ${peer.name}${where}`,
      `link add name ${name}${linkOptions(opts, name)} type veth peer name ${peer.name}${linkOptions(peer, peer.name)}${netnsClause(peer.netns, this.ns)}`,
    );
  }

  createMacvlan(name: string, opts: MacvlanOptions): this {
    checkIfName(name, 'macvlan name');
    checkIfName(opts.master, 'macvlan master');
    if (!MACVLAN_MODES.includes(opts.mode)) throw new NetValidationError(`invalid macvlan mode ${JSON.stringify(opts.mode)}`);
    const bcq = opts.bcQueueLen ? ` bcqueuelen ${checkUint(opts.bcQueueLen, 'macvlan bcqueuelen')}` : '';
    const where = opts.netns && !opts.netns.isCurrent ? ` in ${opts.netns.ref}` : '';
    return this.ip(
      `create macvlan ${name} on ${opts.master}${where}`,
      `link add link ${opts.master} name ${name}${linkOptions(opts, name)}${netnsClause(opts.netns, this.ns)} type macvlan mode ${opts.mode}${bcq}`,
    );
  }

  createDummy(name: string, opts: LinkOptions = {}): this {
    checkIfName(name, 'dummy name');
    return this.ip(`create dummy ${name}`, `link add name ${name}${linkOptions(opts, name)} type dummy`);
  }

  /** Deletes a link; a link that is already gone is tolerated (kind 'notfound' in the outcome). */
  deleteLink(name: string): this {
    checkIfName(name);
    return this.ip(`delete link ${name}`, `link delete dev ${name}`, ['notfound']);
  }

  setUp(name: string): this {
    return this.ip(`set ${checkIfName(name)} up`, `link set dev ${name} up`);
  }

  setDown(name: string): this {
    return this.ip(`set ${checkIfName(name)} down`, `link set dev ${name} down`);
  }

  setMtu(name: string, mtu: number): this {
    checkIfName(name);
    checkUint(mtu, 'MTU', 68, 65535);
    return this.ip(`set MTU of ${name} to ${mtu}`, `link set dev ${name} mtu ${mtu}`);
  }

  setMac(name: string, mac: string): this {
    checkIfName(name);
    const m = checkMac(mac);
    return this.ip(`set MAC of ${name} to ${m}`, `link set dev ${name} address ${m}`);
  }

  /** Sets the link's alias (IFLA_IFALIAS), e.g. to mark who created it. */
  setAlias(name: string, alias: string): this {
    checkIfName(name);
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(alias)) throw new NetValidationError(`invalid link alias ${JSON.stringify(alias)}`);
    return this.ip(`set alias of ${name} to ${alias}`, `link set dev ${name} alias ${alias}`);
  }

  setPromisc(name: string, on: boolean): this {
    checkIfName(name);
    return this.ip(`set promisc ${onOff(on)} on ${name}`, `link set dev ${name} promisc ${onOff(on)}`);
  }

  setMaster(name: string, master: string): this {
    checkIfName(name);
    checkIfName(master, 'master name');
    return this.ip(`attach ${name} to ${master}`, `link set dev ${name} master ${master}`);
  }

  setNoMaster(name: string): this {
    checkIfName(name);
    return this.ip(`detach ${name} from its master`, `link set dev ${name} nomaster`);
  }

  rename(name: string, newName: string): this {
    checkIfName(name);
    checkIfName(newName, 'new interface name');
    return this.ip(`rename ${name} to ${newName}`, `link set dev ${name} name ${newName}`);
  }

  /** Moves a link into another namespace (by path). */
  moveToNetns(name: string, target: NetnsRef): this {
    checkIfName(name);
    return this.ip(`move ${name} to ${target.ref}`, `link set dev ${name} netns ${checkNetnsPath(target.ref)}`);
  }

  /** Bridge port flags, through `ip link set … type bridge_slave` so they stay in the ip batch. */
  setBridgePort(name: string, flags: { hairpin?: boolean; isolated?: boolean }): this {
    checkIfName(name);
    let args = '';
    const desc: string[] = [];
    if (flags.hairpin !== undefined) {
      args += ` hairpin ${onOff(flags.hairpin)}`;
      desc.push(`hairpin ${onOff(flags.hairpin)}`);
    }
    if (flags.isolated !== undefined) {
      args += ` isolated ${onOff(flags.isolated)}`;
      desc.push(`isolated ${onOff(flags.isolated)}`);
    }
    if (!args) return this;
    return this.ip(`set ${desc.join(', ')} on bridge port ${name}`, `link set dev ${name} type bridge_slave${args}`);
  }

  /** A VLAN on a bridge port (`bridge vlan add`); `pvid` + `untagged` make it the native VLAN. */
  bridgeVlanAdd(port: string, vid: number, opts: { pvid?: boolean; untagged?: boolean } = {}): this {
    checkIfName(port);
    checkUint(vid, 'VLAN id', 1, 4094);
    const extra = `${opts.pvid ? ' pvid' : ''}${opts.untagged ? ' untagged' : ''}`;
    return this.push(`add VLAN ${vid}${extra} to ${port}`, { tool: 'bridge', line: `vlan add dev ${port} vid ${vid}${extra}` });
  }

  bridgeVlanDel(port: string, vid: number): this {
    checkIfName(port);
    checkUint(vid, 'VLAN id', 1, 4094);
    return this.push(`remove VLAN ${vid} from ${port}`, { tool: 'bridge', line: `vlan del dev ${port} vid ${vid}` });
  }

  /**
   * Adds an address. IPv4 gets the broadcast address computed (`brd +`) for prefixes up to /30,
   * as the reference's netlink library does; `noDad` skips IPv6 duplicate address detection.
   */
  addAddress(dev: string, cidr: string, opts: { noDad?: boolean } = {}): this {
    checkIfName(dev);
    const c = checkCidr(cidr, 'address');
    const brd = c.family === 4 && c.prefix < 31 ? ' brd +' : '';
    const nodad = c.family === 6 && opts.noDad ? ' nodad' : '';
    return this.ip(`add address ${c.text} to ${dev}`, `address add ${c.text}${brd} dev ${dev}${nodad}`);
  }

  delAddress(dev: string, cidr: string): this {
    checkIfName(dev);
    const c = checkCidr(cidr, 'address');
    return this.ip(`delete address ${c.text} from ${dev}`, `address del ${c.text} dev ${dev}`);
  }

  addRoute(route: RouteSpec, mode: RouteAddMode = 'create'): this {
    const sel = routeSelector(route);
    let text = sel.text;
    if (route.scope !== undefined) text += ` scope ${scopeText(route.scope)}`;
    if (route.src !== undefined) {
      const src = checkIp(route.src, 'route source');
      if (src.family !== sel.family) throw new NetValidationError(`route to ${route.dst}: source ${src.text} is of another address family`);
      text += ` src ${src.text}`;
    }
    if (route.mtu) text += ` mtu ${checkUint(route.mtu, 'route MTU', 68, 65535)}`;
    if (route.advmss) text += ` advmss ${checkUint(route.advmss, 'route advmss', 1, 65535)}`;
    return this.ip(`add route ${sel.desc}`, `route ${ROUTE_VERB[mode]} ${text}`);
  }

  delRoute(route: RouteSpec): this {
    const sel = routeSelector(route);
    return this.ip(`delete route ${sel.desc}`, `route del ${sel.text}`);
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
