import {
  changeFilterTable,
  missingInvalidDrops,
  missingNftInvalidDrops,
  planInvalidDropGc,
  planInvalidDropSetup,
  planInvalidDropTeardown,
  planNftInvalidDropGc,
  planNftInvalidDropSetup,
  planNftInvalidDropTeardown,
  readFilterTable,
} from './conntrack-invalid';
import type { SavedTable } from './iptables-save';
import {
  changeNatTable,
  missingMasqRules,
  planChainRemoval,
  planMasqSetup,
  planMasqTeardown,
  readNatTable,
  removeNatChainInProcess,
  staleMasqChains,
} from './masq-iptables';
import { changeMasqTable, missingNftMasqRules, planNftMasqGc, planNftMasqSetup, planNftMasqTeardown, readMasqTable } from './masq-nftables';
import { masqChainName } from './masq-naming';
import type { LiveAttachment, MasqAddress, MasqAttachment, MasqBackend, RipeForGc } from './masq-types';
import { NftUnavailableError, type NftListing } from './nft';
import type { IpFamily } from '../ip';

export type { LiveAttachment, MasqAddress, MasqAttachment, MasqBackend, MasqOwner, RipeForGc } from './masq-types';

const FAMILIES = [4, 6] as const;

function ofFamily(addrs: readonly MasqAddress[], family: IpFamily): MasqAddress[] {
  return addrs.filter((a) => a.family === family);
}

async function readNftOrAbsent(): Promise<NftListing | undefined> {
  try {
    return await readMasqTable();
  } catch (e) {
    if (e instanceof NftUnavailableError) return undefined;
    throw e;
  }
}

/**
 * The backend to use when the config names none, decided as the Go plugin does: iptables, unless
 * iptables cannot be used here and nftables can. The IPv4 nat table read for the decision is
 * handed back so that setup does not read it again.
 */
export async function chooseMasqBackend(configured?: MasqBackend): Promise<{ backend: MasqBackend; v4Nat?: SavedTable }> {
  if (configured) return { backend: configured };
  const v4Nat = await readNatTable(4);
  if (v4Nat) return { backend: 'iptables', v4Nat };
  return { backend: (await readNftOrAbsent()) ? 'nftables' : 'iptables' };
}

/**
 * Installs masquerading for `addrs`: one read and one transaction per family (iptables; with
 * dropInvalid one more of each for the filter table, side by side) or in all (nftables).
 */
export async function setupMasquerade(
  configured: MasqBackend | undefined,
  owner: MasqAttachment,
  addrs: readonly MasqAddress[],
): Promise<MasqBackend> {
  const { backend, v4Nat } = await chooseMasqBackend(configured);
  if (backend === 'nftables') {
    await changeMasqTable(
      (l) => [...planNftMasqSetup(l, owner, addrs), ...(owner.dropInvalid ? planNftInvalidDropSetup(l, owner, addrs) : [])],
      'nftables masquerade setup',
    );
    return backend;
  }
  await Promise.all(
    FAMILIES.filter((f) => ofFamily(addrs, f).length > 0).flatMap((f) => [
      changeNatTable(f, (t) => planMasqSetup(t, owner, ofFamily(addrs, f)), f === 4 ? v4Nat : undefined),
      ...(owner.dropInvalid ? [changeFilterTable(f, (t) => planInvalidDropSetup(t, owner, ofFamily(addrs, f)))] : []),
    ]),
  );
  return backend;
}

/**
 * Applies a change to every backend that can be used here: both iptables families (nat, and
 * filter when `filterPlan` is given) and nftables, read in parallel. A backend that cannot even
 * be read has nothing of ours to change. Errors of the others are collected into one.
 */
