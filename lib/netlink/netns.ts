import fs from 'node:fs';
import { CLONE_NEWNET, NS_GET_NSTYPE, NSFS_MAGIC, PROC_SUPER_MAGIC } from './constants';
import { NetlinkConn, type Transport } from './conn';
import { EINVAL, ENOENT, ENOTTY, NetlinkError, SyscallError } from './errors';
import { libc, O_CLOEXEC, O_RDONLY, O_TRUNC, O_WRONLY } from './libc';
import { Rtnl, type NetnsTarget } from './rtnl';
import { NetlinkSocket } from './socket';

// Network namespaces by fd (Bun only). A namespace path is opened once and everything after
// goes through that fd, so a recycled /proc/<pid>/ns/net path cannot switch targets half way.
// Work inside is synchronous: `run` moves this thread in with setns(2), runs the callback and
// moves it back in a `finally`. See README.md for the contract.

/** Thrown when the thread could not return to the namespace it came from: nothing is safe after. */
export class NamespaceEscapeError extends Error {
  override readonly name = 'NamespaceEscapeError';
}

let hostFd: number | undefined;
/** fds of the namespaces `run` has entered, innermost last. */
const entered: number[] = [];
let broken: NamespaceEscapeError | undefined;

/** The namespace this thread was in before any `run`, opened once. */
function host(): number {
  hostFd ??= libc.open('/proc/thread-self/ns/net', O_RDONLY | O_CLOEXEC);
  return hostFd;
}

function inode(fd: number): number {
  return fs.fstatSync(fd).ino;
}

/** Whether `fd` is a network namespace: NS_GET_NSTYPE, or on kernels before 4.11 an nsfs/proc file. */
function isNetns(fd: number): boolean {
  try {
    return libc.ioctl(fd, NS_GET_NSTYPE) === CLONE_NEWNET;
  } catch (e) {
    if (!(e instanceof SyscallError && (e.errno === ENOTTY || e.errno === EINVAL))) throw e;
  }
  const magic = libc.fsType(fd);
  return magic === NSFS_MAGIC || magic === PROC_SUPER_MAGIC;
}

const SYSCTL_PATH = /^net\/[A-Za-z0-9_][A-Za-z0-9_./:-]*$/;

export class NetnsHandle implements NetnsTarget {
  private rtnlHandle: Rtnl | undefined;
  private socket: NetlinkSocket | undefined;
  private closed = false;

  private constructor(
    readonly fd: number,
    readonly path: string,
    /** The namespace the thread is in anyway: `run` needs no setns. */
    readonly isHost: boolean,
  ) {}

  /**
   * Opens the namespace at `path` (CNI_NETNS: /run/netns/x, /proc/<pid>/ns/net, a bind mount) and
   * checks it is a network namespace. A missing path is a NetError 'notfound' with netnsGone.
   */
  static open(path: string): NetnsHandle {
    const what = `enter network namespace ${path}`;
    let fd: number;
    try {
      fd = libc.open(path, O_RDONLY | O_CLOEXEC);
    } catch (e) {
      if (!(e instanceof SyscallError)) throw e;
      const gone = e.errno === ENOENT;
      throw new NetlinkError(what, e.errno, undefined, { netnsGone: gone, ...(gone ? { reason: 'no such network namespace' } : {}) });
    }
    try {
      if (!isNetns(fd)) throw new NetlinkError(what, EINVAL, undefined, { reason: 'not a network namespace' });
      return new NetnsHandle(fd, path, inode(fd) === inode(host()));
    } catch (e) {
      libc.close(fd);
      throw e;
    }
  }

  /** The namespace this thread started in (a plugin's host side). */
  static host(): NetnsHandle {
    return new NetnsHandle(libc.open('/proc/thread-self/ns/net', O_RDONLY | O_CLOEXEC), '/proc/thread-self/ns/net', true);
  }

  /** Same namespace (same nsfs inode). */
  sameAs(other: NetnsHandle): boolean {
    return inode(this.fd) === inode(other.fd);
  }

