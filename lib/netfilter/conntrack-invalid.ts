import { parseIptablesSave, restoreLine, ruleOption, sameArgs, type SavedRule, type SavedTable } from './iptables-save';
import { commentOwner } from './masq-iptables';
import { masqChainName, masqComment, nftInstanceHash, nftInstanceOfComment, nftMasqComment, nftNetworkHash } from './masq-naming';
import type { LiveAttachment, MasqAddress, MasqOwner, RipeForGc } from './masq-types';
import { deleteRuleCommand, type NftCommand, type NftListing, type NftRule } from './nft';
import { reasonOf } from '../net/errors';
import { execFile } from '../net/exec';
import { toolPath } from '../net/tools';
import type { IpFamily } from '../ip';

// The opt-in drop of packets conntrack marks INVALID, beside an attachment's masquerading
// (plugins#816). Such packets never reach a nat chain, so they would leave the node with the
// container's address; they are dropped where they are forwarded instead. Both layouts are
// additions the Go plugin never looks at, so its own teardown of the masquerade rules works as
// before (it leaves these behind; cni-ts's DEL and GC remove them):
// - iptables: in the filter table's FORWARD chain, per container address,
//   `-s <ip> -m conntrack --ctstate INVALID` with the attachment's masquerade comment, `-j DROP`;
// - nftables: in the masquerade table `inet cni_plugins_masquerade`, a filter chain `drop_invalid`
//   on the forward hook, per address `saddr <ip> ct state invalid drop` with the attachment's
//   masquerade comment.

const HOST_PREFIX: Record<IpFamily, number> = { 4: 32, 6: 128 };
const FORWARD = 'FORWARD';

function dropArgs(a: MasqAddress, comment: string): string[] {
  return [
    '-s',
    `${a.ip}/${HOST_PREFIX[a.family]}`,
    '-m',
    'conntrack',
    '--ctstate',
    'INVALID',
    '-m',
    'comment',
    '--comment',
    comment,
    '-j',
    'DROP',
  ];
}

function isInvalidDrop(r: SavedRule): boolean {
  return r.chain === FORWARD && ruleOption(r, '--ctstate') === 'INVALID' && ruleOption(r, '-j') === 'DROP';
}

function hasDrop(table: SavedTable, args: string[]): boolean {
  return table.rules.some((r) => r.chain === FORWARD && sameArgs(r.args, args));
}

/** restore lines (filter table, one family) that put `owner`'s drops for `addrs` first in FORWARD. */
export function planInvalidDropSetup(table: SavedTable, owner: MasqOwner, addrs: readonly MasqAddress[]): string[] {
  const comment = masqComment(owner.network, owner.containerId);
  return addrs
    .map((a) => dropArgs(a, comment))
    .filter((args) => !hasDrop(table, args))
    .map((args) => restoreLine(['-I', FORWARD, '1', ...args]));
}

/** restore lines removing the drops whose comment names one of `owners` (network and container). */
function planDropRemoval(table: SavedTable, doomed: (owner: { network: string; containerId: string }) => boolean): string[] {
  return table.rules
    .filter((r) => {
      const owner = isInvalidDrop(r) ? commentOwner(r) : undefined;
      return owner !== undefined && doomed(owner);
    })
    .map((r) => restoreLine(['-D', r.chain, ...r.args]));
}

export function planInvalidDropTeardown(table: SavedTable, owner: MasqOwner): string[] {
  return planDropRemoval(table, (o) => o.network === owner.network && o.containerId === owner.containerId);
}

/**
 * GC: the network's drops whose container is not among `live` (iptables rules ignore ifname, as the
 * masquerade chain), and which `ripe` lets go, asked with the masquerade chain's name.
 */
export function planInvalidDropGc(
  table: SavedTable,
  network: string,
  live: readonly LiveAttachment[],
  ripe: RipeForGc = () => true,
): string[] {
  const liveIds = new Set(live.map((a) => a.containerId));
  return planDropRemoval(table, (o) => o.network === network && !liveIds.has(o.containerId) && ripe(masqChainName(network, o.containerId)));
}

export function missingInvalidDrops(table: SavedTable, owner: MasqOwner, addrs: readonly MasqAddress[]): string[] {
  const comment = masqComment(owner.network, owner.containerId);
  return addrs.filter((a) => !hasDrop(table, dropArgs(a, comment))).map((a) => `filter FORWARD INVALID drop for ${a.ip}`);
}

const SAVE: Record<IpFamily, string> = { 4: 'iptables-save', 6: 'ip6tables-save' };
const RESTORE: Record<IpFamily, string> = { 4: 'iptables-restore', 6: 'ip6tables-restore' };

