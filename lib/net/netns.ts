import fs from 'node:fs';
import { NetnsHandle, type NetnsTarget, type Rtnl } from '../netlink';
import { Batch, type DadWaitOptions, type NetnsRef } from './batch';
import { NetError } from './errors';
import { runSteps } from './run-steps';
import { readSysctl, sysctlPath } from './sysctl';
import type { Address, Link, Route } from './types';
import { checkAnyNetnsPath, checkIfName, checkKernelIfName, checkNetnsPath, type IpFamily } from './validate';
import { OPERSTATE_DELAYS_MS, pollOperstate } from './wait';

export type NetnsStatus = 'netns' | 'missing' | 'not-netns';

let nsfsDev: number | undefined;

/**
 * Whether `path` is a namespace file (on nsfs: /proc/<pid>/ns/*, or a bind mount of one such as
 * /run/netns/x). A name under /run/netns whose mount is gone is an empty file: 'not-netns'.
 * Like the reference, the namespace type is checked only when it is entered.
 */
export function netnsStatus(path: string): NetnsStatus {
  let st: fs.Stats;
  try {
    st = fs.statSync(path);
  } catch {
    return 'missing';
  }
  nsfsDev ??= fs.statSync('/proc/self/ns/net').dev;
  return st.dev === nsfsDev ? 'netns' : 'not-netns';
}

export interface RouteQuery {
  /** Absent: both families. */
  family?: IpFamily;
  /** A table number, or 'all'. Default: main (254), as the reference's RouteList. */
  table?: number | 'all';
  dev?: string;
}

export interface LinkSnapshot {
  link?: Link;
  addresses: Address[];
  /** Routes of both families in all tables. */
  routes: Route[];
}

let hostHandle: NetnsHandle | undefined;

/**
 * A network namespace: the current one (this process's, i.e. the host side a plugin runs in) or
 * one given by path. Everything goes over rtnetlink in-process (lib/netlink): the path is opened
 * once, on first use, and that fd and its socket serve the handle for the rest of the call, so a
 * recycled /proc/<pid>/ns/net path cannot switch targets half way. A handle can be made before
 * the path exists.
 */
export class Netns implements NetnsRef {
  private opened: NetnsHandle | undefined;

  private constructor(private readonly nsPath: string | undefined) {}

  /** This process's own namespace. */
  static current(): Netns {
    return new Netns(undefined);
  }

  /** The namespace bound at `path` (/run/netns/x, /var/run/netns/x, /proc/<pid>/ns/net, …). */
  static at(path: string): Netns {
    return new Netns(checkNetnsPath(path));
  }

  /**
   * For DEL, which must clean up whatever a namespace path a runtime (or another implementation)
   * used: any absolute path. Only ever opened as a whole (never part of a command line), and such
   * a handle cannot place links (Batch checks the paths it places links in as Netns.at does).
   */
  static atAnyPath(path: string): Netns {
    return new Netns(checkAnyNetnsPath(path));
  }

  get isCurrent(): boolean {
    return this.nsPath === undefined;
  }

  /** A path another process can open to reach this namespace. */
  get ref(): string {
    return this.nsPath ?? `/proc/${process.pid}/ns/net`;
  }

  toString(): string {
    return this.nsPath ?? 'the current network namespace';
  }

  status(): NetnsStatus {
    return this.nsPath === undefined ? 'netns' : netnsStatus(this.nsPath);
  }

  /** The open namespace (opened on first use; NetError 'notfound' with netnsGone if the path is gone). */
  handle(): NetnsHandle {
    if (this.nsPath === undefined) {
      hostHandle ??= NetnsHandle.host();
      return hostHandle;
    }
    this.opened ??= NetnsHandle.open(this.nsPath);
    return this.opened;
  }

  private rtnl(): Rtnl {
    return this.handle().rtnl();
  }

  /** A batch of writes for this namespace. */
  batch(): Batch {
    return new Batch(this, async (steps) => {
      this.handle(); // a namespace that cannot be entered fails the batch as such, not a step
      return runSteps(
        {
          rtnl: () => this.rtnl(),
          writeSysctl: (path, value) => this.handle().writeSysctl(path, value),
          target: (ref) => targetOf(ref),
        },
        steps,
      );
    });
  }

