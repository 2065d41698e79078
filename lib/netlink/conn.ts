import * as C from './constants';
import { EINTR, ENOBUFS, EPROTO, NetlinkError, SyscallError } from './errors';
import { attrMap, getStr, parseMessages, type Message, type MessageWriter } from './message';

// The request/response protocol over one NETLINK_ROUTE socket, pure: sequence numbers, ACKs and
// NLMSG_ERROR (with the kernel's extended ACK message), multipart dumps ended by NLMSG_DONE,
// NLM_F_DUMP_INTR and ENOBUFS retries. The socket itself is a Transport (socket.ts over libc
// under Bun; a fake in the unit tests).

export interface Transport {
  send(msg: Uint8Array): void;
  /** One datagram (one or more messages), in a buffer the caller may keep. Throws SyscallError. */
  receive(): Uint8Array;
  /** Replaces the socket by a fresh one in the same namespace (after ENOBUFS lost part of a dump). */
  reset?(): void;
}

/** A dump is tried this many times in all when it comes back interrupted (as the reference does). */
export const DUMP_ATTEMPTS = 5;

export interface KernelError {
  errno: number;
  extack?: string;
}

/**
 * The error code of an NLMSG_ERROR (0 for an ACK) or NLMSG_DONE, and the extended ACK message
 * when the kernel attached one (NLM_F_ACK_TLVS after the echoed request, only its header if
 * NLM_F_CAPPED).
 */
export function kernelError(m: Message): KernelError {
  if (m.body.length < 4) return { errno: 0 };
  const v = new DataView(m.body.buffer, m.body.byteOffset, m.body.byteLength);
  const errno = -v.getInt32(0, true);
  const out: KernelError = { errno };
  if (m.flags & C.NLM_F_ACK_TLVS) {
    let tlvAt = 4;
    if (m.type === C.NLMSG_ERROR) {
      const echoedLen = m.body.length >= 8 ? v.getUint32(4, true) : 0;
      tlvAt = m.flags & C.NLM_F_CAPPED ? 4 + C.NLMSG_HDRLEN : 4 + ((echoedLen + 3) & ~3);
    }
    if (tlvAt <= m.body.length) {
      const msg = getStr(attrMap(m.body, tlvAt).get(C.NLMSGERR_ATTR_MSG));
      if (msg) out.extack = msg;
    }
  }
  return out;
}

type Mode = 'ack' | 'get' | 'dump';

export class NetlinkConn {
  private seq: number;

  constructor(
    private readonly transport: Transport,
    firstSeq = (Date.now() & 0x3fffffff) + 1,
  ) {
    this.seq = firstSeq;
  }

  /** Sends a request and waits for its ACK; throws NetlinkError with the kernel's errno. */
  ack(req: MessageWriter, what: string): void {
    this.exchange(req, what, 'ack');
  }

  /** Sends a get (no NLM_F_ACK) and returns the one answer. */
  get(req: MessageWriter, what: string): Message {
    const [m] = this.exchange(req, what, 'get');
    if (!m) throw new NetlinkError(what, EPROTO, 'no answer from the kernel');
    return m;
  }

  /**
   * Sends several requests in one datagram (an nfnetlink batch) and waits for the ACK of each that
   * asks for one (NLM_F_ACK); throws NetlinkError with the first errno the kernel reports.
   */
  batch(reqs: readonly MessageWriter[], what: string): void {
    const pending = new Set<number>();
    const parts = reqs.map((req) => {
      const seq = this.seq;
      this.seq = (this.seq + 1) >>> 0 || 1;
      if (req.flags & C.NLM_F_ACK) pending.add(seq);
      return req.finish(seq);
    });
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (all.set(p, at), at + p.length), 0);
    try {
      this.transport.send(all);
      while (pending.size > 0) {
        for (const m of parseMessages(this.transport.receive())) {
          if (m.type !== C.NLMSG_ERROR || !pending.has(m.seq)) continue;
          const err = kernelError(m);
          if (err.errno !== 0) throw new NetlinkError(what, err.errno, err.extack);
          pending.delete(m.seq);
        }
      }
    } catch (e) {
      throw asNetlinkError(e, what);
    }
  }

  /** Sends a dump request and returns every message up to NLMSG_DONE. */
  dump(req: MessageWriter, what: string): Message[] {
    for (let attempt = 1; ; attempt++) {
      try {
        const { msgs, interrupted } = this.once(req, what, 'dump');
        if (!interrupted) return msgs;
        if (attempt >= DUMP_ATTEMPTS)
          throw new NetlinkError(what, EINTR, undefined, { reason: 'Dump was interrupted and should be retried' });
      } catch (e) {
        if (!(e instanceof SyscallError && e.errno === ENOBUFS && attempt < DUMP_ATTEMPTS)) throw e;
        this.transport.reset?.();
      }
    }
  }

  private exchange(req: MessageWriter, what: string, mode: Mode): Message[] {
    return this.once(req, what, mode).msgs;
  }

  private once(req: MessageWriter, what: string, mode: Mode): { msgs: Message[]; interrupted: boolean } {
    const seq = this.seq;
    this.seq = (this.seq + 1) >>> 0 || 1;
    try {
      this.transport.send(req.finish(seq));
    } catch (e) {
      throw asNetlinkError(e, what);
    }
    const msgs: Message[] = [];
    let interrupted = false;
    for (;;) {
      let data: Uint8Array;
      try {
        data = this.transport.receive();
      } catch (e) {
        if (mode === 'dump' && e instanceof SyscallError && e.errno === ENOBUFS) throw e;
        throw asNetlinkError(e, what);
      }
      for (const m of parseMessages(data)) {
        // A late answer to a request given up on (an ENOBUFS retry): not ours.
        if (m.seq !== seq) continue;
        if (m.type === C.NLMSG_ERROR) {
          const err = kernelError(m);
          if (err.errno !== 0) throw new NetlinkError(what, err.errno, err.extack);
          return { msgs, interrupted };
        }
        if (m.type === C.NLMSG_DONE) {
          const err = kernelError(m);
          if (err.errno > 0) throw new NetlinkError(what, err.errno, err.extack);
          if (m.flags & C.NLM_F_DUMP_INTR) interrupted = true;
          return { msgs, interrupted };
        }
        if (m.type === C.NLMSG_NOOP || m.type === C.NLMSG_OVERRUN) continue;
        if (m.flags & C.NLM_F_DUMP_INTR) interrupted = true;
        msgs.push(m);
        if (mode === 'get' && !(m.flags & C.NLM_F_MULTI)) return { msgs, interrupted };
      }
    }
  }
}

function asNetlinkError(e: unknown, what: string): unknown {
  if (e instanceof SyscallError) return new NetlinkError(what, e.errno, undefined);
  return e;
}
