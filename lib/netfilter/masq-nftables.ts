import { nftInstanceHash, nftInstanceOfComment, nftMasqComment, nftNetworkHash } from './masq-naming';
import type { LiveAttachment, MasqAddress, MasqOwner, RipeForGc } from './masq-types';
import { deleteRuleCommand, nftApply, nftList, NftUnavailableError, type NftCommand, type NftListing, type NftRule } from './nft';

// nftables masquerade in the Go plugin's layout: table `inet cni_plugins_masquerade`, a nat base
// chain `postrouting` that skips multicast and jumps to `masq_checks`, and in `masq_checks` one
// rule per container address, commented with a hash of (network, ifname, container id). Rules
// are found again by that comment prefix, so teardown needs no addresses.

const FAMILY = 'inet';
const TABLE = 'cni_plugins_masquerade';
const CHECKS = 'masq_checks';
const POSTROUTING = 'postrouting';

function chain(name: string): Record<string, unknown> {
  return { family: FAMILY, table: TABLE, name };
}

function rule(chainName: string, expr: unknown[], comment?: string): NftCommand {
  const r: Record<string, unknown> = { family: FAMILY, table: TABLE, chain: chainName, expr };
  if (comment !== undefined) r.comment = comment;
  return { add: { rule: r } };
}

function match(op: '==' | '!=', protocol: string, field: string, right: unknown): unknown {
  return { match: { op, left: { payload: { protocol, field } }, right } };
}

function prefix(addr: string, len: number): unknown {
  return { prefix: { addr, len } };
}

/** The table, both chains and the fixed postrouting rules (rewritten on every setup, as Go does). */
function skeleton(): NftCommand[] {
  return [
    { add: { table: { family: FAMILY, name: TABLE, comment: 'Masquerading for plugins from github.com/containernetworking/plugins' } } },
    {
      add: {
        chain: { ...chain(CHECKS), comment: 'Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet' },
      },
    },
    { add: { chain: { ...chain(POSTROUTING), type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } } },
    { flush: { chain: chain(POSTROUTING) } },
    rule(POSTROUTING, [match('==', 'ip', 'daddr', prefix('224.0.0.0', 4)), { return: null }]),
    rule(POSTROUTING, [match('==', 'ip6', 'daddr', prefix('ff00::', 8)), { return: null }]),
    rule(POSTROUTING, [{ goto: { target: CHECKS } }]),
  ];
}

function checksRules(listing: NftListing): NftRule[] {
  return listing === 'absent' ? [] : listing.rules.filter((r) => r.chain === CHECKS);
}

function rulesWithPrefix(listing: NftListing, commentPrefix: string): NftRule[] {
  return checksRules(listing).filter((r) => r.comment?.startsWith(commentPrefix));
}

function masqRule(a: MasqAddress, comment: string): NftCommand {
  const ip = a.family === 4 ? 'ip' : 'ip6';
  return rule(
    CHECKS,
    [match('==', ip, 'saddr', a.ip), match('!=', ip, 'daddr', prefix(a.network, a.prefix)), { masquerade: null }],
    comment,
  );
}

/** One transaction: ensure the skeleton, replace this attachment's rules by rules for `addrs`. */
export function planNftMasqSetup(listing: NftListing, owner: MasqOwner, addrs: readonly MasqAddress[]): NftCommand[] {
  if (addrs.length === 0) return [];
  const comment = nftMasqComment(owner.network, owner.ifName, owner.containerId);
  const stale = rulesWithPrefix(listing, nftInstanceHash(owner.network, owner.ifName, owner.containerId));
  return [...skeleton(), ...stale.map(deleteRuleCommand), ...addrs.map((a) => masqRule(a, comment))];
}

export function planNftMasqTeardown(listing: NftListing, owner: MasqOwner): NftCommand[] {
  return rulesWithPrefix(listing, nftInstanceHash(owner.network, owner.ifName, owner.containerId)).map(deleteRuleCommand);
}

/** Deletes the network's rules whose comment is not that of a live attachment, when `ripe` (asked with the instance hash) agrees. */
export function planNftMasqGc(
  listing: NftListing,
  network: string,
  live: readonly LiveAttachment[],
  ripe: RipeForGc = () => true,
): NftCommand[] {
  const keep = new Set(live.map((a) => nftMasqComment(network, a.ifName, a.containerId)));
  return rulesWithPrefix(listing, nftNetworkHash(network))
    .filter((r) => !keep.has(r.comment ?? '') && ripe(nftInstanceOfComment(r.comment ?? '')))
    .map(deleteRuleCommand);
}

/** How many of `owner`'s rules exist for `addrs`, reported as the addresses without one. */
export function missingNftMasqRules(listing: NftListing, owner: MasqOwner, addrs: readonly MasqAddress[]): string[] {
  const comment = nftMasqComment(owner.network, owner.ifName, owner.containerId);
  const own = checksRules(listing).filter((r) => r.comment === comment);
  const text = own.map((r) => JSON.stringify(r.expr));
  return addrs
    .filter((a) => !text.some((t) => t.includes(`"right":"${a.ip}"`)))
    .map((a) => `nftables masquerade rule for ${a.ip} (comment "${comment}")`);
}

export function readMasqTable(): Promise<NftListing> {
  return nftList('table', FAMILY, TABLE);
}

/**
 * Reads the table, plans, applies in one transaction; when the transaction is refused because a
 * rule it deletes vanished meanwhile (a concurrent DEL), plans once more from a fresh read.
 */
export async function changeMasqTable(plan: (listing: NftListing) => NftCommand[], what: string, listing?: NftListing): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const current = listing ?? (await readMasqTable());
    try {
      await nftApply(plan(current), what);
      return;
    } catch (e) {
      if (attempt >= 2 || e instanceof NftUnavailableError) throw e;
      listing = undefined;
    }
  }
}
