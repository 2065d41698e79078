import { makeNamespace, makeTopology, requireRoot } from '../../helpers/netns';
import { okOps } from './bun';

// lib/netlink's in-process nf_tables table probe (what lib/netfilter asks before `nft list
// table`), against tables made with nft itself in throwaway namespaces.

beforeAll(requireRoot);
jest.setTimeout(60_000);

test('a table is found in its own family and namespace only; an absent one is absent', () => {
  const t = makeTopology();
  t.host.execOk('nft', ['add', 'table', 'inet', 'cni_plugins_masquerade']);
  t.host.execOk('nft', ['add', 'table', 'ip6', 'cnits_v6only']);
  const results = okOps(t.host, [
    { op: 'nftTableExists', args: ['inet', 'cni_plugins_masquerade'] },
    { op: 'nftTableExists', args: ['ip', 'cni_plugins_masquerade'] },
    { op: 'nftTableExists', args: ['ip6', 'cnits_v6only'] },
    { op: 'nftTableExists', args: ['inet', 'cnits_v6only'] },
    { op: 'nftTableExists', args: ['inet', 'no_such_table'] },
    // The same question in the container namespace, which has no tables.
    { op: 'nftTableExists', args: ['inet', 'cni_plugins_masquerade'], ns: t.ctr.path },
  ]);
  expect(results).toEqual([true, false, true, false, false, false]);
});

test('agrees with nft after the table is deleted', () => {
  const t = makeNamespace('host');
  t.execOk('nft', ['add', 'table', 'bridge', 'cnits_br']);
  expect(okOps(t, [{ op: 'nftTableExists', args: ['bridge', 'cnits_br'] }])).toEqual([true]);
  t.execOk('nft', ['delete', 'table', 'bridge', 'cnits_br']);
  expect(okOps(t, [{ op: 'nftTableExists', args: ['bridge', 'cnits_br'] }])).toEqual([false]);
  expect(t.exec('nft', ['list', 'table', 'bridge', 'cnits_br']).status).not.toBe(0);
});
