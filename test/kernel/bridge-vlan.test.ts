import { GO_BIN, NOTHING_LEFT, requireBinaries, Sandbox, type Json } from '../netns/bridge/harness';
import { masqChainName } from '../../lib/netfilter/masq-naming';

// bridge options that need bridge VLAN filtering (vlan, vlanTrunk, preserveDefaultVlan), which
// this machine's kernel lacks: run by scripts/kernel-test.sh inside user-mode-linux, with the
// same throwaway namespaces as the netns suite. The guest's iptables is iptables-legacy, so the
// masquerade test here covers the legacy backend.

jest.setTimeout(120_000); // process starts are slow in UML

let s: Sandbox;
beforeAll(() => {
  if (process.env.CNI_TS_FULL_KERNEL !== '1') throw new Error('the kernel suite runs inside user-mode-linux only: npm run test:kernel');
  requireBinaries();
});
beforeEach(() => (s = new Sandbox(2)));
afterEach(() => s.cleanup());

/** VLANs of a port: vid -> flags. */
function portVlans(port: string): Record<number, string[]> {
  const out: Json[] = JSON.parse(s.host.execOk('bridge', ['-json', 'vlan', 'show', 'dev', port]) || '[]');
  const entries: Json[] = out.find((d) => d.ifname === port)?.vlans ?? [];
  const vlans: Record<number, string[]> = {};
  for (const v of entries) for (let vid = v.vlan; vid <= (v.vlanEnd ?? v.vlan); vid++) vlans[vid] = v.flags ?? [];
  return vlans;
}

const PVID = ['PVID', 'Egress Untagged'];

function add(options: Record<string, unknown>, ctr = 0, ipam: Record<string, unknown> | null = { subnet: '10.99.0.0/24' }): Json {
  return s.ok({ command: 'ADD', conf: s.conf(options, ipam), netns: s.topo.containers[ctr].path, containerId: `ctr${ctr}` }).json;
}

function ping(from: number, to: string): boolean {
  return s.topo.containers[from].exec('ping', ['-c', '1', '-W', '2', to]).status === 0;
}

describe('vlan', () => {
  test('the bridge gets VLAN filtering; the port only the VLAN, as PVID untagged', () => {
    const r = add({ vlan: 100 });
    expect(s.link(s.host, 'cnitest0').linkinfo.info_data.vlan_filtering).toBe(1);
    expect(portVlans(r.interfaces[1].name)).toEqual({ 100: PVID });
  });

  test('preserveDefaultVlan keeps the default VLAN 1 beside it (the PVID moves to the new one)', () => {
    const r = add({ vlan: 100, preserveDefaultVlan: true });
    expect(portVlans(r.interfaces[1].name)).toEqual({ 1: ['Egress Untagged'], 100: PVID });
  });

  test('containers in one VLAN reach each other, across VLANs they do not', () => {
    const a = add({ vlan: 100 }, 0);
    const b = add({ vlan: 100 }, 1);
    expect(ping(0, b.ips[0].address.split('/')[0])).toBe(true);
    s.host.execOk('bridge', ['vlan', 'del', 'dev', b.interfaces[1].name, 'vid', '100']);
    s.host.execOk('bridge', ['vlan', 'add', 'dev', b.interfaces[1].name, 'vid', '200', 'pvid', 'untagged']);
    expect(ping(1, a.ips[0].address.split('/')[0])).toBe(false);
  });

  test('with isGateway the gateway lives on <bridge>.<vlan>, listed as a fourth interface and reused', () => {
    const a = add({ vlan: 100, isGateway: true }, 0);
    expect(a.interfaces.map((i: Json) => i.name)).toEqual(['cnitest0', expect.stringMatching(/^veth/), 'eth0', 'cnitest0.100']);
    expect(s.addresses(s.host, 'cnitest0.100')).toEqual(['10.99.0.1/24']);
    expect(s.addresses(s.host, 'cnitest0')).toEqual([]);
    const peer = s.link(s.host, 'cnitest0.100').link as string;
    expect(s.link(s.host, peer).master).toBe('cnitest0');
    expect(portVlans(peer)).toEqual({ 100: PVID });
    const b = add({ vlan: 100, isGateway: true }, 1);
    expect(b.interfaces[3]).toEqual(a.interfaces[3]);
    expect(ping(1, '10.99.0.1')).toBe(true);
    const conf = s.conf({ vlan: 100, isGateway: true });
    s.ok({ command: 'DEL', conf, netns: s.topo.containers[0].path, containerId: 'ctr0' });
    s.ok({ command: 'DEL', conf, netns: s.topo.containers[1].path, containerId: 'ctr1' });
    // Like the bridge, the VLAN gateway interface stays for the next container.
    expect(s.links(s.host).sort()).toEqual(['cnitest0', 'cnitest0.100', 'lo', peer].sort());
  });
});