  /**
   * Runs `fn` with this thread inside the namespace and returns its result; the thread is back
   * where it was before `fn` returns or throws. `fn` must be synchronous: an await inside would
   * let other work run in the wrong namespace, so a returned promise is refused.
   */
  run<T>(fn: () => T): T {
    this.check();
    if (broken) throw broken;
    if (this.isHost && entered.length === 0) return guardSync(fn());
    const back = entered[entered.length - 1] ?? host();
    try {
      libc.setns(this.fd, CLONE_NEWNET);
    } catch (e) {
      if (!(e instanceof SyscallError)) throw e;
      throw new NetlinkError(`enter network namespace ${this.path}`, e.errno);
    }
    entered.push(this.fd);
    try {
      return guardSync(fn());
    } finally {
      entered.pop();
      try {
        libc.setns(back, CLONE_NEWNET);
      } catch (e) {
        broken = new NamespaceEscapeError(`cannot return from network namespace ${this.path}: ${(e as Error).message}`);
        // eslint-disable-next-line no-unsafe-finally
        throw broken;
      }
    }
  }

  /** The rtnetlink handle of this namespace: one socket, created inside it on first use. */
  rtnl(): Rtnl {
    this.check();
    if (!this.rtnlHandle) {
      this.socket = this.run(() => NetlinkSocket.open());
      const transport: Transport = {
        send: (m) => this.liveSocket().send(m),
        receive: () => this.liveSocket().receive(),
        reset: () => {
          this.socket?.close();
          this.socket = this.run(() => NetlinkSocket.open());
        },
      };
      this.rtnlHandle = new Rtnl(new NetlinkConn(transport));
    }
    return this.rtnlHandle;
  }

  private liveSocket(): NetlinkSocket {
    if (!this.socket) throw new Error('netlink socket used after close');
    return this.socket;
  }

  /** Writes /proc/sys/<path> of this namespace (`path` as lib/net's sysctlPath gives it: net/...). */
  writeSysctl(path: string, value: string | number): void {
    checkSysctlPath(path);
    const text = new TextEncoder().encode(String(value));
    const what = `set sysctl ${path}=${value}`;
    this.run(() => {
      const fd = openSysctl(path, O_WRONLY | O_CLOEXEC | O_TRUNC, what);
      try {
        libc.write(fd, text);
      } catch (e) {
        throw e instanceof SyscallError ? new NetlinkError(what, e.errno) : e;
      } finally {
        libc.close(fd);
      }
    });
  }

  readSysctl(path: string): string {
    checkSysctlPath(path);
    const what = `read sysctl ${path}`;
    return this.run(() => {
      const fd = openSysctl(path, O_RDONLY | O_CLOEXEC, what);
      try {
        const buf = new Uint8Array(4096);
        const n = libc.read(fd, buf);
        return new TextDecoder().decode(buf.subarray(0, n)).trim();
      } catch (e) {
        throw e instanceof SyscallError ? new NetlinkError(what, e.errno) : e;
      } finally {
        libc.close(fd);
      }
    });
  }

  /** Closes the socket and the namespace fd. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket?.close();
    this.socket = undefined;
    this.rtnlHandle = undefined;
    libc.close(this.fd);
  }

  private check(): void {
    if (this.closed) throw new Error(`network namespace ${this.path} used after close`);
  }
}

function guardSync<T>(r: T): T {
  if (r && typeof (r as { then?: unknown }).then === 'function') {
    throw new TypeError('NetnsHandle.run needs a synchronous callback');
  }
  return r;
}

function checkSysctlPath(path: string): void {
  if (!SYSCTL_PATH.test(path) || path.split('/').some((s) => s === '..' || s === '.' || s === '')) {
    throw new NetlinkError(`set sysctl ${path}`, EINVAL, undefined, { reason: 'not a net/ sysctl path' });
  }
}

function openSysctl(path: string, flags: number, what: string): number {
  try {
    return libc.open(`/proc/sys/${path}`, flags);
  } catch (e) {
    if (!(e instanceof SyscallError)) throw e;
    throw new NetlinkError(what, e.errno, undefined, e.errno === ENOENT ? { reason: 'no such sysctl' } : {});
  }
}
