import { kindOf, NetError, type NetErrorKind } from '../net/errors';

// Kernel errno -> NetError, pure. The texts are glibc's strerror() (what iproute2 prints after
// "RTNETLINK answers: "), so a NetError from netlink reads like one from the iproute2 driver,
// and `kind` comes from the errno itself rather than from matching text.

const ERRNO: Record<number, [string, string]> = {
  1: ['EPERM', 'Operation not permitted'],
  2: ['ENOENT', 'No such file or directory'],
  3: ['ESRCH', 'No such process'],
  4: ['EINTR', 'Interrupted system call'],
  9: ['EBADF', 'Bad file descriptor'],
  11: ['EAGAIN', 'Resource temporarily unavailable'],
  12: ['ENOMEM', 'Cannot allocate memory'],
  13: ['EACCES', 'Permission denied'],
  16: ['EBUSY', 'Device or resource busy'],
  17: ['EEXIST', 'File exists'],
  19: ['ENODEV', 'No such device'],
  20: ['ENOTDIR', 'Not a directory'],
  21: ['EISDIR', 'Is a directory'],
  22: ['EINVAL', 'Invalid argument'],
  23: ['ENFILE', 'Too many open files in system'],
  24: ['EMFILE', 'Too many open files'],
  25: ['ENOTTY', 'Inappropriate ioctl for device'],
  28: ['ENOSPC', 'No space left on device'],
  30: ['EROFS', 'Read-only file system'],
  34: ['ERANGE', 'Numerical result out of range'],
  36: ['ENAMETOOLONG', 'File name too long'],
  40: ['ELOOP', 'Too many levels of symbolic links'],
  61: ['ENODATA', 'No data available'],
  71: ['EPROTO', 'Protocol error'],
  75: ['EOVERFLOW', 'Value too large for defined data type'],
  90: ['EMSGSIZE', 'Message too long'],
  93: ['EPROTONOSUPPORT', 'Protocol not supported'],
  95: ['EOPNOTSUPP', 'Operation not supported'],
  97: ['EAFNOSUPPORT', 'Address family not supported by protocol'],
  98: ['EADDRINUSE', 'Address already in use'],
  99: ['EADDRNOTAVAIL', 'Cannot assign requested address'],
  100: ['ENETDOWN', 'Network is down'],
  101: ['ENETUNREACH', 'Network is unreachable'],
  105: ['ENOBUFS', 'No buffer space available'],
  110: ['ETIMEDOUT', 'Connection timed out'],
  113: ['EHOSTUNREACH', 'No route to host'],
};

export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const EAGAIN = 11;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const ENOTTY = 25;
export const EPROTO = 71;
export const EMSGSIZE = 90;
export const EOPNOTSUPP = 95;
export const EADDRNOTAVAIL = 99;
export const ENOBUFS = 105;

export function errnoName(errno: number): string {
  return ERRNO[errno]?.[0] ?? `E${errno}`;
}

export function strerror(errno: number): string {
  return ERRNO[errno]?.[1] ?? `Unknown error ${errno}`;
}

/**
 * The NetError kind of an errno: EEXIST 'exists', EBUSY 'busy'; a missing object is ENODEV
 * (link), ENOENT (file, or a bridge VLAN), ESRCH (route) or EADDRNOTAVAIL (address): 'notfound'.
 */
export function kindOfErrno(errno: number): NetErrorKind {
  switch (errno) {
    case EEXIST:
      return 'exists';
    case EBUSY:
      return 'busy';
    case ENOENT:
    case ENODEV:
    case ESRCH:
    case EADDRNOTAVAIL:
      return 'notfound';
    default:
      return 'other';
  }
}

/**
 * A failed kernel call. `errno` is the positive errno, `extack` the kernel's own message when it
 * gave one (NETLINK_EXT_ACK). `reason` is the extack message if any, else strerror, and `stderr`
 * carries the line iproute2 would have printed, for callers that show or match it.
 */
export class NetlinkError extends NetError {
  constructor(
    step: string,
    readonly errno: number,
    readonly extack?: string,
    extra: { netnsGone?: boolean; reason?: string } = {},
  ) {
    const reason = extra.reason ?? (extack ? extack.replace(/\.$/, '') : strerror(errno));
    const kind = kindOfErrno(errno);
    super(step, reason, kind === 'other' ? kindOf(reason) : kind, {
      stderr: extack ? `Error: ${extack}` : `RTNETLINK answers: ${strerror(errno)}`,
      netnsGone: extra.netnsGone ?? false,
    });
  }

  get code(): string {
    return errnoName(this.errno);
  }
}

/** A libc call that failed outside netlink (open, setns, flock, …). */
export class SyscallError extends Error {
  override readonly name = 'SyscallError';

  constructor(
    readonly call: string,
    readonly errno: number,
  ) {
    super(`${call}: ${strerror(errno)}`);
  }

  get code(): string {
    return errnoName(this.errno);
  }
}
