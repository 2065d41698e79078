import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { reasonOf } from '../net/errors';
import { execFile, type ExecResult } from '../net/exec';
import { toolPath } from '../net/tools';
import { C, nftRemoveChains, nftTableExists, type NftFamily } from '../netlink';

// nft through its JSON interface both ways: `nft -j list …` to read, `nft -j -f -` to change.
// JSON rather than the text syntax because names and comments then need no quoting rules
// (an interface name may legally contain a double quote).

export type NftCommand = Record<string, unknown>;

export interface NftRule {
  family: string;
  table: string;
  chain: string;
  handle: number;
  comment?: string;
  expr: unknown[];
}

/** Result of a listing: the chains and rules it holds, or 'absent' when the table/chain does not exist. */
export type NftListing = { chains: Set<string>; rules: NftRule[] } | 'absent';

function complaint(o: ExecResult): string {
  return reasonOf(o.stderr.split('\n'), `exit status ${o.status}`);
}

/** Thrown when nft is missing or cannot talk to the kernel: the nftables backend is unusable. */
export class NftUnavailableError extends Error {}

function isRule(v: unknown): v is { rule: NftRule } {
  return typeof v === 'object' && v !== null && 'rule' in v;
}

function isChain(v: unknown): v is { chain: { name: string } } {
  return typeof v === 'object' && v !== null && 'chain' in v;
}

/**
 * Runs an in-process nf_tables call (lib/netlink) where that is possible: the Bun executable and a
 * family nf_tables knows. Undefined where it is not, or when the kernel refused (the caller then
 * runs the tool, which will tell).
 */
function inProcess<T>(family: string, call: (family: NftFamily) => T): T | undefined {
  if (process.versions.bun === undefined || !Object.hasOwn(C.NFPROTO, family)) return undefined;
  try {
    return call(family as NftFamily);
  } catch {
    return undefined;
  }
}

/** Whether nf_tables is known not to have a table in this namespace (false: it has, or unknown). */
export function nfTableKnownAbsent(family: string, name: string): boolean {
  return inProcess(family, (f) => !nftTableExists(f, name)) ?? false;
}

/**
 * Removes `chains` of a table and every rule that jumps or goes to them, in one nf_tables
 * transaction. True when that settled it (removed, or none was there); false when it could not be
 * done here (then nothing was changed and the caller goes the tool's way).
 */
export function nfRemoveChains(family: string, table: string, chains: readonly string[]): boolean {
  return inProcess(family, (f) => nftRemoveChains(f, table, chains)) !== undefined;
}

/** `nft -j list <what…>`, e.g. ('table', 'inet', 'cni_plugins_masquerade'); a table nf_tables does not have is 'absent' without running nft. */
export async function nftList(...what: string[]): Promise<NftListing> {
  if (what.length === 3 && what[0] === 'table' && nfTableKnownAbsent(what[1], what[2])) return 'absent';
  const o = await execFile(toolPath('nft'), ['-j', 'list', ...what]);
  if (o.status !== 0) {
    if (o.status > 0 && /No such file or directory/.test(o.stderr)) return 'absent';
    throw new NftUnavailableError(`nft list ${what.join(' ')} failed: ${complaint(o)}`);
  }
  let parsed: { nftables?: unknown[] };
  try {
    parsed = JSON.parse(o.stdout) as { nftables?: unknown[] };
  } catch {
    throw new Error(`nft list ${what.join(' ')} printed no JSON: ${o.stdout.slice(0, 200)}`);
  }
  const items = parsed.nftables ?? [];
  return { chains: new Set(items.filter(isChain).map((c) => c.chain.name)), rules: items.filter(isRule).map((r) => r.rule) };
}

// Linux refuses a single argument longer than 128 KiB (MAX_ARG_STRLEN).
const MAX_ARGUMENT = 120 * 1024;

/**
 * Runs one JSON transaction. nft reads `-f -` by opening /dev/stdin, which fails on the socket
 * Node gives a child as stdin; so the transaction travels as the command-line argument, or
 * through a private temporary file when it is too long for one.
 */
async function runTransaction(json: string): Promise<ExecResult> {
  if (Buffer.byteLength(json) <= MAX_ARGUMENT) return execFile(toolPath('nft'), ['-j', json]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cni-ts-nft-'));
  try {
    const file = path.join(dir, 'transaction.json');
    fs.writeFileSync(file, json, { mode: 0o600 });
    return await execFile(toolPath('nft'), ['-j', '-f', file]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Applies `commands` in one nft transaction. */
export async function nftApply(commands: readonly NftCommand[], what: string): Promise<void> {
  if (commands.length === 0) return;
  const o = await runTransaction(JSON.stringify({ nftables: commands }));
  if (o.status === -1) throw new NftUnavailableError(`${what}: nft cannot be run: ${complaint(o)}`);
  if (o.status !== 0) throw new Error(`${what}: nft failed: ${complaint(o)}`);
}

export function deleteRuleCommand(r: NftRule): NftCommand {
  return { delete: { rule: { family: r.family, table: r.table, chain: r.chain, handle: r.handle } } };
}
