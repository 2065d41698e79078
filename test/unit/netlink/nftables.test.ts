import { getChainRequest, getTableRequest } from '../../../lib/netlink/nftables';

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
