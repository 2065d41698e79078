import type { FFIFunctionDef } from 'bun:ffi';
import { SyscallError } from './errors';

// The libc calls this layer makes, through Bun's FFI, loaded on first use (so importing this
// module under Node is harmless until a call is made). Every wrapper reads errno right after
// a failing call, before anything else can run on this thread, and throws SyscallError.

const SYMBOLS = {
  socket: { args: ['i32', 'i32', 'i32'], returns: 'i32' },
  setsockopt: { args: ['i32', 'i32', 'i32', 'ptr', 'u32'], returns: 'i32' },
  sendto: { args: ['i32', 'ptr', 'usize', 'i32', 'ptr', 'u32'], returns: 'i64_fast' },
  recvfrom: { args: ['i32', 'ptr', 'usize', 'i32', 'ptr', 'ptr'], returns: 'i64_fast' },
  close: { args: ['i32'], returns: 'i32' },
  open: { args: ['ptr', 'i32', 'u32'], returns: 'i32' },
  read: { args: ['i32', 'ptr', 'usize'], returns: 'i64_fast' },
  write: { args: ['i32', 'ptr', 'usize'], returns: 'i64_fast' },
  setns: { args: ['i32', 'i32'], returns: 'i32' },
  ioctl: { args: ['i32', 'usize'], returns: 'i32' },
  fstatfs: { args: ['i32', 'ptr'], returns: 'i32' },
  flock: { args: ['i32', 'i32'], returns: 'i32' },
  __errno_location: { args: [], returns: 'ptr' },
} satisfies Record<string, FFIFunctionDef>;

type Fn = (...args: unknown[]) => unknown;
type Symbols = { [K in keyof typeof SYMBOLS]: Fn };

let loaded: { sym: Symbols; read32: (ptr: number, off: number) => number } | undefined;

function lib(): NonNullable<typeof loaded> {
  if (!loaded) {
    if (typeof (globalThis as { Bun?: unknown }).Bun === 'undefined') {
      throw new Error('lib/netlink: the socket/setns/flock layer needs the Bun runtime (bun:ffi)');
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ffi = require('bun:ffi') as typeof import('bun:ffi');
    const l = ffi.dlopen('libc.so.6', SYMBOLS);
    loaded = { sym: l.symbols as Symbols, read32: (p, o) => ffi.read.i32(p, o) };
  }
  return loaded;
}

function errno(): number {
  const l = lib();
  return l.read32(l.sym.__errno_location() as number, 0);
}

/** Runs a call; a negative result throws SyscallError with errno. */
function sys(call: string, fn: () => unknown): number {
  const r = fn() as number;
  if (r < 0) throw new SyscallError(call, errno());
  return r;
}

const EINTR = 4;

/** Retries a call interrupted by a signal. */
function sysRetry(call: string, fn: () => unknown): number {
  for (;;) {
    try {
      return sys(call, fn);
    } catch (e) {
      if (!(e instanceof SyscallError && e.errno === EINTR)) throw e;
    }
  }
}

const cstr = (s: string): Uint8Array => {
  const b = new TextEncoder().encode(`${s}\0`);
  if (b.indexOf(0) !== b.length - 1) throw new SyscallError('open', 22);
  return b;
};

// open(2) flags: O_NOFOLLOW differs between x86-64 and arm64 (asm-generic).
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_CREAT = 0x40;
export const O_TRUNC = 0x200;
export const O_CLOEXEC = 0x80000;
export const O_NOFOLLOW = process.arch === 'arm64' ? 0x8000 : 0x20000;

export const AF_NETLINK = 16;
export const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0x80000;
export const SOL_SOCKET = 1;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const MSG_TRUNC = 0x20;

export const libc = {
  socket: (domain: number, type: number, protocol: number): number => sys('socket', () => lib().sym.socket(domain, type, protocol)),

  setsockoptInt(fd: number, level: number, name: number, value: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, value, true);
    sys('setsockopt', () => lib().sym.setsockopt(fd, level, name, b, 4));
  },

  sendto: (fd: number, buf: Uint8Array, flags: number, addr: Uint8Array | null): number =>
    sysRetry('sendto', () => lib().sym.sendto(fd, buf, buf.length, flags, addr, addr ? addr.length : 0)),

  recv: (fd: number, buf: Uint8Array, flags: number): number =>
    sysRetry('recvfrom', () => lib().sym.recvfrom(fd, buf, buf.length, flags, null, null)),

  close(fd: number): void {
    // Not retried on EINTR: on Linux the descriptor is released either way.
    sys('close', () => lib().sym.close(fd));
  },

  open: (path: string, flags: number, mode = 0): number => sysRetry(`open ${path}`, () => lib().sym.open(cstr(path), flags, mode)),

  read: (fd: number, buf: Uint8Array): number => sysRetry('read', () => lib().sym.read(fd, buf, buf.length)),

  write: (fd: number, buf: Uint8Array): number => sysRetry('write', () => lib().sym.write(fd, buf, buf.length)),

  setns: (fd: number, nstype: number): void => void sys('setns', () => lib().sym.setns(fd, nstype)),

  /** ioctl without an argument (NS_GET_NSTYPE); returns its non-negative result. */
  ioctl: (fd: number, request: number): number => sys('ioctl', () => lib().sym.ioctl(fd, request)),

  /** f_type of fstatfs(2) (the first field, a long, on every 64-bit Linux). */
  fsType(fd: number): number {
    const buf = new Uint8Array(256);
    sys('fstatfs', () => lib().sym.fstatfs(fd, buf));
    return Number(new DataView(buf.buffer).getBigUint64(0, true));
  },

  flock: (fd: number, op: number): void => void sysRetry('flock', () => lib().sym.flock(fd, op)),
};