  /** The link called exactly `name`, undefined if there is none. */
  async link(name: string): Promise<Link | undefined> {
    checkIfName(name);
    return this.rtnl().link(name);
  }

  async links(): Promise<Link[]> {
    return this.rtnl().links();
  }

  /** Addresses of one link (NetError 'notfound' if it is not there) or of all links. */
  async addresses(ifname?: string): Promise<Address[]> {
    if (ifname !== undefined) checkIfName(ifname);
    return this.rtnl().addresses(ifname);
  }

  /** Routes (of the main table unless `table` says otherwise). */
  async routes(q: RouteQuery = {}): Promise<Route[]> {
    if (q.dev !== undefined) checkIfName(q.dev);
    return this.rtnl().routes(q);
  }

  /**
   * The reference macvlan's default master: the device of the first default route in the main
   * table, IPv4 before IPv6. Undefined when there is none.
   */
  async defaultRouteInterface(): Promise<string | undefined> {
    return this.rtnl().defaultRouteInterface();
  }

  /** A link, its addresses and all routes (both families, all tables). */
  async inspect(ifname: string): Promise<LinkSnapshot> {
    checkIfName(ifname);
    return this.rtnl().inspect(ifname);
  }

  /**
   * Deletes a link, tolerant as CNI DEL must be: a link or a namespace that is already gone is
   * `deleted: false`, not an error. The link's addresses are read just before (DEL needs them to
   * tear down masquerading). Takes any name the kernel accepts and acts only on the link with
   * exactly that name (netlink looks names up exactly; `ifN` is a name like any other).
   */
  async deleteLink(name: string): Promise<{ deleted: boolean; addresses: Address[]; netnsGone: boolean }> {
    checkKernelIfName(name);
    try {
      return { ...this.rtnl().deleteLinkWithAddresses(name), netnsGone: false };
    } catch (e) {
      if (e instanceof NetError && e.netnsGone) return { deleted: false, addresses: [], netnsGone: true };
      throw e;
    }
  }

  /** Reads a sysctl of this namespace. */
  async readSysctl(key: string): Promise<string> {
    if (this.nsPath === undefined) return readSysctl(key);
    return this.handle().readSysctl(sysctlPath(key));
  }

  /** operstate of a link ('up', 'down', …), undefined when there is no such link. */
  async operstate(ifname: string): Promise<string | undefined> {
    checkIfName(ifname);
    return this.rtnl().operstate(ifname);
  }

  /** VLAN ids configured on a bridge port (empty for a port without VLAN entries). */
  async portVlans(port: string): Promise<number[]> {
    checkIfName(port);
    return this.rtnl()
      .portVlans(port)
      .map((v) => v.vid);
  }

  /**
   * Waits for a link to be operationally up on the reference's schedule (0/50/500/1000/1000 ms);
   * returns the last operstate seen ('up' on success, 'missing' for no such link).
   */
  waitForOperUp(ifname: string, delaysMs: readonly number[] = OPERSTATE_DELAYS_MS): Promise<string> {
    checkIfName(ifname);
    return pollOperstate(() => this.operstate(ifname), delaysMs);
  }

  /** See Batch.waitForDad: a one-step batch. */
  async waitForDad(ifname: string, opts: DadWaitOptions = {}): Promise<void> {
    await this.batch().waitForDad(ifname, opts).run();
  }
}

/** The open namespace of a placement: a Netns's own handle, else the path opened (and kept). */
const placements = new Map<string, NetnsHandle>();
function targetOf(ref: NetnsRef): NetnsTarget {
  if (ref instanceof Netns) return ref.handle();
  if (ref.isCurrent) return Netns.current().handle();
  let h = placements.get(ref.ref);
  if (!h) {
    h = NetnsHandle.open(ref.ref);
    placements.set(ref.ref, h);
  }
  return h;
}

/** The namespace this process runs in (the host side for a plugin). */
export function currentNs(): Netns {
  return Netns.current();
}

/** The namespace at `path` (CNI_NETNS). */
export function nsAt(path: string): Netns {
  return Netns.at(path);
}