/** The filter table of one family, or undefined when that iptables cannot be used here. */
export async function readFilterTable(family: IpFamily): Promise<SavedTable | undefined> {
  const o = await execFile(toolPath(SAVE[family]), ['-t', 'filter']);
  return o.status === 0 ? parseIptablesSave(o.stdout) : undefined;
}

/** Reads, plans and applies in one `iptables-restore --noflush`; planned once more if the table changed meanwhile. */
export async function changeFilterTable(family: IpFamily, plan: (table: SavedTable) => string[], table?: SavedTable): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const current = table ?? (await readFilterTable(family));
    if (!current) throw new Error(`${SAVE[family]} -t filter failed: ip${family === 6 ? '6' : ''}tables cannot be used here`);
    const lines = plan(current);
    if (lines.length === 0) return;
    const o = await execFile(toolPath(RESTORE[family]), ['--noflush', '-w'], `*filter\n${lines.join('\n')}\nCOMMIT\n`);
    if (o.status === 0) return;
    if (attempt >= 2) throw new Error(`${RESTORE[family]} (filter) failed: ${reasonOf(o.stderr.split('\n'), `exit status ${o.status}`)}`);
    table = undefined;
  }
}

// nftables

const NFT_FAMILY = 'inet';
const NFT_TABLE = 'cni_plugins_masquerade';
export const NFT_INVALID_CHAIN = 'drop_invalid';

function invalidRules(listing: NftListing): NftRule[] {
  return listing === 'absent' ? [] : listing.rules.filter((r) => r.chain === NFT_INVALID_CHAIN);
}

function nftDropRule(a: MasqAddress, comment: string): NftCommand {
  const saddr = { match: { op: '==', left: { payload: { protocol: a.family === 4 ? 'ip' : 'ip6', field: 'saddr' } }, right: a.ip } };
  const invalid = { match: { op: 'in', left: { ct: { key: 'state' } }, right: 'invalid' } };
  return {
    add: { rule: { family: NFT_FAMILY, table: NFT_TABLE, chain: NFT_INVALID_CHAIN, expr: [saddr, invalid, { drop: null }], comment } },
  };
}

/**
 * Commands (after the masquerade setup's, which create the table) that make the forward chain
 * exist and replace `owner`'s drops by drops for `addrs`.
 */
export function planNftInvalidDropSetup(listing: NftListing, owner: MasqOwner, addrs: readonly MasqAddress[]): NftCommand[] {
  if (addrs.length === 0) return [];
  const comment = nftMasqComment(owner.network, owner.ifName, owner.containerId);
  const instance = nftInstanceHash(owner.network, owner.ifName, owner.containerId);
  const chain: NftCommand = {
    add: {
      chain: {
        family: NFT_FAMILY,
        table: NFT_TABLE,
        name: NFT_INVALID_CHAIN,
        type: 'filter',
        hook: 'forward',
        prio: 0,
        policy: 'accept',
        comment: 'Drop packets conntrack marks invalid from masqueraded IPs (cni-ts ipMasqDropInvalid)',
      },
    },
  };
  const stale = invalidRules(listing).filter((r) => r.comment?.startsWith(instance));
  return [chain, ...stale.map(deleteRuleCommand), ...addrs.map((a) => nftDropRule(a, comment))];
}

export function planNftInvalidDropTeardown(listing: NftListing, owner: MasqOwner): NftCommand[] {
  const instance = nftInstanceHash(owner.network, owner.ifName, owner.containerId);
  return invalidRules(listing)
    .filter((r) => r.comment?.startsWith(instance))
    .map(deleteRuleCommand);
}

export function planNftInvalidDropGc(
  listing: NftListing,
  network: string,
  live: readonly LiveAttachment[],
  ripe: RipeForGc = () => true,
): NftCommand[] {
  const keep = new Set(live.map((a) => nftMasqComment(network, a.ifName, a.containerId)));
  return invalidRules(listing)
    .filter((r) => r.comment?.startsWith(nftNetworkHash(network)) && !keep.has(r.comment) && ripe(nftInstanceOfComment(r.comment)))
    .map(deleteRuleCommand);
}

export function missingNftInvalidDrops(listing: NftListing, owner: MasqOwner, addrs: readonly MasqAddress[]): string[] {
  const comment = nftMasqComment(owner.network, owner.ifName, owner.containerId);
  const text = invalidRules(listing)
    .filter((r) => r.comment === comment)
    .map((r) => JSON.stringify(r.expr));
  return addrs
    .filter((a) => !text.some((t) => t.includes(`"right":"${a.ip}"`)))
    .map((a) => `nftables ${NFT_INVALID_CHAIN} rule for ${a.ip} (comment "${comment}")`);
}
