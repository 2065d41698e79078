import { getTableRequest } from '../../../lib/netlink/nftables';

// The one nfnetlink request cni-ts makes: byte for byte what nft 1.0.6 sends first for
// `nft list table inet cni_plugins_masquerade` (strace -e trace=sendto; sequence number 0).

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
