import { nftMasqComment } from '../../../lib/netfilter/masq-naming';
import { GO_BIN, NOTHING_LEFT, requireBinaries, requireGoPlugins, Sandbox, type Json } from '../bridge/harness';
import { noGcGrace } from '../../helpers/gc-grace';

// Beyond the reference (issue 16, item 4; plugins#816): bridge `ipMasqDropInvalid` drops the
// container's packets that conntrack marks INVALID (they skip the nat chains and would leave
// with the container's address), in both backends; removed with the masquerade rules on DEL/GC.

let s: Sandbox;
beforeAll(requireBinaries);
beforeEach(() => (s = new Sandbox()));
afterEach(() => s.cleanup());

const dualIpam = { ranges: [[{ subnet: '10.99.0.0/24' }], [{ subnet: 'fd99::/64' }]] };
const COMMENT = '"name: \\"testnet\\" id: \\"ctr1\\""';

/** The filter FORWARD lines that drop INVALID packets, both families. */
function invalidDrops(): string[] {
  return ['iptables-save', 'ip6tables-save'].flatMap((tool) =>
    s.host
      .execOk(tool, ['-t', 'filter'])
      .split('\n')
      .filter((l) => l.includes('--ctstate INVALID')),
  );
}

/** The rules of the nftables drop chain, as [comment, source address]. */
function nftDrops(): Array<[string, string]> {
  const r = s.host.exec('nft', ['-j', 'list', 'chain', 'inet', 'cni_plugins_masquerade', 'drop_invalid']);
  if (r.status !== 0) return [];
  return (JSON.parse(r.stdout).nftables as Json[])
    .filter((o) => o.rule)
    .map((o) => [o.rule.comment as string, o.rule.expr[0].match.right as string]);
}

describe('iptables', () => {
  test('ADD puts one drop per address first in FORWARD; CHECK verifies it; DEL removes it', () => {
    const conf = s.conf({ isGateway: true, ipMasq: true, ipMasqBackend: 'iptables', ipMasqDropInvalid: true }, dualIpam);
    const result = s.ok({ command: 'ADD', conf }).json;
    expect(invalidDrops()).toEqual([
      `-A FORWARD -s 10.99.0.2/32 -m conntrack --ctstate INVALID -m comment --comment ${COMMENT} -j DROP`,
      `-A FORWARD -s fd99::2/128 -m conntrack --ctstate INVALID -m comment --comment ${COMMENT} -j DROP`,
    ]);
    expect(s.natRules()).toHaveLength(8);
    s.ok({ command: 'CHECK', conf: { ...conf, prevResult: result } });
    s.host.execOk('iptables', ['-D', 'FORWARD', '1']);
    expect(s.fails({ command: 'CHECK', conf: { ...conf, prevResult: result } }).msg).toContain(
      'iptables filter FORWARD INVALID drop for 10.99.0.2',
    );
    s.ok({ command: 'DEL', conf });
    expect(invalidDrops()).toEqual([]);
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });

  test('off by default: no filter rules', () => {
    s.ok({ command: 'ADD', conf: s.conf({ ipMasq: true, ipMasqBackend: 'iptables' }) });
    expect(invalidDrops()).toEqual([]);
  });

  test('without ipMasq the option does nothing', () => {
    s.ok({ command: 'ADD', conf: s.conf({ ipMasqDropInvalid: true }) });
    expect(invalidDrops()).toEqual([]);
    expect(s.natRules()).toEqual([]);
  });

  test('GC removes the drops of attachments no longer live, keeps the live ones', () => {
    const conf = noGcGrace(s.conf({ ipMasq: true, ipMasqBackend: 'iptables', ipMasqDropInvalid: true, cniVersion: '1.1.0' }));
    s.ok({ command: 'ADD', conf });
    s.ok({ command: 'ADD', conf, containerId: 'ctr2', ifName: 'eth1' });
    s.ok({ command: 'GC', conf: { ...conf, 'cni.dev/valid-attachments': [{ containerID: 'ctr2', ifname: 'eth1' }] } });
    expect(invalidDrops()).toEqual([expect.stringContaining('id: \\"ctr2\\"')]);
  });

  test('the Go plugin still removes its masquerade layout from our ADD; the drop it does not know goes with our GC', () => {
    requireGoPlugins();
    const conf = s.conf({ isGateway: true, ipMasq: true, ipMasqDropInvalid: true });
    s.ok({ command: 'ADD', conf });
    s.ok({ command: 'DEL', conf, bin: GO_BIN });
    expect(s.natRules()).toEqual([]);
    expect(invalidDrops()).toHaveLength(1);
    s.ok({ command: 'GC', conf: noGcGrace({ ...conf, cniVersion: '1.1.0', 'cni.dev/valid-attachments': [] }) });
    expect(invalidDrops()).toEqual([]);
  });
});

describe('nftables', () => {
  test('ADD adds the forward chain and one drop per address; CHECK; DEL removes them', () => {
    const conf = s.conf({ ipMasq: true, ipMasqBackend: 'nftables', ipMasqDropInvalid: true }, dualIpam);
    const result = s.ok({ command: 'ADD', conf }).json;
    const comment = nftMasqComment('testnet', 'eth0', 'ctr1');
    expect(nftDrops()).toEqual([
      [comment, '10.99.0.2'],
      [comment, 'fd99::2'],
    ]);
    const chain = JSON.parse(s.host.execOk('nft', ['-j', 'list', 'chain', 'inet', 'cni_plugins_masquerade', 'drop_invalid'])).nftables[1]
      .chain;
    expect(chain).toMatchObject({ type: 'filter', hook: 'forward', prio: 0, policy: 'accept' });
    expect(s.nftMasqRules()).toEqual([comment, comment]);
    s.ok({ command: 'CHECK', conf: { ...conf, prevResult: result } });
    s.host.execOk('nft', ['flush', 'chain', 'inet', 'cni_plugins_masquerade', 'drop_invalid']);
    expect(s.fails({ command: 'CHECK', conf: { ...conf, prevResult: result } }).msg).toContain('drop_invalid rule for 10.99.0.2');
    s.ok({ command: 'ADD', conf, containerId: 'ctr2', ifName: 'eth1' });
    expect(nftDrops().map(([, ip]) => ip)).toEqual(['10.99.0.3', 'fd99::3']);
    s.ok({ command: 'DEL', conf, containerId: 'ctr2', ifName: 'eth1' });
    s.ok({ command: 'DEL', conf });
    expect(nftDrops()).toEqual([]);
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });

  test('DEL removes the nftables drops even when the DEL config lacks the option; GC too', () => {
    const conf = noGcGrace(s.conf({ ipMasq: true, ipMasqBackend: 'nftables', ipMasqDropInvalid: true, cniVersion: '1.1.0' }));
    s.ok({ command: 'ADD', conf });
    s.ok({ command: 'ADD', conf, containerId: 'ctr2', ifName: 'eth1' });
    s.ok({ command: 'DEL', conf: { ...conf, ipMasqDropInvalid: false } });
    expect(nftDrops().map(([c]) => c)).toEqual([nftMasqComment('testnet', 'eth1', 'ctr2')]);
    s.ok({ command: 'GC', conf: { ...conf, 'cni.dev/valid-attachments': [] } });
    expect(nftDrops()).toEqual([]);
  });
});
