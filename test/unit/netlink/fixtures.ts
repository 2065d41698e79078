import fs from 'node:fs';
import path from 'node:path';
import { parseMessages, type Message } from '../../../lib/netlink/message';

// The captures made by fixtures/capture.sh (iproute2 6.1 under strace in throwaway namespaces).

export interface RequestFixture {
  name: string;
  cmd: string;
  /** The capturing namespace's links just before the command: name -> ifindex. */
  links: Record<string, number>;
  /** Every datagram the command sent, hex. */
  messages: string[];
  stderr: string;
}

export interface ReplyFixture {
  name: string;
  cmd: string;
  /** Every datagram the command received (MSG_PEEK reads left out), hex. */
  replies: string[];
  stdout: string;
}

const dir = path.join(__dirname, 'fixtures');

export const requestFixtures: RequestFixture[] = JSON.parse(fs.readFileSync(path.join(dir, 'iproute2.json'), 'utf8'));
export const replyFixtures: ReplyFixture[] = JSON.parse(fs.readFileSync(path.join(dir, 'kernel-replies.json'), 'utf8'));

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

/**
 * A sent message as bytes: cut to its nlmsg_len (iproute2 sends some dump requests from a
 * larger buffer), sequence number and port id zeroed.
 */
export function normalised(h: string): Uint8Array {
  const b = bytes(h);
  const len = new DataView(b.buffer).getUint32(0, true);
  const out = b.slice(0, len);
  out.fill(0, 8, 16);
  return out;
}

export function requestFixture(name: string): RequestFixture {
  const f = requestFixtures.find((e) => e.name === name);
  if (!f) throw new Error(`no request fixture ${name}`);
  return f;
}

/** The last message of `type` the command sent (the operation itself, after iproute2's lookups). */
export function sent(f: RequestFixture, type: number, pick: (m: Uint8Array) => boolean = () => true): Uint8Array {
  const all = f.messages.map(normalised).filter((m) => new DataView(m.buffer).getUint16(4, true) === type && pick(m));
  const last = all[all.length - 1];
  if (!last) throw new Error(`${f.name}: no message of type ${type}`);
  return last;
}

export function replyFixture(name: string): ReplyFixture {
  const f = replyFixtures.find((e) => e.name === name);
  if (!f) throw new Error(`no reply fixture ${name}`);
  return f;
}

/** The messages of `type` the kernel sent back. */
export function received(f: ReplyFixture, type: number): Message[] {
  return f.replies.flatMap((h) => parseMessages(bytes(h))).filter((m) => m.type === type);
}
