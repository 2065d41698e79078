import * as C from './constants';
import { NetlinkConn } from './conn';
import { ENOENT, NetlinkError } from './errors';
import { attrList, attrMap, getStr, MessageWriter, type Message } from './message';
import { NetlinkSocket } from './socket';

// nf_tables over NETLINK_NETFILTER, in-process. Two questions: does a table exist, does a chain
// exist? lib/netfilter asks them before `nft list table …` and `iptables-save`, so a node whose
// masquerade or spoof-check table was never made (the iptables backend, no macSpoofCheck), or a
// DEL whose masquerade chain is already gone, does not start a process to learn that. And one
// change: removing chains with the rules that jump to them, in one atomic batch (a masquerade
// teardown with iptables-nft, which keeps its tables in nf_tables).

export type NftFamily = keyof typeof C.NFPROTO;

/** struct nfgenmsg: family, version, res_id (big endian; the subsystem on batch delimiters). */
const nfgen =
  (family: number, resId = 0) =>
  (v: DataView, at: number) => {
    v.setUint8(at, family);
    v.setUint8(at + 1, C.NFNETLINK_V0);
    v.setUint16(at + 2, resId, false); // res_id is big endian
  };

/** NFT_MSG_GETTABLE for one table (pure; the bytes `nft list table` sends first, seq aside). */
export function getTableRequest(family: NftFamily, name: string): MessageWriter {
  return new MessageWriter((C.NFNL_SUBSYS_NFTABLES << 8) | C.NFT_MSG_GETTABLE, C.NLM_F_REQUEST | C.NLM_F_ACK)
    .struct(4, nfgen(C.NFPROTO[family]))
    .strz(C.NFTA_TABLE_NAME, name);
}

/** NFT_MSG_GETCHAIN for one chain of one table (pure). */
export function getChainRequest(family: NftFamily, table: string, chain: string): MessageWriter {
  return new MessageWriter((C.NFNL_SUBSYS_NFTABLES << 8) | C.NFT_MSG_GETCHAIN, C.NLM_F_REQUEST | C.NLM_F_ACK)
    .struct(4, nfgen(C.NFPROTO[family]))
    .strz(C.NFTA_CHAIN_TABLE, table)
    .strz(C.NFTA_CHAIN_NAME, chain);
}

/** Asks for one object; true when nf_tables answers with it (`found`), false on ENOENT. */
function existsOn(conn: NetlinkConn, request: MessageWriter, found: number, what: string): boolean {
  try {
    return (conn.get(request, what).type & 0xff) === found;
  } catch (e) {
    if (e instanceof NetlinkError && e.errno === ENOENT) return false;
    throw e;
  }
}

/** Runs `fn` on a NETLINK_NETFILTER connection of the thread's current namespace. */
function withNetfilter<T>(fn: (conn: NetlinkConn) => T): T {
  const socket = NetlinkSocket.open(C.NETLINK_NETFILTER);
  try {
    return fn(new NetlinkConn(socket));
  } finally {
    socket.close();
  }
}

const chainQuestion = (family: NftFamily, table: string, chain: string) =>
  [getChainRequest(family, table, chain), C.NFT_MSG_NEWCHAIN, `get nftables chain ${family} ${table} ${chain}`] as const;

/**
 * Whether nf_tables has the table in the thread's current namespace. Throws NetlinkError for any
 * answer but the table or ENOENT (no nf_tables, no permission): the caller then asks nft itself.
 */
export function nftTableExists(family: NftFamily, name: string): boolean {
  return withNetfilter((conn) => existsOn(conn, getTableRequest(family, name), C.NFT_MSG_NEWTABLE, `get nftables table ${family} ${name}`));
}

/**
 * Whether nf_tables has the chain in that table (in the thread's current namespace): false when
 * either is missing. Throws NetlinkError as nftTableExists does.
 */
export function nftChainExists(family: NftFamily, table: string, chain: string): boolean {
  return withNetfilter((conn) => existsOn(conn, ...chainQuestion(family, table, chain)));
}

/** One rule of a table: where it is, its handle, and the chain it jumps or goes to, if any. */
export interface NftRule {
  chain: string;
  handle: bigint;
  jumpsTo?: string;
}

/** NFT_MSG_GETRULE dump of every rule of one table (pure). */
export function getRulesRequest(family: NftFamily, table: string): MessageWriter {
  return new MessageWriter((C.NFNL_SUBSYS_NFTABLES << 8) | C.NFT_MSG_GETRULE, C.NLM_F_REQUEST | C.NLM_F_DUMP)
    .struct(4, nfgen(C.NFPROTO[family]))
    .strz(C.NFTA_RULE_TABLE, table);
}

