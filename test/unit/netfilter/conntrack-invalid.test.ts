import {
  missingInvalidDrops,
  missingNftInvalidDrops,
  NFT_INVALID_CHAIN,
  planInvalidDropGc,
  planInvalidDropSetup,
  planInvalidDropTeardown,
  planNftInvalidDropGc,
  planNftInvalidDropSetup,
  planNftInvalidDropTeardown,
} from '../../../lib/netfilter/conntrack-invalid';
import { parseIptablesSave, splitRestoreWords, type SavedTable } from '../../../lib/netfilter/iptables-save';
import { planNftMasqSetup, planNftMasqTeardown } from '../../../lib/netfilter/masq-nftables';
import type { MasqAddress, MasqOwner } from '../../../lib/netfilter/masq-types';
import type { NftCommand, NftListing, NftRule } from '../../../lib/netfilter/nft';

// Beyond the reference (issue 16, item 4; plugins#816): with ipMasqDropInvalid, packets
// conntrack marks INVALID are dropped where they are forwarded, in both backends.

const one: MasqOwner = { network: 'mynet', containerId: 'ctr1', ifName: 'eth0' };
const two: MasqOwner = { network: 'mynet', containerId: 'ctr2', ifName: 'eth0' };
const other: MasqOwner = { network: 'othernet', containerId: 'ctr3', ifName: 'eth0' };
const v4: MasqAddress = { family: 4, ip: '10.1.0.2', prefix: 24, network: '10.1.0.0' };
const v4b: MasqAddress = { family: 4, ip: '10.1.0.3', prefix: 24, network: '10.1.0.0' };

