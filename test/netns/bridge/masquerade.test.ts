import { masqChainName, nftMasqComment } from '../../../lib/netfilter/masq-naming';
import { NOTHING_LEFT, requireBinaries, Sandbox } from './harness';
import { noGcGrace } from '../../helpers/gc-grace';

let s: Sandbox;
beforeAll(requireBinaries);
beforeEach(() => (s = new Sandbox()));
afterEach(() => s.cleanup());

const dualIpam = { ranges: [[{ subnet: '10.99.0.0/24' }], [{ subnet: 'fd99::/64' }]] };
// How the Go plugin names and comments them (the naming itself is checked against Go's own
// vectors in test/unit/net/masq-naming.test.ts).
const COMMENT = '"name: \\"testnet\\" id: \\"ctr1\\""';

describe('ipMasq with iptables', () => {
  test('ADD writes the Go layout for both families; DEL removes it', () => {
    const conf = s.conf({ isGateway: true, ipMasq: true, ipMasqBackend: 'iptables' }, dualIpam);
    s.ok({ command: 'ADD', conf });
    const chain = masqChainName('testnet', 'ctr1');
    expect(s.natRules()).toEqual([
      `:${chain} - [0:0]`,
      `-A POSTROUTING -s 10.99.0.2/32 -m comment --comment ${COMMENT} -j ${chain}`,
      `-A ${chain} -d 10.99.0.0/24 -m comment --comment ${COMMENT} -j ACCEPT`,
      `-A ${chain} ! -d 224.0.0.0/4 -m comment --comment ${COMMENT} -j MASQUERADE`,
      `:${chain} - [0:0]`,
      `-A POSTROUTING -s fd99::2/128 -m comment --comment ${COMMENT} -j ${chain}`,
      `-A ${chain} -d fd99::/64 -m comment --comment ${COMMENT} -j ACCEPT`,
      `-A ${chain} ! -d ff00::/8 -m comment --comment ${COMMENT} -j MASQUERADE`,
    ]);
    s.ok({ command: 'DEL', conf });
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });

  test('auto-detection picks iptables when it works, as the reference does', () => {
    s.ok({ command: 'ADD', conf: s.conf({ ipMasq: true }) });
    expect(s.natRules()).toHaveLength(4);
    expect(s.nftMasqRules()).toEqual([]);
  });

  test('a second interface of the same container joins its chain (iptables ignores ifname, as in Go)', () => {
    const conf = s.conf({ ipMasq: true });
    s.ok({ command: 'ADD', conf });
    s.ok({ command: 'ADD', conf, ifName: 'eth1' });
    const chain = masqChainName('testnet', 'ctr1');
    expect(
      s
        .natRules()
        .filter((l) => l.startsWith(`-A ${chain}`))
        .map((l) => l.split(' -j ')[1]),
    ).toEqual(['ACCEPT', 'MASQUERADE']);
    expect(s.natRules().filter((l) => l.startsWith('-A POSTROUTING'))).toHaveLength(2);
  });

  test('ADD and DEL of other containers leave this one alone', () => {
    const conf = s.conf({ ipMasq: true });
    s.ok({ command: 'ADD', conf });
    const mine = s.natRules();
    s.ok({ command: 'ADD', conf, containerId: 'ctr2', ifName: 'eth1' });
    s.ok({ command: 'DEL', conf, containerId: 'ctr2', ifName: 'eth1' });
    expect(s.natRules()).toEqual(mine);
  });
});

