import type { SavedTable } from './iptables-save';
import {
  changeNatTable,
  missingMasqRules,
  planChainRemoval,
  planMasqSetup,
  planMasqTeardown,
  readNatTable,
  staleMasqChains,
} from './masq-iptables';
import { changeMasqTable, missingNftMasqRules, planNftMasqGc, planNftMasqSetup, planNftMasqTeardown, readMasqTable } from './masq-nftables';
import type { LiveAttachment, MasqAddress, MasqBackend, MasqOwner } from './masq-types';
import { NftUnavailableError, type NftListing } from './nft';
import type { IpFamily } from '../ip';

export type { LiveAttachment, MasqAddress, MasqBackend, MasqOwner } from './masq-types';

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

/** Installs masquerading for `addrs`: one read and one transaction per family (iptables) or in all (nftables). */
export async function setupMasquerade(
  configured: MasqBackend | undefined,
  owner: MasqOwner,
  addrs: readonly MasqAddress[],
): Promise<MasqBackend> {
  const { backend, v4Nat } = await chooseMasqBackend(configured);
  if (backend === 'nftables') {
    await changeMasqTable((l) => planNftMasqSetup(l, owner, addrs), 'nftables masquerade setup');
    return backend;
  }
  await Promise.all(
    FAMILIES.filter((f) => ofFamily(addrs, f).length > 0).map((f) =>
      changeNatTable(f, (t) => planMasqSetup(t, owner, ofFamily(addrs, f)), f === 4 ? v4Nat : undefined),
    ),
  );
  return backend;
}

/**
 * Applies a change to every backend that can be used here: both iptables families and nftables,
 * read in parallel. A backend that cannot even be read has nothing of ours to change. Errors of
 * the others are collected into one.
 */
async function changeEverywhere(
  iptablesPlan: (table: SavedTable) => string[],
  nftPlan: (listing: NftListing) => ReturnType<typeof planNftMasqTeardown>,
  what: string,
): Promise<void> {
  const [v4, v6, nft] = await Promise.all([readNatTable(4), readNatTable(6), readNftOrAbsent()]);
  const jobs: Promise<void>[] = [];
  for (const [family, table] of [
    [4, v4],
    [6, v6],
  ] as const) {
    if (table && iptablesPlan(table).length > 0) jobs.push(changeNatTable(family, iptablesPlan, table));
  }
  if (nft && nftPlan(nft).length > 0) jobs.push(changeMasqTable(nftPlan, `nftables ${what}`, nft));
  const errors = (await Promise.allSettled(jobs)).flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
  if (errors.length > 0) throw new Error(`${what}: ${errors.join('; ')}`);
}

/**
 * Removes `owner`'s masquerading from both backends and both families, whichever wrote it (this
 * plugin, the Go plugin, an older config). Needs no addresses, so it works after the container's
 * interface or namespace is gone.
 */
export function teardownMasquerade(owner: MasqOwner): Promise<void> {
  return changeEverywhere(
    (t) => planMasqTeardown(t, owner),
    (l) => planNftMasqTeardown(l, owner),
    'masquerade teardown',
  );
}

/** Removes every masquerade rule of `network` that belongs to none of the `live` attachments. */
export function gcMasquerade(network: string, live: readonly LiveAttachment[]): Promise<void> {
  return changeEverywhere(
    (t) => planChainRemoval(t, staleMasqChains(t, network, live)),
    (l) => planNftMasqGc(l, network, live),
    'masquerade garbage collection',
  );
}

/** What of `owner`'s masquerading for `addrs` is missing in the backend it would use; [] when complete. */
export async function missingMasquerade(
  configured: MasqBackend | undefined,
  owner: MasqOwner,
  addrs: readonly MasqAddress[],
): Promise<string[]> {
  const { backend, v4Nat } = await chooseMasqBackend(configured);
  if (backend === 'nftables') {
    const listing = await readMasqTable();
    return missingNftMasqRules(listing, owner, addrs);
  }
  const missing: string[] = [];
  for (const f of FAMILIES) {
    const own = ofFamily(addrs, f);
    if (own.length === 0) continue;
    const table = (f === 4 ? v4Nat : undefined) ?? (await readNatTable(f));
    if (!table) missing.push(`ip${f === 6 ? '6' : ''}tables nat table (cannot be read)`);
    else missing.push(...missingMasqRules(table, owner, own).map((m) => `ip${f === 6 ? '6' : ''}tables ${m}`));
  }
  return missing;
}
