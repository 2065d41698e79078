import fs from 'node:fs';
import { Batch, type DadWaitOptions } from './batch';
import { kindOf, NetError, reasonOf } from './errors';
import { execFile, type ExecResult } from './exec';
import { parseAddresses, parseLinks, parseRoutes, splitJsonDocuments } from './ip-json';
import { locateBatchFailure, runSteps } from './run-steps';
import { readSysctl, sysctlPath } from './sysctl';
import { toolPath } from './tools';
import type { Address, Link, Route } from './types';
import { checkAnyNetnsPath, checkIfName, checkKernelIfName, checkNetnsPath, isIfindexShorthand, isIfName, type IpFamily } from './validate';
import { OPERSTATE_DELAYS_MS, pollOperstate, readOperstateFromSysfs, sysfsShowsCurrentNs } from './wait';

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

let varRunIsRun: boolean | undefined;

// `ip -n NAME` / `bridge -n NAME` open NAME under /run/netns themselves, which saves the extra
// exec of nsenter (~1.2 ms measured); anything else is entered with nsenter.
function runNetnsName(path: string): string | undefined {
  const m = /^\/(?:var\/)?run\/netns\/([A-Za-z0-9_.:@+=,-]+)$/.exec(path);
  if (!m || m[1] === '.' || m[1] === '..') return undefined;
  if (path.startsWith('/var/')) {
    if (varRunIsRun === undefined) {
      try {
        varRunIsRun = fs.realpathSync('/var/run') === '/run';
      } catch {
        varRunIsRun = false;
      }
    }
    if (!varRunIsRun) return undefined;
  }
  return m[1];
}

const IPROUTE_TOOLS = new Set(['ip', 'bridge']);

/** A failure to enter the namespace (reported by nsenter or by `ip -n`), as a NetError. */
export function entryFailure(path: string, r: ExecResult): NetError | undefined {
  const line = r.stderr.split('\n').find((l) => /^nsenter: |^Cannot open network namespace|^setting the network namespace/.test(l));
  if (!line) return undefined;
  const gone = /No such file or directory/.test(line);
  const reason = gone
    ? 'no such network namespace'
    : /Invalid argument/.test(line)
      ? 'not a network namespace'
      : reasonOf([line.replace(/^nsenter: /, '')], 'cannot enter');
  return new NetError(`enter network namespace ${path}`, reason, gone ? 'notfound' : kindOf(reason), {
    stderr: r.stderr,
    netnsGone: gone,
  });
}

const ROUTE_ROOT: Record<IpFamily, string> = { 4: '0.0.0.0/0', 6: '::/0' };

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

/**
 * A network namespace: the current one (this process's, i.e. the host side a plugin runs in) or
 * one given by path. Reads are `ip -json` runs, writes are collected in a `batch()`. For another
 * namespace every operation enters it afresh, so a handle can be made before the path exists.
 */
export class Netns {
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
   * used: any absolute path. It is only ever passed as a whole argument (nsenter --net=PATH);
   * a batch line that names it checks it as Netns.at does, so such a handle cannot set up links.
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

  /** Same namespace (same nsfs inode). False when either cannot be looked at. */
  sameAs(other: Netns): boolean {
    try {
      const a = fs.statSync(this.ref);
      const b = fs.statSync(other.ref);
      return a.dev === b.dev && a.ino === b.ino;
    } catch {
      return false;
    }
  }

  /**
   * Runs a program in this namespace with `input` on stdin (e.g. `nft -f -`). Resolves with its
   * exit status and output whatever the status; throws a NetError (netnsGone for a missing path)
   * only when the namespace itself cannot be entered.
   */
  async exec(file: string, args: readonly string[], input = ''): Promise<ExecResult> {
    if (this.nsPath === undefined) return execFile(toolPath(file), args, input);
    const status = netnsStatus(this.nsPath);
    if (status !== 'netns') {
      const gone = status === 'missing';
      throw new NetError(
        `enter network namespace ${this.nsPath}`,
        gone ? 'no such network namespace' : 'not a network namespace',
        gone ? 'notfound' : 'other',
        {
          netnsGone: gone,
        },
      );
    }
    const name = IPROUTE_TOOLS.has(file) || IPROUTE_TOOLS.has(file.split('/').pop() ?? '') ? runNetnsName(this.nsPath) : undefined;
    const r =
      name !== undefined
        ? await execFile(toolPath(file), ['-n', name, ...args], input)
        : await execFile(toolPath('nsenter'), [`--net=${this.nsPath}`, '--', toolPath(file), ...args], input);
    if (r.status !== 0) {
      const entry = entryFailure(this.nsPath, r);
      if (entry) throw entry;
    }
    return r;
  }

  /** A batch of writes for this namespace. */
  batch(): Batch {
    return new Batch(this, (steps) =>
      runSteps(
        { isCurrent: this.isCurrent, ref: this.ref, exec: (f, a, i) => this.exec(f, a, i), operstate: (n) => this.operstate(n) },
        steps,
      ),
    );
  }

