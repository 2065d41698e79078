import { deleteRuleCommand, nftApply, nftList, NftUnavailableError, type NftCommand, type NftListing } from './nft';

// MAC spoof check in the Go plugin's nftables layout (table `bridge nat`): PREROUTING sends
// frames entering from the host-side port to a per-attachment chain, which accepts only the
// container's own source MAC and drops the rest. Every rule carries the comment
// `macspoofchk-<containerId>-<ifName>`; chains are named after the same id.

const FAMILY = 'bridge';
const TABLE = 'nat';
const PREROUTING = 'PREROUTING';

/** The id Go's plugin derives from the attachment: `<containerId>-<ifName>`. */
export function spoofCheckId(containerId: string, ifName: string): string {
  return `${containerId}-${ifName}`;
}

function names(id: string): { iface: string; mac: string; comment: string } {
  const iface = `cni-br-iface-${id}`;
  return { iface, mac: `${iface}-mac`, comment: `macspoofchk-${id}` };
}

function chain(name: string): Record<string, unknown> {
  return { family: FAMILY, table: TABLE, name };
}

function rule(chainName: string, expr: unknown[], comment: string): NftCommand {
  return { add: { rule: { family: FAMILY, table: TABLE, chain: chainName, expr, comment } } };
}

/** One transaction creating (or refreshing) the attachment's chains and rules. */
export function planSpoofCheckSetup(hostIfName: string, mac: string, id: string): NftCommand[] {
  const n = names(id);
  return [
    { add: { table: { family: FAMILY, name: TABLE } } },
    { add: { chain: { ...chain(PREROUTING), type: 'filter', hook: 'prerouting', prio: -300, policy: 'accept' } } },
    { add: { chain: chain(n.iface) } },
    { add: { chain: chain(n.mac) } },
    { flush: { chain: chain(n.iface) } },
    { flush: { chain: chain(n.mac) } },
    rule(
      PREROUTING,
      [{ match: { op: '==', left: { meta: { key: 'iifname' } }, right: hostIfName } }, { jump: { target: n.iface } }],
      n.comment,
    ),
    rule(n.iface, [{ jump: { target: n.mac } }], n.comment),
    rule(
      n.mac,
      [{ match: { op: '==', left: { payload: { protocol: 'ether', field: 'saddr' } }, right: mac.toLowerCase() } }, { return: null }],
      n.comment,
    ),
    rule(n.mac, [{ drop: null }], n.comment),
  ];
}

function jumpsToAttachment(listing: NftListing, id: string) {
  const n = names(id);
  if (listing === 'absent') return [];
  return listing.rules.filter(
    (r) => r.chain === PREROUTING && r.comment === n.comment && JSON.stringify(r.expr).includes(`"target":${JSON.stringify(n.iface)}`),
  );
}

/** Deletes the PREROUTING jumps found in `listing` and both attachment chains. */
export function planSpoofCheckTeardown(listing: NftListing, id: string): NftCommand[] {
  if (listing === 'absent') return [];
  const n = names(id);
  return [
    ...jumpsToAttachment(listing, id).map(deleteRuleCommand),
    ...[n.iface, n.mac].filter((c) => listing.chains.has(c)).map((c) => ({ delete: { chain: chain(c) } })),
  ];
}

export async function setupSpoofCheck(hostIfName: string, mac: string, id: string): Promise<void> {
  await nftApply(planSpoofCheckSetup(hostIfName, mac, id), 'mac spoof check setup');
}

/** Removes the attachment's spoof check; nothing to do when nftables is not there at all. */
export async function teardownSpoofCheck(id: string): Promise<void> {
  let listing: NftListing;
  try {
    listing = await nftList('table', FAMILY, TABLE);
  } catch (e) {
    if (e instanceof NftUnavailableError) return;
    throw e;
  }
  await nftApply(planSpoofCheckTeardown(listing, id), 'mac spoof check teardown');
}