async function changeEverywhere(
  iptablesPlan: (table: SavedTable) => string[],
  nftPlan: (listing: NftListing) => ReturnType<typeof planNftMasqTeardown>,
  what: string,
  filterPlan?: (table: SavedTable) => string[],
  natSettled: readonly IpFamily[] = [],
): Promise<void> {
  const readFilter = (f: 4 | 6) => (filterPlan ? readFilterTable(f) : undefined);
  // A nat table already taken care of is not read (no iptables-save runs for it).
  const readNat = (f: 4 | 6) => (natSettled.includes(f) ? undefined : readNatTable(f));
  const [v4, v6, nft, v4Filter, v6Filter] = await Promise.all([readNat(4), readNat(6), readNftOrAbsent(), readFilter(4), readFilter(6)]);
  const jobs: Promise<void>[] = [];
  for (const [family, table] of [
    [4, v4],
    [6, v6],
  ] as const) {
    if (table && iptablesPlan(table).length > 0) jobs.push(changeNatTable(family, iptablesPlan, table));
  }
  for (const [family, table] of [
    [4, v4Filter],
    [6, v6Filter],
  ] as const) {
    if (filterPlan && table && filterPlan(table).length > 0) jobs.push(changeFilterTable(family, filterPlan, table));
  }
  if (nft && nftPlan(nft).length > 0) jobs.push(changeMasqTable(nftPlan, `nftables ${what}`, nft));
  const errors = (await Promise.allSettled(jobs)).flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
  if (errors.length > 0) throw new Error(`${what}: ${errors.join('; ')}`);
}

/**
 * Removes `owner`'s masquerading from both backends and both families, whichever wrote it (this
 * plugin, the Go plugin, an older config). Needs no addresses, so it works after the container's
 * interface or namespace is gone. nftables INVALID drops go with it in any case (the same
 * listing); the iptables ones, which need the filter tables read, only with dropInvalid.
 */
export function teardownMasquerade(owner: MasqAttachment): Promise<void> {
  // The nat part is the owner's chain and the jumps to it: with iptables-nft removed in-process
  // (or found gone: a repeated DEL, a DEL after a failed ADD), and then no iptables-save/-restore
  // runs for that family.
  const chain = masqChainName(owner.network, owner.containerId);
  const settled = FAMILIES.filter((f) => removeNatChainInProcess(f, chain));
  return changeEverywhere(
    (t) => planMasqTeardown(t, owner),
    (l) => [...planNftMasqTeardown(l, owner), ...planNftInvalidDropTeardown(l, owner)],
    'masquerade teardown',
    owner.dropInvalid ? (t) => planInvalidDropTeardown(t, owner) : undefined,
    settled,
  );
}

/**
 * Removes every masquerade rule (and INVALID drop) of `network` that belongs to none of the `live`
 * attachments and that `ripe` lets go (see RipeForGc).
 */
export function gcMasquerade(network: string, live: readonly LiveAttachment[], ripe: RipeForGc): Promise<void> {
  return changeEverywhere(
    (t) => planChainRemoval(t, staleMasqChains(t, network, live, ripe)),
    (l) => [...planNftMasqGc(l, network, live, ripe), ...planNftInvalidDropGc(l, network, live, ripe)],
    'masquerade garbage collection',
    (t) => planInvalidDropGc(t, network, live, ripe),
  );
}

/** What of `owner`'s masquerading for `addrs` is missing in the backend it would use; [] when complete. */
export async function missingMasquerade(
  configured: MasqBackend | undefined,
  owner: MasqAttachment,
  addrs: readonly MasqAddress[],
): Promise<string[]> {
  const { backend, v4Nat } = await chooseMasqBackend(configured);
  if (backend === 'nftables') {
    const listing = await readMasqTable();
    return [...missingNftMasqRules(listing, owner, addrs), ...(owner.dropInvalid ? missingNftInvalidDrops(listing, owner, addrs) : [])];
  }
  const missing: string[] = [];
  for (const f of FAMILIES) {
    const own = ofFamily(addrs, f);
    if (own.length === 0) continue;
    const table = (f === 4 ? v4Nat : undefined) ?? (await readNatTable(f));
    if (!table) missing.push(`ip${f === 6 ? '6' : ''}tables nat table (cannot be read)`);
    else missing.push(...missingMasqRules(table, owner, own).map((m) => `ip${f === 6 ? '6' : ''}tables ${m}`));
    if (!owner.dropInvalid) continue;
    const filter = await readFilterTable(f);
    if (!filter) missing.push(`ip${f === 6 ? '6' : ''}tables filter table (cannot be read)`);
    else missing.push(...missingInvalidDrops(filter, owner, own).map((m) => `ip${f === 6 ? '6' : ''}tables ${m}`));
  }
  return missing;
}