  /**
   * Runs a read-only `ip` command. A dump that raced with a change comes back "interrupted" (the
   * kernel's NLM_F_DUMP_INTR) and is retried, five attempts in all, as the reference does.
   */
  private async ipRead(args: readonly string[], input = ''): Promise<ExecResult> {
    let r = await this.exec('ip', args, input);
    for (let i = 1; i < 5 && r.status !== 0 && r.stderr.includes('Dump was interrupted'); i++) r = await this.exec('ip', args, input);
    return r;
  }

  private async ipJson(args: readonly string[], what: string): Promise<string> {
    const r = await this.ipRead(['-json', ...args]);
    if (r.status !== 0) {
      const reason = reasonOf(r.stderr.split('\n'), `exit status ${r.status}`);
      throw new NetError(what, reason, kindOf(reason), { stderr: r.stderr });
    }
    return r.stdout;
  }

  /**
   * `ip -json [-d] -force -batch -` for several show commands in one process: one entry per
   * line, undefined for a line that failed (e.g. a link that is not there).
   */
  private async ipJsonBatch(lines: readonly string[], details: boolean): Promise<Array<string | undefined>> {
    const r = await this.ipRead(['-json', ...(details ? ['-d'] : []), '-force', '-batch', '-'], lines.join('\n') + '\n');
    const failed = new Set([...r.stderr.matchAll(/^Command failed -:(\d+)/gm)].map((m) => Number(m[1]) - 1));
    if (r.status !== 0 && failed.size === 0) {
      const reason = reasonOf(r.stderr.split('\n'), `exit status ${r.status}`);
      throw new NetError(`read ${lines.join('; ')}`, reason, kindOf(reason), { stderr: r.stderr });
    }
    const docs = splitJsonDocuments(r.stdout);
    return lines.map((_, i) => (failed.has(i) ? undefined : docs.shift()));
  }

  /** The link called `name`, undefined if there is none. */
  async link(name: string): Promise<Link | undefined> {
    checkIfName(name);
    const r = await this.ipRead(['-json', '-d', 'link', 'show', 'dev', name]);
    if (r.status !== 0) {
      const reason = reasonOf(r.stderr.split('\n'), `exit status ${r.status}`);
      if (kindOf(reason) === 'notfound') return undefined;
      throw new NetError(`read link ${name}`, reason, kindOf(reason), { stderr: r.stderr });
    }
    // An iproute2 that read `name` as an ifindex shorthand answers with another link.
    const link = parseLinks(r.stdout)[0];
    return link?.name === name ? link : undefined;
  }

  async links(): Promise<Link[]> {
    return parseLinks(await this.ipJson(['-d', 'link', 'show'], 'list links'));
  }

  /** Addresses of one link (NetError 'notfound' if it is not there) or of all links. */
  async addresses(ifname?: string): Promise<Address[]> {
    if (ifname === undefined) return parseAddresses(await this.ipJson(['address', 'show'], 'list addresses'));
    checkIfName(ifname);
    return parseAddresses(await this.ipJson(['address', 'show', 'dev', ifname], `list addresses of ${ifname}`));
  }

  /**
   * Routes. iproute2 does not print a route's family, so each family is asked for separately
   * (`root 0.0.0.0/0` / `root ::/0` across all tables), both in one process.
   */
  async routes(q: RouteQuery = {}): Promise<Route[]> {
    const families: IpFamily[] = q.family ? [q.family] : [4, 6];
    const dev = q.dev !== undefined ? ` dev ${checkIfName(q.dev)}` : '';
    const docs = await this.ipJsonBatch(
      families.map((f) => `route show table all root ${ROUTE_ROOT[f]}${dev}`),
      false,
    );
    if (q.dev !== undefined && docs.some((d) => d === undefined)) {
      throw new NetError(`list routes of ${q.dev}`, `Cannot find device "${q.dev}"`, 'notfound');
    }
    const table = q.table ?? 254;
    return families.flatMap((f, i) => parseRoutes(docs[i] ?? '[]', f)).filter((r) => table === 'all' || r.table === table);
  }

  /**
   * The reference macvlan's default master: the device of the first default route in the main
   * table, IPv4 before IPv6. Undefined when there is none.
   */
  async defaultRouteInterface(): Promise<string | undefined> {
    const routes = await this.routes();
    return routes.find((r) => r.type === 'unicast' && r.dst === ROUTE_ROOT[r.family] && r.dev !== undefined)?.dev;
  }

  /** A link, its addresses and all routes (both families, all tables), in one process. */
  async inspect(ifname: string): Promise<LinkSnapshot> {
    checkIfName(ifname);
    // `ip -d address show` carries the link's details as well. It must come first: after a
    // `link show`, iproute2 keeps printing links without addresses for the rest of a batch.
    const [addrs, v4, v6] = await this.ipJsonBatch(
      [`address show dev ${ifname}`, `route show table all root ${ROUTE_ROOT[4]}`, `route show table all root ${ROUTE_ROOT[6]}`],
      true,
    );
    const snap: LinkSnapshot = {
      addresses: addrs ? parseAddresses(addrs) : [],
      routes: [...parseRoutes(v4 ?? '[]', 4), ...parseRoutes(v6 ?? '[]', 6)],
    };
    const link = addrs ? parseLinks(addrs)[0] : undefined;
    if (link && link.name !== ifname) snap.addresses = [];
    else if (link) snap.link = link;
    return snap;
  }

