import fs from 'node:fs';
import { parseIptablesSave, restoreLine, ruleOption, ruleTarget, sameArgs, type SavedRule, type SavedTable } from './iptables-save';
import { masqChainName, masqComment } from './masq-naming';
import { nfRemoveChains, nfTableKnownAbsent } from './nft';
import type { LiveAttachment, MasqAddress, MasqOwner, RipeForGc } from './masq-types';
import { reasonOf } from '../net/errors';
import { execFile } from '../net/exec';
import { toolPath } from '../net/tools';
import type { IpFamily } from '../ip';

// iptables masquerade in the Go plugin's layout: per attachment a nat chain CNI-<hash> holding
// "to my subnet: ACCEPT" and "not multicast: MASQUERADE", entered from POSTROUTING for packets
// from the container address. Plans are computed from one `iptables-save -t nat` and applied with
// one `iptables-restore --noflush`, per address family.

const MULTICAST: Record<IpFamily, string> = { 4: '224.0.0.0/4', 6: 'ff00::/8' };
const HOST_PREFIX: Record<IpFamily, number> = { 4: 32, 6: 128 };

function commentArgs(comment: string): string[] {
  return ['-m', 'comment', '--comment', comment];
}

// Arguments in the order iptables-save prints them, so they compare equal to saved rules.
function acceptRule(a: MasqAddress, comment: string): string[] {
  return ['-d', `${a.network}/${a.prefix}`, ...commentArgs(comment), '-j', 'ACCEPT'];
}

function masqueradeRule(family: IpFamily, comment: string): string[] {
  return ['!', '-d', MULTICAST[family], ...commentArgs(comment), '-j', 'MASQUERADE'];
}

function jumpRule(a: MasqAddress, chain: string, comment: string): string[] {
  return ['-s', `${a.ip}/${HOST_PREFIX[a.family]}`, ...commentArgs(comment), '-j', chain];
}

function hasRule(table: SavedTable, chain: string, args: string[]): boolean {
  return table.rules.some((r) => r.chain === chain && sameArgs(r.args, args));
}

/**
 * restore lines that make `owner`'s chain and jumps exist for `addrs` (all of one family), keeping
 * what is already there (append-unique, as the Go plugin). Subnet ACCEPTs go before MASQUERADE
 * even when a later address joins an existing chain.
 */
export function planMasqSetup(table: SavedTable, owner: MasqOwner, addrs: readonly MasqAddress[]): string[] {
  if (addrs.length === 0) return [];
  const chain = masqChainName(owner.network, owner.containerId);
  const comment = masqComment(owner.network, owner.containerId);
  const lines: string[] = [];
  const exists = table.chains.has(chain);
  if (!exists) lines.push(`:${chain} - [0:0]`);
  for (const a of addrs) {
    const accept = acceptRule(a, comment);
    if (exists && hasRule(table, chain, accept)) continue;
    lines.push(exists ? restoreLine(['-I', chain, '1', ...accept]) : restoreLine(['-A', chain, ...accept]));
  }
  const masq = masqueradeRule(addrs[0].family, comment);
  if (!exists || !hasRule(table, chain, masq)) lines.push(restoreLine(['-A', chain, ...masq]));
  for (const a of addrs) {
    const jump = jumpRule(a, chain, comment);
    if (!hasRule(table, 'POSTROUTING', jump)) lines.push(restoreLine(['-A', 'POSTROUTING', ...jump]));
  }
  return lines;
}

/**
 * restore lines that remove `chains` and every rule jumping to them. Needs no addresses: the
 * chain name alone (a hash of network and container id) finds the jumps, whatever address they
 * were added for.
 */
export function planChainRemoval(table: SavedTable, chains: readonly string[]): string[] {
  const doomed = new Set(chains.filter((c) => table.chains.has(c)));
  if (doomed.size === 0) return [];
  const lines: string[] = [];
  for (const r of table.rules) {
    const target = ruleTarget(r);
    if (target && doomed.has(target) && !doomed.has(r.chain)) lines.push(restoreLine(['-D', r.chain, ...r.args]));
  }
  for (const c of doomed) lines.push(`-F ${c}`, `-X ${c}`);
  return lines;
}

export function planMasqTeardown(table: SavedTable, owner: MasqOwner): string[] {
  return planChainRemoval(table, [masqChainName(owner.network, owner.containerId)]);
}

