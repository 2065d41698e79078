import { NLA_F_NESTED, NLA_HDRLEN, NLA_TYPE_MASK, NLMSG_HDRLEN } from './constants';

// Netlink framing, pure: struct nlmsghdr, the fixed family header that follows it, and the
// attribute TLVs (struct nlattr), all little-endian host order as on every Linux target we
// build for. Lengths are aligned to 4 bytes exactly as iproute2's addattr_l / addattr_nest do, so
// a request encodes to the same bytes iproute2 sends (see test/unit/netlink).

export const align4 = (n: number): number => (n + 3) & ~3;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Builds one request: header, fixed struct, attributes (nested ones through begin/end). */
export class MessageWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private len = NLMSG_HDRLEN;

  constructor(
    readonly type: number,
    readonly flags: number,
  ) {}

  private reserve(n: number): number {
    const at = this.len;
    const need = align4(at + n);
    if (need > this.buf.length) {
      const next = new Uint8Array(Math.max(need, this.buf.length * 2));
      next.set(this.buf);
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    this.len = need;
    return at;
  }

  /** The fixed family header (ifinfomsg, ifaddrmsg, rtmsg, …): written by `fill` on a zeroed area. */
  struct(size: number, fill: (v: DataView, at: number) => void): this {
    const at = this.reserve(size);
    fill(this.view, at);
    return this;
  }

  /** Reserves a zeroed area for a header that is written (`patch`) once what follows is known. */
  hole(size: number): number {
    return this.reserve(size);
  }

  patch(at: number, fill: (v: DataView, at: number) => void): this {
    fill(this.view, at);
    return this;
  }

  /** Bytes written so far, header included. */
  get length(): number {
    return this.len;
  }

  attr(type: number, payload: Uint8Array): this {
    const at = this.reserve(NLA_HDRLEN + payload.length);
    this.view.setUint16(at, NLA_HDRLEN + payload.length, true);
    this.view.setUint16(at + 2, type, true);
    this.buf.set(payload, at + NLA_HDRLEN);
    return this;
  }

  u8(type: number, v: number): this {
    return this.attr(type, Uint8Array.of(v & 0xff));
  }

  u16(type: number, v: number): this {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, true);
    return this.attr(type, b);
  }

  u32(type: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    return this.attr(type, b);
  }

  s32(type: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v, true);
    return this.attr(type, b);
  }

  /** A NUL-terminated string (IFLA_IFNAME). */
  strz(type: number, s: string): this {
    const raw = encoder.encode(s);
    const b = new Uint8Array(raw.length + 1);
    b.set(raw);
    return this.attr(type, b);
  }

  /** A string without terminator (IFLA_INFO_KIND, as iproute2 sends it). */
  str(type: number, s: string): this {
    return this.attr(type, encoder.encode(s));
  }

  /** Opens a nested attribute; `end` closes the most recent one. */
  begin(type: number, flags = 0): number {
    const at = this.reserve(NLA_HDRLEN);
    this.view.setUint16(at + 2, type | flags, true);
    return at;
  }

  end(at: number): this {
    this.view.setUint16(at, this.len - at, true);
    return this;
  }

  nested(type: number, body: (w: this) => void, flags = 0): this {
    const at = this.begin(type, flags);
    body(this);
    return this.end(at);
  }

  /** The finished message with sequence number `seq` and port id 0 (the kernel). */
  finish(seq = 0): Uint8Array {
    this.view.setUint32(0, this.len, true);
    this.view.setUint16(4, this.type, true);
    this.view.setUint16(6, this.flags, true);
    this.view.setUint32(8, seq >>> 0, true);
    this.view.setUint32(12, 0, true);
    return this.buf.slice(0, this.len);
  }
}

/** Rewrites the sequence number of a finished message in place. */
export function setSeq(msg: Uint8Array, seq: number): void {
  new DataView(msg.buffer, msg.byteOffset, msg.byteLength).setUint32(8, seq >>> 0, true);
}

export interface Message {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** Everything after nlmsghdr (fixed header + attributes). */
  body: Uint8Array;
}

export class MalformedMessage extends Error {
  override readonly name = 'MalformedMessage';
}

/** Splits one received datagram into its messages. */
export function parseMessages(data: Uint8Array): Message[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: Message[] = [];
  let at = 0;
  while (at + NLMSG_HDRLEN <= data.length) {
    const len = view.getUint32(at, true);
    if (len < NLMSG_HDRLEN || at + len > data.length) throw new MalformedMessage(`bad netlink message length ${len} at ${at}`);
    out.push({
      type: view.getUint16(at + 4, true),
      flags: view.getUint16(at + 6, true),
      seq: view.getUint32(at + 8, true),
      pid: view.getUint32(at + 12, true),
      body: data.subarray(at + NLMSG_HDRLEN, at + len),
    });
    at += align4(len);
  }
  return out;
}

export interface Attr {
  /** Type without NLA_F_NESTED / NLA_F_NET_BYTEORDER. */
  type: number;
  value: Uint8Array;
}

/** The attributes in `data` from `offset` on, in order (repeats kept). */
export function attrList(data: Uint8Array, offset = 0): Attr[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: Attr[] = [];
  let at = offset;
  while (at + NLA_HDRLEN <= data.length) {
    const len = view.getUint16(at, true);
    if (len < NLA_HDRLEN || at + len > data.length) break;
    out.push({ type: view.getUint16(at + 2, true) & NLA_TYPE_MASK, value: data.subarray(at + NLA_HDRLEN, at + len) });
    at += align4(len);
  }
  return out;
}

/** The attributes by type (the last one wins for a repeated type). */
export function attrMap(data: Uint8Array, offset = 0): Map<number, Uint8Array> {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const m = new Map<number, Uint8Array>();
  let at = offset;
  while (at + NLA_HDRLEN <= data.length) {
    const len = view.getUint16(at, true);
    if (len < NLA_HDRLEN || at + len > data.length) break;
    m.set(view.getUint16(at + 2, true) & NLA_TYPE_MASK, data.subarray(at + NLA_HDRLEN, at + len));
    at += align4(len);
  }
  return m;
}

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

export const getU8 = (b: Uint8Array | undefined): number | undefined => (b && b.length >= 1 ? b[0] : undefined);
export const getU16 = (b: Uint8Array | undefined): number | undefined => (b && b.length >= 2 ? dv(b).getUint16(0, true) : undefined);
export const getU32 = (b: Uint8Array | undefined): number | undefined => (b && b.length >= 4 ? dv(b).getUint32(0, true) : undefined);
export const getS32 = (b: Uint8Array | undefined): number | undefined => (b && b.length >= 4 ? dv(b).getInt32(0, true) : undefined);

/** A string attribute, up to its first NUL. */
export function getStr(b: Uint8Array | undefined): string | undefined {
  if (!b) return undefined;
  const nul = b.indexOf(0);
  return decoder.decode(nul >= 0 ? b.subarray(0, nul) : b);
}

export { NLA_F_NESTED };
