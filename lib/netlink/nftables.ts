import * as C from './constants';
import { NetlinkConn } from './conn';
import { ENOENT, NetlinkError } from './errors';
import { MessageWriter } from './message';
import { NetlinkSocket } from './socket';

// Two questions to nf_tables over NETLINK_NETFILTER, in-process: does a table exist, does a chain
// exist? lib/netfilter asks them before `nft list table …` and `iptables-save`, so a node whose
// masquerade or spoof-check table was never made (the iptables backend, no macSpoofCheck), or a
// DEL whose masquerade chain is already gone, does not start a process to learn that.

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

/** NFT_MSG_GETCHAIN for one chain of one table (pure). */
export function getChainRequest(family: NftFamily, table: string, chain: string): MessageWriter {
  return new MessageWriter((C.NFNL_SUBSYS_NFTABLES << 8) | C.NFT_MSG_GETCHAIN, C.NLM_F_REQUEST | C.NLM_F_ACK)
    .struct(4, (v, at) => {
      v.setUint8(at, C.NFPROTO[family]);
      v.setUint8(at + 1, C.NFNETLINK_V0);
    })
    .strz(C.NFTA_CHAIN_TABLE, table)
    .strz(C.NFTA_CHAIN_NAME, chain);
}

/** Asks for one object; true when nf_tables answers with it (`found`), false on ENOENT. */
function exists(request: MessageWriter, found: number, what: string): boolean {
  const socket = NetlinkSocket.open(C.NETLINK_NETFILTER);
  try {
    const m = new NetlinkConn(socket).get(request, what);
    return (m.type & 0xff) === found;
  } catch (e) {
    if (e instanceof NetlinkError && e.errno === ENOENT) return false;
    throw e;
  } finally {
    socket.close();
  }
}

/**
 * Whether nf_tables has the table in the thread's current namespace. Throws NetlinkError for any
 * answer but the table or ENOENT (no nf_tables, no permission): the caller then asks nft itself.
 */
export function nftTableExists(family: NftFamily, name: string): boolean {
  return exists(getTableRequest(family, name), C.NFT_MSG_NEWTABLE, `get nftables table ${family} ${name}`);
}

/**
 * Whether nf_tables has the chain in that table (in the thread's current namespace): false when
 * either is missing. Throws NetlinkError as nftTableExists does.
 */
export function nftChainExists(family: NftFamily, table: string, chain: string): boolean {
  return exists(getChainRequest(family, table, chain), C.NFT_MSG_NEWCHAIN, `get nftables chain ${family} ${table} ${chain}`);
}