const COMMENT_RE = /^name: "((?:[^"\\]|\\.)*)" id: "((?:[^"\\]|\\.)*)"$/;

function unquoteGo(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

/** The (network, container id) a rule's Go-style comment names, if any. */
export function commentOwner(r: SavedRule): { network: string; containerId: string } | undefined {
  const m = COMMENT_RE.exec(ruleOption(r, '--comment') ?? '');
  return m ? { network: unquoteGo(m[1]), containerId: unquoteGo(m[2]) } : undefined;
}

/**
 * Masquerade chains of `network` whose container is not among `live`. The comment on each rule
 * names network and container; a chain counts only when its name is the hash of exactly those, so
 * chains of other plugins (portmap's CNI-DN-…, firewall's CNI-FORWARD) are never touched. iptables
 * rules ignore the interface name (as in the Go plugin), so any live attachment of the container
 * keeps its chain. A stale chain is returned only when `ripe` (asked with the chain's name) agrees.
 */
export function staleMasqChains(
  table: SavedTable,
  network: string,
  live: readonly LiveAttachment[],
  ripe: RipeForGc = () => true,
): string[] {
  const liveIds = new Set(live.map((a) => a.containerId));
  const stale = new Set<string>();
  for (const r of table.rules) {
    const owner = commentOwner(r);
    if (!owner || owner.network !== network || liveIds.has(owner.containerId)) continue;
    const chain = masqChainName(owner.network, owner.containerId);
    if ((r.chain === chain || ruleTarget(r) === chain) && table.chains.has(chain) && ripe(chain)) stale.add(chain);
  }
  return [...stale];
}

/** What is missing of `owner`'s rules for `addrs` (one family), as readable phrases. */
export function missingMasqRules(table: SavedTable, owner: MasqOwner, addrs: readonly MasqAddress[]): string[] {
  if (addrs.length === 0) return [];
  const chain = masqChainName(owner.network, owner.containerId);
  const comment = masqComment(owner.network, owner.containerId);
  if (!table.chains.has(chain)) return [`chain ${chain}`];
  const missing: string[] = [];
  for (const a of addrs) {
    if (!hasRule(table, chain, acceptRule(a, comment))) missing.push(`${chain} ACCEPT for ${a.network}/${a.prefix}`);
    if (!hasRule(table, 'POSTROUTING', jumpRule(a, chain, comment))) missing.push(`POSTROUTING jump for ${a.ip}`);
  }
  if (!hasRule(table, chain, masqueradeRule(addrs[0].family, comment))) missing.push(`${chain} MASQUERADE`);
  return missing;
}

const SAVE: Record<IpFamily, string> = { 4: 'iptables-save', 6: 'ip6tables-save' };
const RESTORE: Record<IpFamily, string> = { 4: 'iptables-restore', 6: 'ip6tables-restore' };

const onNfTables = new Map<IpFamily, boolean>();

/** Whether this family's iptables keeps its tables in nf_tables (iptables-nft), where lib/netlink can look. */
function iptablesOnNfTables(family: IpFamily): boolean {
  let known = onNfTables.get(family);
  if (known === undefined) {
    try {
      known = fs.realpathSync(toolPath(SAVE[family])).endsWith('/xtables-nft-multi');
    } catch {
      known = false;
    }
    onNfTables.set(family, known);
  }
  return known;
}

/**
 * With iptables-nft, a nat table nf_tables does not have is saved as its four built-in chains and
 * no rule: known that way without running iptables-save (lib/netlink asks nf_tables in-process).
 * iptables-legacy keeps its tables elsewhere, so there the save always runs.
 */
function natTableKnownAbsent(family: IpFamily): boolean {
  return iptablesOnNfTables(family) && nfTableKnownAbsent(family === 4 ? 'ip' : 'ip6', 'nat');
}

/**
 * With iptables-nft, removes a nat chain and the rules that jump to it in-process (one nf_tables
 * transaction) instead of iptables-save + iptables-restore: a bridge DEL then starts no process.
 * True when that settled it (removed, or it was already gone); false with iptables-legacy, under
 * Node, or when nf_tables refused (nothing changed; the caller goes the iptables way, which
 * re-reads the table).
 */
export function removeNatChainInProcess(family: IpFamily, chain: string): boolean {
  return iptablesOnNfTables(family) && nfRemoveChains(family === 4 ? 'ip' : 'ip6', 'nat', [chain]);
}

/** The nat table of one family, or undefined when that iptables cannot be used here. */
export async function readNatTable(family: IpFamily): Promise<SavedTable | undefined> {
  if (natTableKnownAbsent(family)) return { chains: new Set(['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']), rules: [] };
  const o = await execFile(toolPath(SAVE[family]), ['-t', 'nat']);
  return o.status === 0 ? parseIptablesSave(o.stdout) : undefined;
}

/** Applies restore lines to the nat table of one family in one transaction. */
export async function applyNatLines(family: IpFamily, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  const o = await execFile(toolPath(RESTORE[family]), ['--noflush', '-w'], `*nat\n${lines.join('\n')}\nCOMMIT\n`);
  if (o.status !== 0) throw new Error(`${RESTORE[family]} (nat) failed: ${reasonOf(o.stderr.split('\n'), `exit status ${o.status}`)}`);
}

/**
 * Reads the nat table, plans, applies; if the table changed under us in between (another
 * plugin's rules racing ours) and the transaction is refused, plans once more from a fresh read.
 */
export async function changeNatTable(family: IpFamily, plan: (table: SavedTable) => string[], table?: SavedTable): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const current = table ?? (await readNatTable(family));
    if (!current) throw new Error(`${SAVE[family]} -t nat failed: ip${family === 6 ? '6' : ''}tables cannot be used here`);
    try {
      await applyNatLines(family, plan(current));
      return;
    } catch (e) {
      if (attempt >= 2) throw e;
      table = undefined;
    }
  }
}