  /**
   * Deletes a link, tolerant as CNI DEL must be: a link or a namespace that is already gone is
   * `deleted: false`, not an error. The link's addresses are read in the same process just
   * before (DEL needs them to tear down masquerading). Takes any name the kernel accepts and acts
   * only on the link with exactly that name.
   */
  async deleteLink(name: string): Promise<{ deleted: boolean; addresses: Address[]; netnsGone: boolean }> {
    checkKernelIfName(name);
    try {
      return isIfName(name) && !isIfindexShorthand(name) ? await this.deleteInBatch(name) : await this.deleteByExactName(name);
    } catch (e) {
      if (e instanceof NetError && e.netnsGone) return { deleted: false, addresses: [], netnsGone: true };
      throw e;
    }
  }

  private async deleteInBatch(name: string): Promise<{ deleted: boolean; addresses: Address[]; netnsGone: boolean }> {
    const r = await this.exec('ip', ['-json', '-batch', '-'], `address show dev ${name}\nlink delete dev ${name}\n`);
    if (r.status === 0) return { deleted: true, addresses: parseAddresses(splitJsonDocuments(r.stdout)[0] ?? '[]'), netnsGone: false };
    const { line, reason } = locateBatchFailure(r.stderr);
    if (kindOf(reason) === 'notfound') return { deleted: false, addresses: [], netnsGone: false };
    throw new NetError(line === 1 ? `read addresses of ${name}` : `delete link ${name}`, reason, kindOf(reason), { stderr: r.stderr });
  }

  /**
   * A name outside the batch alphabet travels as one argv entry; an `ifN` name is confirmed to
   * belong to a link before the delete, which then finds that link by name first.
   */
  private async deleteByExactName(name: string): Promise<{ deleted: boolean; addresses: Address[]; netnsGone: boolean }> {
    const absent = { deleted: false, addresses: [], netnsGone: false };
    const shown = await this.exec('ip', ['-json', 'address', 'show', 'dev', name]);
    if (shown.status !== 0) {
      const reason = reasonOf(shown.stderr.split('\n'), `exit status ${shown.status}`);
      if (kindOf(reason) === 'notfound') return absent;
      throw new NetError(`read addresses of ${name}`, reason, kindOf(reason), { stderr: shown.stderr });
    }
    // iproute2 writes a name's control characters into its JSON unescaped (compact output has
    // none of its own but the final newline).
    // eslint-disable-next-line no-control-regex
    const json = shown.stdout.trimEnd().replace(/[\x00-\x1f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const link = parseLinks(json)[0];
    if (link?.name !== name) return absent;
    const r = await this.exec('ip', ['link', 'delete', 'dev', name]);
    if (r.status !== 0) {
      const reason = reasonOf(r.stderr.split('\n'), `exit status ${r.status}`);
      if (kindOf(reason) === 'notfound') return absent;
      throw new NetError(`delete link ${name}`, reason, kindOf(reason), { stderr: r.stderr });
    }
    return { deleted: true, addresses: parseAddresses(json), netnsGone: false };
  }

  /** Reads a sysctl of this namespace. */
  async readSysctl(key: string): Promise<string> {
    if (this.nsPath === undefined) return readSysctl(key);
    const path = sysctlPath(key);
    const r = await this.exec('/bin/cat', [`/proc/sys/${path}`]);
    if (r.status !== 0) {
      const reason = reasonOf([r.stderr.replace(/^\S*cat: /, '')], 'failed');
      throw new NetError(`read sysctl ${path}`, reason, kindOf(reason), { stderr: r.stderr });
    }
    return r.stdout.trim();
  }

  /** operstate of a link ('up', 'down', …), undefined when there is no such link. */
  async operstate(ifname: string): Promise<string | undefined> {
    checkIfName(ifname);
    if (this.nsPath === undefined && sysfsShowsCurrentNs()) return readOperstateFromSysfs(ifname);
    return (await this.link(ifname))?.operstate;
  }

  /**
   * Waits for a link to be operationally up on the reference's schedule (0/50/500/1000/1000 ms);
   * returns the last operstate seen ('up' on success, 'missing' for no such link).
   */
  waitForOperUp(ifname: string, delaysMs: readonly number[] = OPERSTATE_DELAYS_MS): Promise<string> {
    checkIfName(ifname);
    return pollOperstate(() => this.operstate(ifname), delaysMs);
  }

  /** See Batch.waitForDad: a one-step batch (no process at all in the current namespace). */
  async waitForDad(ifname: string, opts: DadWaitOptions = {}): Promise<void> {
    await this.batch().waitForDad(ifname, opts).run();
  }
}

/** The namespace this process runs in (the host side for a plugin). */
export function currentNs(): Netns {
  return Netns.current();
}

/** The namespace at `path` (CNI_NETNS). */
export function nsAt(path: string): Netns {
  return Netns.at(path);
}