// The filter table as iptables-save prints it, with a rule of someone else that stays.
const FILTER = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m conntrack --ctstate INVALID -j DROP
COMMIT
`;

function applyFilter(table: SavedTable, lines: string[]): SavedTable {
  const t: SavedTable = { chains: new Set(table.chains), rules: [...table.rules] };
  for (const line of lines) {
    const w = splitRestoreWords(line);
    if (w[0] === '-I') t.rules.splice(0, 0, { chain: w[1], args: w.slice(3) });
    else if (w[0] === '-D') {
      const i = t.rules.findIndex((r) => r.chain === w[1] && r.args.join('\0') === w.slice(2).join('\0'));
      if (i < 0) throw new Error(`no such rule: ${line}`);
      t.rules.splice(i, 1);
    } else throw new Error(`unexpected ${line}`);
  }
  return t;
}

describe('iptables: filter FORWARD drops', () => {
  test('one rule per address, first in FORWARD, with the masquerade comment, as iptables-save prints it', () => {
    expect(planInvalidDropSetup(parseIptablesSave(FILTER), one, [v4])).toEqual([
      '-I FORWARD 1 -s 10.1.0.2/32 -m conntrack --ctstate INVALID -m comment --comment "name: \\"mynet\\" id: \\"ctr1\\"" -j DROP',
    ]);
  });

  test('setup is idempotent; teardown removes only the attachment, never foreign rules', () => {
    let t = parseIptablesSave(FILTER);
    t = applyFilter(t, planInvalidDropSetup(t, one, [v4]));
    t = applyFilter(t, planInvalidDropSetup(t, two, [v4b]));
    t = applyFilter(t, planInvalidDropSetup(t, other, [v4]));
    expect(planInvalidDropSetup(t, one, [v4])).toEqual([]);
    expect(missingInvalidDrops(t, one, [v4])).toEqual([]);
    expect(missingInvalidDrops(t, one, [v4b])).toEqual(['filter FORWARD INVALID drop for 10.1.0.3']);
    t = applyFilter(t, planInvalidDropTeardown(t, one));
    expect(t.rules).toHaveLength(3);
    expect(missingInvalidDrops(t, one, [v4])).toHaveLength(1);
    expect(planInvalidDropTeardown(t, one)).toEqual([]);
  });

  test('GC removes the network’s drops of containers not live, nothing else', () => {
    let t = parseIptablesSave(FILTER);
    for (const [o, a] of [
      [one, v4],
      [two, v4b],
      [other, v4],
    ] as const)
      t = applyFilter(t, planInvalidDropSetup(t, o, [a]));
    t = applyFilter(t, planInvalidDropGc(t, 'mynet', [{ containerId: 'ctr2', ifName: 'eth9' }]));
    expect(t.rules.map((r) => r.args.join(' '))).toEqual([
      expect.stringContaining('id: "ctr3"'),
      expect.stringContaining('id: "ctr2"'),
      '-m conntrack --ctstate INVALID -j DROP',
    ]);
  });
});

function applyNft(listing: NftListing, commands: NftCommand[]): NftListing {
  const state =
    listing === 'absent'
      ? { chains: new Set<string>(), rules: [] as NftRule[] }
      : { chains: new Set(listing.chains), rules: [...listing.rules] };
  let handle = Math.max(0, ...state.rules.map((r) => r.handle)) + 1;
  for (const cmd of commands) {
    const [verb, body] = Object.entries(cmd)[0] as [string, Record<string, Record<string, unknown>>];
    if (verb === 'add' && body.chain) state.chains.add(body.chain.name as string);
    else if (verb === 'add' && body.rule) state.rules.push({ ...(body.rule as unknown as NftRule), handle: handle++ });
    else if (verb === 'flush') state.rules = state.rules.filter((r) => r.chain !== body.chain.name);
    else if (verb === 'delete' && body.rule) state.rules = state.rules.filter((r) => r.handle !== body.rule.handle);
  }
  return state;
}

describe('nftables: a forward chain in the masquerade table', () => {
  const setup = (l: NftListing, o: MasqOwner, addrs: MasqAddress[]) =>
    applyNft(l, [...planNftMasqSetup(l, o, addrs), ...planNftInvalidDropSetup(l, o, addrs)]);

  test('the chain hooks forward as a filter; one rule per address: saddr, ct state invalid, drop', () => {
    const cmds = planNftInvalidDropSetup('absent', one, [v4]);
    expect(cmds[0]).toMatchObject({
      add: { chain: { family: 'inet', table: 'cni_plugins_masquerade', name: NFT_INVALID_CHAIN, type: 'filter', hook: 'forward' } },
    });
    expect(cmds[1]).toMatchObject({
      add: {
        rule: {
          chain: NFT_INVALID_CHAIN,
          expr: [
            { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '10.1.0.2' } },
            { match: { op: 'in', left: { ct: { key: 'state' } }, right: 'invalid' } },
            { drop: null },
          ],
        },
      },
    });
  });

  test('the Go teardown (masq_checks only) leaves the drops; ours removes both; GC by network', () => {
    let l = setup('absent', one, [v4]);
    l = setup(l, two, [v4b]);
    l = setup(l, other, [v4]);
    expect(missingNftInvalidDrops(l, one, [v4])).toEqual([]);
    const goTeardown = applyNft(l, planNftMasqTeardown(l, one));
    expect(missingNftInvalidDrops(goTeardown, one, [v4])).toEqual([]);
    l = applyNft(l, [...planNftMasqTeardown(l, one), ...planNftInvalidDropTeardown(l, one)]);
    expect(missingNftInvalidDrops(l, one, [v4])).toHaveLength(1);
    expect(planNftInvalidDropTeardown(l, one)).toEqual([]);
    l = applyNft(l, planNftInvalidDropGc(l, 'mynet', []));
    expect(l !== 'absent' && l.rules.filter((r) => r.chain === NFT_INVALID_CHAIN).map((r) => r.comment?.split(', id: ')[1])).toEqual([
      'ctr3',
    ]);
  });

  test('setup again replaces the attachment’s drops', () => {
    let l = setup('absent', one, [v4]);
    l = setup(l, one, [v4b]);
    expect(l !== 'absent' && l.rules.filter((r) => r.chain === NFT_INVALID_CHAIN)).toHaveLength(1);
    expect(missingNftInvalidDrops(l, one, [v4b])).toEqual([]);
  });
});
