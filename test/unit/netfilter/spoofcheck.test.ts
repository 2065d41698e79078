import { planSpoofCheckSetup, planSpoofCheckTeardown, spoofCheckId } from '../../../lib/netfilter/spoofcheck';
import type { NftRule } from '../../../lib/netfilter/nft';

describe('mac spoof check (nftables, bridge nat)', () => {
  const id = spoofCheckId('ctr1', 'eth0');

  test('setup: base chain, per-attachment chains, allow own MAC then drop', () => {
    const cmds = planSpoofCheckSetup('veth1234', '02:42:AC:11:00:02', id);
    expect(cmds).toContainEqual({
      add: {
        chain: { family: 'bridge', table: 'nat', name: 'PREROUTING', type: 'filter', hook: 'prerouting', prio: -300, policy: 'accept' },
      },
    });
    const rules = cmds.flatMap((c) => ('add' in c && (c.add as { rule?: unknown }).rule ? [(c.add as { rule: NftRule }).rule] : []));
    expect(rules.map((r) => [r.chain, r.comment])).toEqual([
      ['PREROUTING', 'macspoofchk-ctr1-eth0'],
      ['cni-br-iface-ctr1-eth0', 'macspoofchk-ctr1-eth0'],
      ['cni-br-iface-ctr1-eth0-mac', 'macspoofchk-ctr1-eth0'],
      ['cni-br-iface-ctr1-eth0-mac', 'macspoofchk-ctr1-eth0'],
    ]);
    expect(JSON.stringify(rules[0].expr)).toContain('"right":"veth1234"');
    expect(JSON.stringify(rules[2].expr)).toContain('"right":"02:42:ac:11:00:02"');
    expect(rules[3].expr).toEqual([{ drop: null }]);
  });

  test('teardown deletes the jump by handle and both chains', () => {
    const jump: NftRule = {
      family: 'bridge',
      table: 'nat',
      chain: 'PREROUTING',
      handle: 7,
      comment: 'macspoofchk-ctr1-eth0',
      expr: [
        { match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'veth1234' } },
        { jump: { target: 'cni-br-iface-ctr1-eth0' } },
      ],
    };
    const otherJump: NftRule = {
      ...jump,
      handle: 8,
      comment: 'macspoofchk-ctr2-eth0',
      expr: [{ jump: { target: 'cni-br-iface-ctr2-eth0' } }],
    };
    const listing = { chains: new Set(['PREROUTING', 'cni-br-iface-ctr1-eth0', 'cni-br-iface-ctr1-eth0-mac']), rules: [jump, otherJump] };
    expect(planSpoofCheckTeardown(listing, id)).toEqual([
      { delete: { rule: { family: 'bridge', table: 'nat', chain: 'PREROUTING', handle: 7 } } },
      { delete: { chain: { family: 'bridge', table: 'nat', name: 'cni-br-iface-ctr1-eth0' } } },
      { delete: { chain: { family: 'bridge', table: 'nat', name: 'cni-br-iface-ctr1-eth0-mac' } } },
    ]);
  });

  test('teardown with nothing there is nothing', () => {
    expect(planSpoofCheckTeardown('absent', id)).toEqual([]);
    expect(planSpoofCheckTeardown({ chains: new Set(['PREROUTING']), rules: [] }, id)).toEqual([]);
  });
});
