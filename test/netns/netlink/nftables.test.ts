import { makeNamespace, makeTopology, requireRoot } from '../../helpers/netns';
import { okOps } from './bun';

// lib/netlink's in-process nf_tables probes (what lib/netfilter asks before `nft list table` and
// before iptables-save on a DEL), against tables and chains made with nft and iptables themselves
// in throwaway namespaces.

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

test('a chain is found in its table, family and namespace only; a missing chain or table is absent', () => {
  const t = makeTopology();
  t.host.execOk('nft', ['add', 'table', 'ip', 'nat']);
  t.host.execOk('nft', ['add', 'chain', 'ip', 'nat', 'CNI-0123456789abcdef01234567']);
  const results = okOps(t.host, [
    { op: 'nftChainExists', args: ['ip', 'nat', 'CNI-0123456789abcdef01234567'] },
    { op: 'nftChainExists', args: ['ip', 'nat', 'CNI-ffffffffffffffffffffffff'] },
    { op: 'nftChainExists', args: ['ip6', 'nat', 'CNI-0123456789abcdef01234567'] },
    { op: 'nftChainExists', args: ['ip', 'no_such_table', 'CNI-0123456789abcdef01234567'] },
    { op: 'nftChainExists', args: ['ip', 'nat', 'CNI-0123456789abcdef01234567'], ns: t.ctr.path },
  ]);
  expect(results).toEqual([true, false, false, false, false]);
});

test('a chain made by iptables-nft is seen, and is gone once iptables deletes it', () => {
  const t = makeNamespace('host');
  const chain = 'CNI-abcdefabcdefabcdefabcdef';
  t.execOk('iptables', ['-t', 'nat', '-N', chain]);
  t.execOk('iptables', ['-t', 'nat', '-A', 'POSTROUTING', '-s', '10.9.9.9/32', '-j', chain]);
  expect(okOps(t, [{ op: 'nftChainExists', args: ['ip', 'nat', chain] }])).toEqual([true]);
  t.execOk('iptables', ['-t', 'nat', '-D', 'POSTROUTING', '-s', '10.9.9.9/32', '-j', chain]);
  t.execOk('iptables', ['-t', 'nat', '-X', chain]);
  expect(okOps(t, [{ op: 'nftChainExists', args: ['ip', 'nat', chain] }])).toEqual([false]);
  expect(t.exec('iptables', ['-t', 'nat', '-S', chain]).status).not.toBe(0);
});
