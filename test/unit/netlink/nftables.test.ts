import { attrMap, getStr, MessageWriter, parseMessages, type Message } from '../../../lib/netlink/message';
import { getChainRequest, getTableRequest, parseRule, removeChainsBatch } from '../../../lib/netlink/nftables';

// The nfnetlink requests cni-ts makes. GETTABLE: byte for byte what nft 1.0.6 sends first for
// `nft list table inet cni_plugins_masquerade` (strace -e trace=sendto; sequence number 0).
// GETCHAIN: the kernel's layout (nf_tables_getchain: NFTA_CHAIN_TABLE and NFTA_CHAIN_NAME), checked
// against the kernel in test/netns/netlink/nftables.test.ts.

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('NFT_MSG_GETTABLE for inet cni_plugins_masquerade equals what nft sends', () => {
  const name = Buffer.from('cni_plugins_masquerade\0').toString('hex');
  const expected =
    '30000000' + // nlmsg_len 48
    '010a' + // NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETTABLE
    '0500' + // NLM_F_REQUEST | NLM_F_ACK
    '00000000' + // seq
    '00000000' + // pid
    '01000000' + // nfgenmsg: NFPROTO_INET, NFNETLINK_V0, res_id 0
    '1b000100' + // nla_len 27, NFTA_TABLE_NAME
    name +
    '00'; // padding to 4 bytes
  expect(hex(getTableRequest('inet', 'cni_plugins_masquerade').finish(0))).toBe(expected);
});

test('the family byte follows the nft family name', () => {
  expect(getTableRequest('ip', 't').finish(0)[16]).toBe(2);
  expect(getTableRequest('ip6', 't').finish(0)[16]).toBe(10);
  expect(getTableRequest('bridge', 't').finish(0)[16]).toBe(7);
});

test('NFT_MSG_GETCHAIN for ip nat CNI-…: table, then chain name, NUL-terminated and padded', () => {
  const strAttr = (type: number, text: string): string => {
    const body = Buffer.from(`${text}\0`);
    const len = Buffer.alloc(4);
    len.writeUInt16LE(4 + body.length, 0);
    len.writeUInt16LE(type, 2);
    return len.toString('hex') + body.toString('hex') + '00'.repeat((4 - (body.length % 4)) % 4);
  };
  const attrs = strAttr(1, 'nat') + strAttr(3, 'CNI-0123456789abcdef01234567');
  const total = 16 + 4 + attrs.length / 2;
  const header = Buffer.alloc(16);
  header.writeUInt32LE(total, 0);
  header.writeUInt16LE((10 << 8) | 4, 4); // NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETCHAIN
  header.writeUInt16LE(5, 6); // NLM_F_REQUEST | NLM_F_ACK
  const expected = header.toString('hex') + '02000000' + attrs; // nfgenmsg: NFPROTO_IPV4
  expect(hex(getChainRequest('ip', 'nat', 'CNI-0123456789abcdef01234567').finish(0))).toBe(expected);
  expect(getChainRequest('ip6', 'nat', 'x').finish(0)[16]).toBe(10);
});

/** A NEWRULE message as the kernel dumps it: chain, handle, and an immediate verdict (or none). */
function ruleMessage(chain: string, handle: bigint, verdict?: { code: number; chain?: string }): Message {
  const w = new MessageWriter((10 << 8) | 6, 0).struct(4, (v, at) => v.setUint8(at, 2));
  w.strz(1, 'nat').strz(2, chain);
  const h = new Uint8Array(8);
  new DataView(h.buffer).setBigUint64(0, handle, false);
  w.attr(3, h);
  w.nested(4 | 0x8000, () => {
    // A payload match first (any expression that is not a verdict), then the immediate.
    w.nested(1 | 0x8000, () => w.strz(1, 'payload').nested(2 | 0x8000, () => w.u32(1, 1)));
    if (verdict) {
      w.nested(1 | 0x8000, () =>
        w.strz(1, 'immediate').nested(2 | 0x8000, () => {
          w.attr(1, Uint8Array.of(0, 0, 0, 0)); // NFTA_IMMEDIATE_DREG: the verdict register
          w.nested(2 | 0x8000, () =>
            w.nested(2 | 0x8000, () => {
              const code = new Uint8Array(4);
              new DataView(code.buffer).setInt32(0, verdict.code, false);
              w.attr(1, code);
              if (verdict.chain) w.strz(2, verdict.chain);
            }),
          );
        }),
      );
    }
  });
  return parseMessages(w.finish(1))[0];
}

test('a dumped rule: its chain, handle (big endian) and the chain a jump or goto names', () => {
  expect(parseRule(ruleMessage('POSTROUTING', 0x1234n, { code: -3, chain: 'CNI-x' }))).toEqual({
    chain: 'POSTROUTING',
    handle: 0x1234n,
    jumpsTo: 'CNI-x',
  });
  expect(parseRule(ruleMessage('CNI-z', 7n, { code: -4, chain: 'CNI-x' }))).toEqual({ chain: 'CNI-z', handle: 7n, jumpsTo: 'CNI-x' });
  // An accept verdict (NF_ACCEPT, 1) and no verdict at all: no target.
  expect(parseRule(ruleMessage('CNI-x', 8n, { code: 1 }))).toEqual({ chain: 'CNI-x', handle: 8n });
  expect(parseRule(ruleMessage('CNI-x', 9n))).toEqual({ chain: 'CNI-x', handle: 9n });
});

test('the removal batch: jumps from other chains by handle, then flush and delete each chain, inside BEGIN/END', () => {
  const rules = [
    { chain: 'POSTROUTING', handle: 5n, jumpsTo: 'CNI-x' },
    { chain: 'POSTROUTING', handle: 6n, jumpsTo: 'CNI-y' },
    { chain: 'CNI-x', handle: 7n },
    { chain: 'CNI-x', handle: 8n, jumpsTo: 'CNI-x' },
  ];
  const msgs = removeChainsBatch('ip', 'nat', ['CNI-x'], rules).map((w) => parseMessages(w.finish(1))[0]);
  const summary = msgs.map((m) => {
    const a = attrMap(m.body, 4);
    const handle = a.get(3);
    return [
      m.type.toString(16),
      m.flags,
      getStr(a.get(2)) ?? getStr(a.get(3)) ?? '',
      handle && handle.length === 8 ? new DataView(handle.buffer, handle.byteOffset, 8).getBigUint64(0, false) : null,
    ];
  });
  expect(summary).toEqual([
    ['10', 1, '', null], // NFNL_MSG_BATCH_BEGIN
    ['a08', 5, 'POSTROUTING', 5n], // DELRULE of the jump, by handle, acked
    ['a08', 5, 'CNI-x', null], // DELRULE without handle: flush the chain
    ['a05', 5, 'CNI-x', null], // DELCHAIN
    ['11', 1, '', null], // NFNL_MSG_BATCH_END
  ]);
  // The batch delimiters name the nf_tables subsystem in res_id (big endian).
  expect(Array.from(msgs[0].body.subarray(0, 4))).toEqual([0, 0, 0, 10]);
});