describe('vlanTrunk', () => {
  test('trunk VIDs tagged, native VLAN 1 without vlan', () => {
    const r = add({ vlanTrunk: [{ id: 10 }, { minID: 20, maxID: 22 }] });
    expect(portVlans(r.interfaces[1].name)).toEqual({ 1: PVID, 10: [], 20: [], 21: [], 22: [] });
  });

  test('with vlan: that VLAN is the native one', () => {
    const r = add({ vlan: 5, vlanTrunk: [{ id: 10 }] });
    expect(portVlans(r.interfaces[1].name)).toEqual({ 5: PVID, 10: [] });
  });

  test('an empty trunk list still creates the bridge with VLAN filtering', () => {
    add({ vlanTrunk: [] });
    expect(s.link(s.host, 'cnitest0').linkinfo.info_data.vlan_filtering).toBe(1);
  });
});

describe('failures and cleanup in the full kernel', () => {
  test('DEL leaves nothing but the bridge', () => {
    const conf = s.conf({ vlan: 7, vlanTrunk: [{ id: 8 }] });
    s.ok({ command: 'ADD', conf });
    s.ok({ command: 'DEL', conf });
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });

  test('an existing bridge keeps its VLAN filtering setting (set only at creation, as in the reference)', () => {
    s.host.execOk('ip', ['link', 'add', 'cnitest0', 'type', 'bridge']);
    const r = s.ok({ command: 'ADD', conf: s.conf({ vlan: 7 }) }).json;
    expect(s.link(s.host, 'cnitest0').linkinfo.info_data.vlan_filtering).toBe(0);
    expect(portVlans(r.interfaces[1].name)).toEqual({ 7: PVID });
  });

  test('a failure after the port VLANs were set is undone (gateway conflict on <bridge>.<vlan>)', () => {
    add({ vlan: 9, isGateway: true }, 1);
    s.host.execOk('ip', ['address', 'flush', 'dev', 'cnitest0.9']);
    s.host.execOk('ip', ['address', 'add', '10.1.1.1/24', 'dev', 'cnitest0.9']);
    const e = s.fails({ command: 'ADD', conf: s.conf({ vlan: 9, isGateway: true }), containerId: 'ctr0' });
    expect(e.msg).toContain('"cnitest0.9" already has an IP address');
    expect(s.links(s.topo.containers[0])).toEqual(['lo']);
    expect(s.reservations()).toEqual(['10.99.0.2']);
  });
});

describe('masquerade with iptables-legacy', () => {
  test('ADD writes the chain, DEL removes it', () => {
    const conf = s.conf({ isGateway: true, ipMasq: true, ipMasqBackend: 'iptables' });
    s.ok({ command: 'ADD', conf });
    const chain = masqChainName('testnet', 'ctr1');
    expect(s.natRules()).toEqual(expect.arrayContaining([`:${chain} - [0:0]`, expect.stringContaining(`-A POSTROUTING -s 10.99.0.2/32`)]));
    s.ok({ command: 'DEL', conf });
    expect(s.natRules()).toEqual([]);
  });
});

describe('against the Go plugin (1.1.1) with a VLAN', () => {
  test('results are equal modulo MACs and veth names', () => {
    const mask = (r: Json) =>
      JSON.parse(JSON.stringify(r), (k, v) =>
        k === 'mac' ? 'MAC' : k === 'sandbox' ? 'SANDBOX' : typeof v === 'string' && /^veth[0-9a-f]{8}$/.test(v) ? 'VETH' : v,
      );
    const ours = mask(add({ vlan: 100, isGateway: true }));
    const go = new Sandbox();
    try {
      const r = mask(go.ok({ command: 'ADD', conf: go.conf({ vlan: 100, isGateway: true }), bin: GO_BIN }).json);
      if (r.dns && Object.keys(r.dns).length === 0) delete r.dns;
      expect(ours).toEqual(r);
    } finally {
      go.cleanup();
    }
  });
});
