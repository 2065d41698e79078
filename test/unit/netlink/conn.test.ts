import { NetError } from '../../../lib/net/errors';
import { kernelError, NetlinkConn, type Transport } from '../../../lib/netlink/conn';
import * as C from '../../../lib/netlink/constants';
import { NetlinkError, SyscallError } from '../../../lib/netlink/errors';
import { formatIp, parseCidr, parseIp } from '../../../lib/netlink/inet';
import { MessageWriter, parseMessages } from '../../../lib/netlink/message';
import * as R from '../../../lib/netlink/requests';

// The protocol over a scripted socket: what the kernel answers is queued per request.

type Answer = (seq: number) => Array<Uint8Array | Error>;

class FakeSocket implements Transport {
  readonly sent: Uint8Array[] = [];
  resets = 0;
  private queue: Array<Uint8Array | Error> = [];

  constructor(private readonly answers: Answer[]) {}

  send(msg: Uint8Array): void {
    this.sent.push(msg);
    const seq = new DataView(msg.buffer, msg.byteOffset).getUint32(8, true);
    const next = this.answers.shift();
    if (!next) throw new Error('unexpected request');
    this.queue.push(...next(seq));
  }

  receive(): Uint8Array {
    const d = this.queue.shift();
    if (!d) throw new Error('receive with nothing queued');
    if (d instanceof Error) throw d;
    return d;
  }

  reset(): void {
    this.resets++;
    this.queue = [];
  }
}

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

function errorMsg(seq: number, errno: number, extack?: string): Uint8Array {
  const w = new MessageWriter(C.NLMSG_ERROR, extack ? C.NLM_F_CAPPED | C.NLM_F_ACK_TLVS : C.NLM_F_CAPPED);
  w.struct(C.NLMSGERR_LEN, (v, at) => v.setInt32(at, -errno, true));
  if (extack) w.strz(C.NLMSGERR_ATTR_MSG, extack);
  return w.finish(seq);
}

function linkMsg(seq: number, index: number, name: string, flags = C.NLM_F_MULTI): Uint8Array {
  const w = new MessageWriter(C.RTM_NEWLINK, flags);
  w.struct(C.IFINFOMSG_LEN, (v, at) => v.setInt32(at + 4, index, true));
  return w.strz(C.IFLA_IFNAME, name).finish(seq);
}

const done = (seq: number, flags = C.NLM_F_MULTI) => new MessageWriter(C.NLMSG_DONE, flags).struct(4, () => undefined).finish(seq);

