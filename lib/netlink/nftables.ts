import * as C from './constants';
import { NetlinkConn } from './conn';
import { ENOENT, NetlinkError } from './errors';
import { MessageWriter } from './message';
import { NetlinkSocket } from './socket';

// One question to nf_tables over NETLINK_NETFILTER, in-process: does a table exist? lib/netfilter
// asks it before `nft list table …`, so a node whose masquerade or spoof-check table was never
// made (the iptables backend, no macSpoofCheck) does not start an nft process to learn that.

export type NftFamily = keyof typeof C.NFPROTO;

/** NFT_MSG_GETTABLE for one table (pure; the bytes `nft list table` sends first, seq aside). */
export function getTableRequest(family: NftFamily, name: string): MessageWriter {
  return new MessageWriter((C.NFNL_SUBSYS_NFTABLES << 8) | C.NFT_MSG_GETTABLE, C.NLM_F_REQUEST | C.NLM_F_ACK)
    .struct(4, (v, at) => {
      v.setUint8(at, C.NFPROTO[family]); // struct nfgenmsg: nfgen_family
      v.setUint8(at + 1, C.NFNETLINK_V0); // version; res_id (big endian) stays 0
    })
    .strz(C.NFTA_TABLE_NAME, name);
}

/**
 * Whether nf_tables has the table in the thread's current namespace. Throws NetlinkError for any
 * answer but the table or ENOENT (no nf_tables, no permission): the caller then asks nft itself.
 */
export function nftTableExists(family: NftFamily, name: string): boolean {
  const socket = NetlinkSocket.open(C.NETLINK_NETFILTER);
  try {
    const m = new NetlinkConn(socket).get(getTableRequest(family, name), `get nftables table ${family} ${name}`);
    return (m.type & 0xff) === C.NFT_MSG_NEWTABLE;
  } catch (e) {
    if (e instanceof NetlinkError && e.errno === ENOENT) return false;
    throw e;
  } finally {
    socket.close();
  }
}
