import { NETLINK_CAP_ACK, NETLINK_EXT_ACK, NETLINK_ROUTE, SOL_NETLINK } from './constants';
import type { Transport } from './conn';
import { EMSGSIZE, SyscallError } from './errors';
import { AF_NETLINK, libc, MSG_TRUNC, SO_RCVBUF, SO_SNDBUF, SOCK_CLOEXEC, SOCK_RAW, SOL_SOCKET } from './libc';

// A NETLINK_ROUTE (or, for nftables.ts, NETLINK_NETFILTER) socket over libc (Bun only). It talks
// to the namespace it was created in for its whole life, whatever namespace the thread is in
// later: that is why netns.ts creates it while switched into the target namespace and switches
// back at once.

/** struct sockaddr_nl of the kernel: family AF_NETLINK, port 0, no groups. */
const KERNEL = (() => {
  const a = new Uint8Array(12);
  new DataView(a.buffer).setUint16(0, AF_NETLINK, true);
  return a;
})();

// The kernel sizes dump messages to the reader's buffer, up to 32 KiB; 64 KiB leaves room.
const RECV_SIZE = 65536;

export class NetlinkSocket implements Transport {
  private readonly buf = new Uint8Array(RECV_SIZE);

  private constructor(private fd: number) {}

  /** A socket in the thread's current namespace, with extended ACKs and capped error echoes. */
  static open(protocol = NETLINK_ROUTE): NetlinkSocket {
    const fd = libc.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
    try {
      // As iproute2: room for large dumps. Best effort, like the ACK options (older kernels).
      for (const [level, name, value] of [
        [SOL_SOCKET, SO_SNDBUF, 32768],
        [SOL_SOCKET, SO_RCVBUF, 1024 * 1024],
        [SOL_NETLINK, NETLINK_EXT_ACK, 1],
        [SOL_NETLINK, NETLINK_CAP_ACK, 1],
      ]) {
        try {
          libc.setsockoptInt(fd, level, name, value);
        } catch (e) {
          if (!(e instanceof SyscallError)) throw e;
        }
      }
    } catch (e) {
      libc.close(fd);
      throw e;
    }
    return new NetlinkSocket(fd);
  }

  get descriptor(): number {
    return this.fd;
  }

  send(msg: Uint8Array): void {
    this.check();
    const n = libc.sendto(this.fd, msg, 0, KERNEL);
    if (n !== msg.length) throw new SyscallError('sendto', EMSGSIZE);
  }

  receive(): Uint8Array {
    this.check();
    const n = libc.recv(this.fd, this.buf, MSG_TRUNC);
    if (n > this.buf.length) throw new SyscallError('recvfrom', EMSGSIZE);
    return this.buf.slice(0, n);
  }

  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    libc.close(fd);
  }

  private check(): void {
    if (this.fd < 0) throw new Error('netlink socket used after close');
  }
}