describe('NetlinkConn', () => {
  test('an ACK completes a request; sequence numbers increase', () => {
    const s = new FakeSocket([(seq) => [errorMsg(seq, 0)], (seq) => [errorMsg(seq, 0)]]);
    const conn = new NetlinkConn(s, 100);
    conn.ack(R.setLink(2, { up: true }), 'set x up');
    conn.ack(R.setLink(2, { up: false }), 'set x down');
    expect(s.sent.map((m) => parseMessages(m)[0].seq)).toEqual([100, 101]);
  });

  test('an NLMSG_ERROR becomes a NetlinkError: errno, kind, the extended ACK message', () => {
    const s = new FakeSocket([
      (seq) => [errorMsg(seq, 17)],
      (seq) => [errorMsg(seq, 95, 'Unknown device type')],
      (seq) => [errorMsg(seq, 19)],
    ]);
    const conn = new NetlinkConn(s, 1);
    const caught = (f: () => void) => {
      try {
        f();
      } catch (e) {
        return e as NetlinkError;
      }
      throw new Error('no error');
    };
    const exists = caught(() => conn.ack(R.newLink({ name: 'br0', info: { kind: 'bridge' } }), 'create bridge br0'));
    expect(exists).toBeInstanceOf(NetError);
    expect(exists).toMatchObject({ kind: 'exists', errno: 17, reason: 'File exists', message: 'create bridge br0: File exists' });
    expect(exists.stderr).toBe('RTNETLINK answers: File exists');
    const unsupported = caught(() => conn.ack(R.newLink({ name: 'd0', info: { kind: 'dummy' } }), 'create dummy d0'));
    expect(unsupported).toMatchObject({ kind: 'other', errno: 95, extack: 'Unknown device type', reason: 'Unknown device type' });
    expect(unsupported.code).toBe('EOPNOTSUPP');
    expect(caught(() => conn.ack(R.delLink(9), 'delete link x'))).toMatchObject({ kind: 'notfound', code: 'ENODEV' });
  });

  test('kernelError reads the message after an uncapped echo too', () => {
    const req = R.delLink(3).finish(7);
    const w = new MessageWriter(C.NLMSG_ERROR, C.NLM_F_ACK_TLVS);
    w.struct(4 + req.length, (v, at) => {
      v.setInt32(at, -22, true);
      new Uint8Array(v.buffer).set(req, at + 4);
    });
    w.strz(C.NLMSGERR_ATTR_MSG, 'bad thing');
    expect(kernelError(parseMessages(w.finish(7))[0])).toEqual({ errno: 22, extack: 'bad thing' });
  });

  test('a dump spans datagrams up to NLMSG_DONE; answers to older requests are skipped', () => {
    const s = new FakeSocket([
      (seq) => [
        concat(linkMsg(seq - 1, 9, 'stale'), linkMsg(seq, 1, 'lo'), linkMsg(seq, 2, 'eth0')),
        concat(linkMsg(seq, 3, 'eth1'), done(seq)),
      ],
    ]);
    const msgs = new NetlinkConn(s, 5).dump(R.dumpLinks(), 'list links');
    expect(msgs.map((m) => new DataView(m.body.buffer, m.body.byteOffset).getInt32(4, true))).toEqual([1, 2, 3]);
  });

  test('an interrupted dump is retried, five attempts in all', () => {
    const intr = (seq: number) => [concat(linkMsg(seq, 1, 'lo', C.NLM_F_MULTI | C.NLM_F_DUMP_INTR), done(seq))];
    const ok = new FakeSocket([intr, intr, (seq) => [concat(linkMsg(seq, 1, 'lo'), done(seq))]]);
    expect(new NetlinkConn(ok, 1).dump(R.dumpLinks(), 'list links')).toHaveLength(1);
    expect(ok.sent).toHaveLength(3);
    const never = new FakeSocket([intr, intr, intr, intr, intr]);
    expect(() => new NetlinkConn(never, 1).dump(R.dumpLinks(), 'list links')).toThrow(
      'list links: Dump was interrupted and should be retried',
    );
  });

  test('ENOBUFS during a dump: a fresh socket and the dump again', () => {
    const s = new FakeSocket([
      (seq) => [linkMsg(seq, 1, 'lo'), new SyscallError('recvfrom', 105)],
      (seq) => [concat(linkMsg(seq, 1, 'lo'), done(seq))],
    ]);
    expect(new NetlinkConn(s, 1).dump(R.dumpLinks(), 'list links')).toHaveLength(1);
    expect(s.resets).toBe(1);
  });

  test('an error in NLMSG_DONE fails the dump', () => {
    const s = new FakeSocket([
      (seq) => {
        const w = new MessageWriter(C.NLMSG_DONE, C.NLM_F_MULTI).struct(4, (v, at) => v.setInt32(at, -95, true));
        return [w.finish(seq)];
      },
    ]);
    expect(() => new NetlinkConn(s, 1).dump(R.dumpBridgeVlans(), 'list bridge VLANs')).toThrow(NetlinkError);
  });

  test('a get returns its one answer; socket errors are NetlinkErrors', () => {
    const s = new FakeSocket([(seq) => [linkMsg(seq, 4, 'eth0', 0)], () => [new SyscallError('recvfrom', 9)]]);
    const conn = new NetlinkConn(s, 1);
    expect(conn.get(R.getLinkByName('eth0'), 'read link eth0').type).toBe(C.RTM_NEWLINK);
    expect(() => conn.get(R.getLinkByName('eth0'), 'read link eth0')).toThrow('read link eth0: Bad file descriptor');
  });
});

describe('addresses as bytes', () => {
  test.each([
    ['10.1.2.3', '10.1.2.3'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::', 'fe80::'],
    ['::ffff:10.0.0.1', '::ffff:10.0.0.1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
  ])('%s', (text, canonical) => {
    expect(formatIp(parseIp(text).bytes)).toBe(canonical);
  });

  test.each(['1.2.3', '256.1.1.1', '01.2.3.4', '1::2::3', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', 'x', ''])('refused: %s', (text) => {
    expect(() => parseIp(text)).toThrow(/invalid/);
  });

  test('prefix lengths', () => {
    expect(parseCidr('10.0.0.0/8').prefix).toBe(8);
    expect(() => parseCidr('10.0.0.0/33')).toThrow(/prefix/);
    expect(() => parseCidr('2001:db8::/129')).toThrow(/prefix/);
    expect(() => parseCidr('10.0.0.0')).toThrow(/prefix/);
  });
});
