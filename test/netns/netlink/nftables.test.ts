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

/** The nat table as iptables-save prints it, without comments, counters and the header lines. */
function natLines(t: ReturnType<typeof makeNamespace>, save = 'iptables-save'): string[] {
  return t
    .execOk(save, ['-t', 'nat'])
    .split('\n')
    .filter((l) => l.startsWith('-A') || l.startsWith(':'))
    .map((l) => l.replace(/ \[\d+:\d+\]$/, ''))
    .sort();
}

test('removing a chain takes the chain, its rules and every jump or goto to it, and nothing else', () => {
  const t = makeNamespace('host');
  const ipt = (...a: string[]) => t.execOk('iptables', ['-t', 'nat', ...a]);
  const x = 'CNI-aaaaaaaaaaaaaaaaaaaaaaaa';
  const y = 'CNI-bbbbbbbbbbbbbbbbbbbbbbbb';
  const z = 'CNI-cccccccccccccccccccccccc';
  for (const c of [x, y, z]) ipt('-N', c);
  ipt('-A', x, '-d', '10.1.0.0/16', '-j', 'ACCEPT');
  ipt('-A', x, '!', '-d', '224.0.0.0/4', '-j', 'MASQUERADE');
  ipt('-A', 'POSTROUTING', '-s', '10.1.0.2/32', '-m', 'comment', '--comment', 'name: "n" id: "x"', '-j', x);
  ipt('-A', 'POSTROUTING', '-s', '10.1.0.3/32', '-m', 'comment', '--comment', 'name: "n" id: "y"', '-j', y);
  ipt('-A', 'POSTROUTING', '-s', '10.9.0.0/16', '-j', 'MASQUERADE');
  ipt('-A', z, '-s', '10.1.0.2/32', '-g', x);
  ipt('-A', y, '-j', 'MASQUERADE');
  const before = natLines(t);
  expect(okOps(t, [{ op: 'nftRemoveChains', args: ['ip', 'nat', x] }])).toEqual([1]);
  const after = natLines(t);
  // Exactly the lines naming x went, as iptables itself reports.
  expect(after).toEqual(before.filter((l) => !l.includes(x)));
  expect(after.some((l) => l.includes(y))).toBe(true);
  expect(after).toContain('-A POSTROUTING -s 10.9.0.0/16 -j MASQUERADE');
  // Gone already: nothing to do, nothing changed.
  expect(okOps(t, [{ op: 'nftRemoveChains', args: ['ip', 'nat', x] }])).toEqual([0]);
  expect(natLines(t)).toEqual(after);
});

test('ip6 nat, several chains at once, and a table that is not there', () => {
  const t = makeNamespace('host');
  const ip6t = (...a: string[]) => t.execOk('ip6tables', ['-t', 'nat', ...a]);
  const a = 'CNI-dddddddddddddddddddddddd';
  const b = 'CNI-eeeeeeeeeeeeeeeeeeeeeeee';
  ip6t('-N', a);
  ip6t('-N', b);
  ip6t('-A', 'POSTROUTING', '-s', 'fd00::2/128', '-j', a);
  ip6t('-A', a, '-j', b); // a jump between two doomed chains goes with them
  ip6t('-A', b, '-j', 'MASQUERADE');
  expect(okOps(t, [{ op: 'nftRemoveChains', args: ['ip6', 'nat', a, b] }])).toEqual([2]);
  expect(natLines(t, 'ip6tables-save').filter((l) => l.includes('CNI-'))).toEqual([]);
  expect(okOps(t, [{ op: 'nftRemoveChains', args: ['ip', 'nat', a] }])).toEqual([0]);
});