/** The target chain of a rule's jump or goto verdict (an `immediate` expression), if it has one. */
function jumpTarget(expressions: Uint8Array): string | undefined {
  for (const elem of attrList(expressions)) {
    if (elem.type !== C.NFTA_LIST_ELEM) continue;
    const expr = attrMap(elem.value);
    if (getStr(expr.get(C.NFTA_EXPR_NAME)) !== 'immediate') continue;
    const data = expr.get(C.NFTA_EXPR_DATA);
    const verdict = data && attrMap(data).get(C.NFTA_IMMEDIATE_DATA);
    const v = verdict && attrMap(verdict).get(C.NFTA_DATA_VERDICT);
    if (!v) continue;
    const fields = attrMap(v);
    const code = fields.get(C.NFTA_VERDICT_CODE);
    if (!code || code.length < 4) continue;
    const n = new DataView(code.buffer, code.byteOffset, 4).getInt32(0, false);
    if (n === C.NFT_JUMP || n === C.NFT_GOTO) return getStr(fields.get(C.NFTA_VERDICT_CHAIN));
  }
  return undefined;
}

/** A NEWRULE message of a dump as chain, handle and jump target (undefined if it is not a rule). */
export function parseRule(m: Message): NftRule | undefined {
  if ((m.type & 0xff) !== C.NFT_MSG_NEWRULE) return undefined;
  const attrs = attrMap(m.body, 4);
  const chain = getStr(attrs.get(C.NFTA_RULE_CHAIN));
  const handle = attrs.get(C.NFTA_RULE_HANDLE);
  if (chain === undefined || !handle || handle.length < 8) return undefined;
  const expressions = attrs.get(C.NFTA_RULE_EXPRESSIONS);
  const jumpsTo = expressions ? jumpTarget(expressions) : undefined;
  return {
    chain,
    handle: new DataView(handle.buffer, handle.byteOffset, 8).getBigUint64(0, false),
    ...(jumpsTo !== undefined ? { jumpsTo } : {}),
  };
}

/**
 * The batch that removes `chains` from a table (pure): every rule elsewhere that jumps or goes to
 * one of them (by handle), then each chain's own rules (a flush) and the chain. The messages, in
 * order, with NLM_F_ACK on each change; the kernel applies all or none.
 */
export function removeChainsBatch(family: NftFamily, table: string, chains: readonly string[], rules: readonly NftRule[]): MessageWriter[] {
  const fam = C.NFPROTO[family];
  const doomed = new Set(chains);
  const out = [new MessageWriter(C.NFNL_MSG_BATCH_BEGIN, C.NLM_F_REQUEST).struct(4, nfgen(0, C.NFNL_SUBSYS_NFTABLES))];
  const delRule = (chain: string) =>
    new MessageWriter((C.NFNL_SUBSYS_NFTABLES << 8) | C.NFT_MSG_DELRULE, C.NLM_F_REQUEST | C.NLM_F_ACK)
      .struct(4, nfgen(fam))
      .strz(C.NFTA_RULE_TABLE, table)
      .strz(C.NFTA_RULE_CHAIN, chain);
  for (const r of rules) {
    if (r.jumpsTo === undefined || !doomed.has(r.jumpsTo) || doomed.has(r.chain)) continue;
    const handle = new Uint8Array(8);
    new DataView(handle.buffer).setBigUint64(0, r.handle, false);
    out.push(delRule(r.chain).attr(C.NFTA_RULE_HANDLE, handle));
  }
  for (const chain of doomed) {
    out.push(delRule(chain));
    out.push(
      new MessageWriter((C.NFNL_SUBSYS_NFTABLES << 8) | C.NFT_MSG_DELCHAIN, C.NLM_F_REQUEST | C.NLM_F_ACK)
        .struct(4, nfgen(fam))
        .strz(C.NFTA_CHAIN_TABLE, table)
        .strz(C.NFTA_CHAIN_NAME, chain),
    );
  }
  out.push(new MessageWriter(C.NFNL_MSG_BATCH_END, C.NLM_F_REQUEST).struct(4, nfgen(0, C.NFNL_SUBSYS_NFTABLES)));
  return out;
}

/**
 * Removes those of `chains` the table has, with every rule that jumps or goes to them, in one
 * nf_tables transaction (in the thread's current namespace). Returns how many chains it removed
 * (0: none was there). Throws NetlinkError when the kernel refuses; then nothing was changed.
 */
export function nftRemoveChains(family: NftFamily, table: string, chains: readonly string[]): number {
  return withNetfilter((conn) => {
    const present = chains.filter((c) => existsOn(conn, ...chainQuestion(family, table, c)));
    if (present.length === 0) return 0;
    const rules = conn.dump(getRulesRequest(family, table), `list nftables rules ${family} ${table}`).flatMap((m) => parseRule(m) ?? []);
    conn.batch(removeChainsBatch(family, table, present, rules), `remove nftables chains ${family} ${table} ${present.join(' ')}`);
    return present.length;
  });
}