describe('ipMasq with nftables', () => {
  test('ADD writes one commented rule per address in inet cni_plugins_masquerade; DEL removes them', () => {
    const conf = s.conf({ isGateway: true, ipMasq: true, ipMasqBackend: 'nftables' }, dualIpam);
    s.ok({ command: 'ADD', conf });
    const table = s.host.execOk('nft', ['list', 'table', 'inet', 'cni_plugins_masquerade']);
    const comment = `"${nftMasqComment('testnet', 'eth0', 'ctr1')}"`;
    expect(table).toContain(`ip saddr 10.99.0.2 ip daddr != 10.99.0.0/24 masquerade comment ${comment}`);
    expect(table).toContain(`ip6 saddr fd99::2 ip6 daddr != fd99::/64 masquerade comment ${comment}`);
    expect(table).toContain('type nat hook postrouting priority srcnat; policy accept;');
    expect(table).toContain('ip daddr 224.0.0.0/4 return');
    expect(table).toContain('ip6 daddr ff00::/8 return');
    expect(table).toContain('goto masq_checks');
    expect(s.natRules()).toEqual([]);
    s.ok({ command: 'DEL', conf });
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });

  test('DEL removes rules of both backends whatever the config says now', () => {
    s.ok({ command: 'ADD', conf: s.conf({ ipMasq: true, ipMasqBackend: 'nftables' }) });
    s.ok({ command: 'ADD', conf: s.conf({ ipMasq: true, ipMasqBackend: 'iptables' }), containerId: 'ctr1', ifName: 'eth1' });
    expect(s.nftMasqRules()).toHaveLength(1);
    expect(s.natRules()).toHaveLength(4);
    s.ok({ command: 'DEL', conf: s.conf({ ipMasq: true, ipMasqBackend: 'iptables' }) });
    s.ok({ command: 'DEL', conf: s.conf({ ipMasq: true }), ifName: 'eth1' });
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });

  test('an unknown backend is refused', () => {
    const e = s.fails({ command: 'ADD', conf: s.conf({ ipMasq: true, ipMasqBackend: 'pf' }) });
    expect(e).toMatchObject({ code: 7, msg: 'bridge: option \'ipMasqBackend\' must be "iptables" or "nftables", got "pf"' });
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });
});

describe('GC (CNI 1.1)', () => {
  test.each(['iptables', 'nftables'])('%s: removes the rules and reservations of attachments not in the valid list', (backend) => {
    const conf = noGcGrace(s.conf({ cniVersion: '1.1.0', ipMasq: true, ipMasqBackend: backend }));
    s.ok({ command: 'ADD', conf, containerId: 'keep', ifName: 'eth0' });
    s.ok({ command: 'ADD', conf, containerId: 'gone', ifName: 'eth1' });
    const kept = backend === 'iptables' ? 4 : 1;
    const before = backend === 'iptables' ? s.natRules() : s.nftMasqRules();
    expect(before).toHaveLength(2 * kept);
    s.ok({ command: 'GC', conf: { ...conf, 'cni.dev/valid-attachments': [{ containerID: 'keep', ifname: 'eth0' }] } });
    const after = backend === 'iptables' ? s.natRules() : s.nftMasqRules();
    expect(after).toHaveLength(kept);
    expect(after.join('\n')).toContain('keep');
    expect(s.reservations()).toEqual(['10.99.0.2']);
  });

  test('accepts the older cni.dev/attachments key; a GC without any list removes nothing', () => {
    const conf = noGcGrace(s.conf({ cniVersion: '1.1.0', ipMasq: true }));
    s.ok({ command: 'ADD', conf });
    s.ok({ command: 'GC', conf });
    expect(s.natRules()).toHaveLength(4);
    s.ok({ command: 'GC', conf: { ...conf, 'cni.dev/attachments': [{ containerID: 'ctr1', ifname: 'eth0' }] } });
    expect(s.natRules()).toHaveLength(4);
    s.ok({ command: 'GC', conf: { ...conf, 'cni.dev/valid-attachments': [] } });
    expect(s.natRules()).toEqual([]);
  });

  test('STATUS is ready (IPAM asked), also for an L2-only bridge', () => {
    s.ok({ command: 'STATUS', conf: s.conf({ cniVersion: '1.1.0' }) });
    s.ok({ command: 'STATUS', conf: s.conf({ cniVersion: '1.1.0' }, null) });
  });
});
