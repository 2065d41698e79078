import { missingNftMasqRules, planNftMasqGc, planNftMasqSetup, planNftMasqTeardown } from '../../../lib/netfilter/masq-nftables';
import type { MasqAddress, MasqOwner } from '../../../lib/netfilter/masq-types';
import type { NftCommand, NftListing, NftRule } from '../../../lib/netfilter/nft';
import { nftInstanceHash } from '../../../lib/netfilter/masq-naming';

// A model of the kernel's table: applies add/flush/delete commands the way one nft transaction
// would (adds get fresh handles; deleting a missing handle fails the whole transaction).
function apply(listing: NftListing, commands: NftCommand[]): NftListing {
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
    else if (verb === 'delete' && body.rule) {
      const before = state.rules.length;
      state.rules = state.rules.filter((r) => r.handle !== body.rule.handle);
      if (state.rules.length === before) throw new Error(`no rule with handle ${body.rule.handle}`);
    } else if (!(verb === 'add' && body.table)) throw new Error(`unexpected ${JSON.stringify(cmd)}`);
  }
  return state;
}

const addr = (text: string): MasqAddress => {
  const [ip, p] = text.split('/');
  const v6 = ip.includes(':');
  const network = v6 ? `${ip.slice(0, ip.lastIndexOf(':') + 1)}` : `${ip.split('.').slice(0, 3).join('.')}.0`;
  return { family: v6 ? 6 : 4, ip, prefix: Number(p), network };
};

const one: MasqOwner = { network: 'unit-test', ifName: 'eth0', containerId: 'one' };
const two: MasqOwner = { network: 'unit-test', ifName: 'eth0', containerId: 'two' };
const three: MasqOwner = { network: 'alternate', ifName: 'net1', containerId: 'three' };

function comments(l: NftListing): string[] {
  return l === 'absent' ? [] : l.rules.filter((r) => r.chain === 'masq_checks').map((r) => r.comment ?? '');
}

function setup(l: NftListing, o: MasqOwner, addrs: string[]): NftListing {
  return apply(l, planNftMasqSetup(l, o, addrs.map(addr)));
}

describe('nftables masquerade', () => {
  test('setup writes the skeleton and one commented rule per address', () => {
    const cmds = planNftMasqSetup('absent', two, [addr('192.168.1.2/24'), addr('2001:db8::2/64')]);
    expect(cmds[0]).toMatchObject({ add: { table: { family: 'inet', name: 'cni_plugins_masquerade' } } });
    expect(cmds).toContainEqual({
      add: {
        chain: {
          family: 'inet',
          table: 'cni_plugins_masquerade',
          name: 'postrouting',
          type: 'nat',
          hook: 'postrouting',
          prio: 100,
          policy: 'accept',
        },
      },
    });
    expect(cmds).toContainEqual({ flush: { chain: { family: 'inet', table: 'cni_plugins_masquerade', name: 'postrouting' } } });
    const rules = cmds.filter((c) => JSON.stringify(c).includes('"chain":"masq_checks","expr"'));
    expect(rules).toEqual([
      {
        add: {
          rule: {
            family: 'inet',
            table: 'cni_plugins_masquerade',
            chain: 'masq_checks',
            expr: [
              { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '192.168.1.2' } },
              {
                match: {
                  op: '!=',
                  left: { payload: { protocol: 'ip', field: 'daddr' } },
                  right: { prefix: { addr: '192.168.1.0', len: 24 } },
                },
              },
              { masquerade: null },
            ],
            comment: '6fd94d501e58f0aa-d750b2c8f0f25d5f, net: unit-test, if: eth0, id: two',
          },
        },
      },
      expect.objectContaining({
        add: {
          rule: expect.objectContaining({
            expr: expect.arrayContaining([
              { match: { op: '==', left: { payload: { protocol: 'ip6', field: 'saddr' } }, right: '2001:db8::2' } },
            ]),
          }),
        },
      }),
    ]);
  });

  test('setup replaces stale rules of the same attachment (idempotent ADD)', () => {
    let l = setup('absent', one, ['192.168.1.1/24']);
    l = setup(l, one, ['192.168.1.1/24']);
    expect(comments(l)).toHaveLength(1);
  });

  test('teardown removes only the attachment, even when another reuses its address', () => {
    let l = setup('absent', one, ['192.168.1.1/24']);
    l = setup(l, two, ['192.168.1.2/24', '2001:db8::2/64']);
    const four = { ...one, containerId: 'four' };
    l = setup(l, four, ['192.168.1.1/24']);
    l = apply(l, planNftMasqTeardown(l, one));
    expect(comments(l).map((c) => c.split(', id: ')[1])).toEqual(['two', 'two', 'four']);
    expect(missingNftMasqRules(l, four, [addr('192.168.1.1/24')])).toEqual([]);
    expect(missingNftMasqRules(l, one, [addr('192.168.1.1/24')])).toHaveLength(1);
    expect(planNftMasqTeardown(l, one)).toEqual([]);
  });

  test('teardown of an absent table is nothing', () => {
    expect(planNftMasqTeardown('absent', one)).toEqual([]);
  });

  test('GC keeps live attachments and other networks', () => {
    let l = setup('absent', one, ['192.168.1.1/24']);
    l = setup(l, two, ['192.168.1.2/24']);
    l = setup(l, three, ['10.0.0.5/24', '2001:db8::5/64']);
    l = apply(
      l,
      planNftMasqGc(l, 'unit-test', [
        { containerId: 'two', ifName: 'eth0' },
        { containerId: 'one', ifName: 'eth9' },
      ]),
    );
    expect(comments(l).map((c) => c.split(', id: ')[1])).toEqual(['two', 'three', 'three']);
    expect(planNftMasqGc(l, 'alternate', [{ containerId: 'three', ifName: 'net1' }])).toEqual([]);
    l = apply(l, planNftMasqGc(l, 'alternate', []));
    expect(comments(l)).toHaveLength(1);
  });

  test('GC deletes a stale rule only when ripe() lets it go, asked with the instance hash', () => {
    let l = setup('absent', one, ['192.168.1.1/24']);
    l = setup(l, two, ['192.168.1.2/24']);
    const asked: string[] = [];
    const oneHash = nftInstanceHash(one.network, one.ifName, one.containerId);
    l = apply(
      l,
      planNftMasqGc(l, 'unit-test', [], (key) => (asked.push(key), key === oneHash)),
    );
    expect(comments(l).map((c) => c.split(', id: ')[1])).toEqual(['two']);
    expect(asked.sort()).toEqual([oneHash, nftInstanceHash(two.network, two.ifName, two.containerId)].sort());
  });
});
