import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';

// The full-kernel runner (scripts/kernel-test.sh) gives the kernel suite what this machine's
// kernel lacks: dummy and vlan links, bridge VLAN filtering, ipvlan, and an iptables nat table
// with MASQUERADE (legacy iptables; the UML kernel has no nftables for ip/ip6). Everything is
// created inside one throwaway namespace, as on the host: never in the guest's root namespace.

jest.setTimeout(60_000); // every process start costs tens to hundreds of milliseconds in UML

const ns = `cnits-k-${crypto.randomBytes(4).toString('hex')}`;

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

const ipIn = (args: string[]): string => run('ip', ['-n', ns, ...args]);
const execIn = (cmd: string, args: string[]): string => run('ip', ['netns', 'exec', ns, cmd, ...args]);

interface Link {
  ifname: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
}

function link(name: string): Link {
  return (JSON.parse(ipIn(['-j', '-d', 'link', 'show', 'dev', name])) as Link[])[0];
}

function namespaces(): string[] {
  const out = run('ip', ['-j', 'netns', 'list']).trim();
  return out ? (JSON.parse(out) as Array<{ name: string }>).map((n) => n.name) : [];
}

beforeAll(() => {
  // On the host this suite would fail half way; refuse before creating anything.
  if (process.env.CNI_TS_FULL_KERNEL !== '1') {
    throw new Error('the kernel suite runs inside user-mode-linux only: npm run test:kernel');
  }
  run('ip', ['netns', 'add', ns]);
});

afterAll(() => {
  if (namespaces().includes(ns)) run('ip', ['netns', 'delete', ns]);
});

it('runs inside the full kernel', () => {
  expect(process.env.CNI_TS_FULL_KERNEL).toBe('1');
  expect(namespaces()).toContain(ns);
});

it('creates a dummy link and a vlan link on it', () => {
  ipIn(['link', 'add', 'd0', 'type', 'dummy']);
  ipIn(['link', 'add', 'link', 'd0', 'name', 'd0.10', 'type', 'vlan', 'id', '10']);
  expect(link('d0').linkinfo?.info_kind).toBe('dummy');
  const vlan = link('d0.10');
  expect(vlan.linkinfo?.info_kind).toBe('vlan');
  expect(vlan.linkinfo?.info_data?.id).toBe(10);
});

it('creates a VLAN-filtering bridge and adds VLANs to a port', () => {
  ipIn(['link', 'add', 'br0', 'type', 'bridge', 'vlan_filtering', '1']);
  ipIn(['link', 'add', 'd1', 'type', 'dummy']);
  ipIn(['link', 'set', 'd1', 'master', 'br0']);
  run('bridge', ['-n', ns, 'vlan', 'add', 'dev', 'd1', 'vid', '20', 'pvid', 'untagged']);
  run('bridge', ['-n', ns, 'vlan', 'add', 'dev', 'br0', 'vid', '20', 'self']);

  expect(link('br0').linkinfo?.info_data?.vlan_filtering).toBe(1);
  const ports = JSON.parse(run('bridge', ['-n', ns, '-j', 'vlan', 'show'])) as Array<{
    ifname: string;
    vlans: Array<{ vlan: number; flags?: string[] }>;
  }>;
  const d1 = ports.find((p) => p.ifname === 'd1');
  expect(d1?.vlans).toContainEqual({ vlan: 20, flags: ['PVID', 'Egress Untagged'] });
  expect(ports.find((p) => p.ifname === 'br0')?.vlans.map((v) => v.vlan)).toContain(20);
});

it('creates macvlan and ipvlan links', () => {
  ipIn(['link', 'add', 'd2', 'type', 'dummy']);
  ipIn(['link', 'add', 'd3', 'type', 'dummy']);
  ipIn(['link', 'add', 'mv0', 'link', 'd2', 'type', 'macvlan', 'mode', 'bridge']);
  ipIn(['link', 'add', 'ipv0', 'link', 'd3', 'type', 'ipvlan', 'mode', 'l2']);
  expect(link('mv0').linkinfo?.info_kind).toBe('macvlan');
  expect(link('ipv0').linkinfo?.info_kind).toBe('ipvlan');
});

it('adds a MASQUERADE rule to the nat table with legacy iptables', () => {
  expect(execIn('iptables', ['-V'])).toContain('legacy');
  execIn('iptables', ['-t', 'nat', '-N', 'CNI-smoke']);
  execIn('iptables', ['-t', 'nat', '-A', 'POSTROUTING', '-s', '10.99.0.2', '-j', 'CNI-smoke', '-m', 'comment', '--comment', 'cnits smoke']);
  execIn('iptables', ['-t', 'nat', '-A', 'CNI-smoke', '!', '-d', '224.0.0.0/4', '-j', 'MASQUERADE']);
  execIn('ip6tables', ['-t', 'nat', '-A', 'POSTROUTING', '-s', 'fd99::2', '-j', 'MASQUERADE']);

  const saved = execIn('iptables-save', ['-t', 'nat']);
  expect(saved).toContain('-A POSTROUTING -s 10.99.0.2/32 -m comment --comment "cnits smoke" -j CNI-smoke');
  expect(saved).toContain('-A CNI-smoke ! -d 224.0.0.0/4 -j MASQUERADE');
  expect(execIn('ip6tables-save', ['-t', 'nat'])).toContain('-A POSTROUTING -s fd99::2/128 -j MASQUERADE');
});

it('deletes the namespace with everything in it', () => {
  run('ip', ['netns', 'delete', ns]);
  expect(namespaces()).not.toContain(ns);
});
