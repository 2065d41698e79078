import { Batch, NetValidationError, type NetnsRef, type Step } from '../../../lib/net';
import { stepLines } from '../../helpers/iproute2-line';

const here: NetnsRef = { isCurrent: true, ref: '/proc/1/ns/net' };
const ctr: NetnsRef = { isCurrent: false, ref: '/run/netns/ctr' };

function batch(ns: NetnsRef = here): { b: Batch; ran: Step[][] } {
  const ran: Step[][] = [];
  const b = new Batch(ns, async (steps) => {
    ran.push([...steps]);
    return { tolerated: [] };
  });
  return { b, ran };
}

const lines = (b: Batch) => stepLines(b.steps);

describe('batch lines', () => {
  test('bridge, veth with its peer placed in another namespace, macvlan, dummy', () => {
    const { b } = batch();
    b.createBridge('cni0', { mtu: 1400 })
      .createBridge('br1', { vlanFiltering: true, mac: '02:00:00:00:00:01' })
      .createVeth('veth1234', { mtu: 1400 }, { name: 'eth0', netns: ctr, mtu: 1400, mac: '0A:58:0A:01:00:05' })
      .createVeth('a', {}, { name: 'b' })
      .createMacvlan('eth0', { master: 'eth1', mode: 'bridge', mtu: 1450, mac: '02:00:00:00:00:02', bcQueueLen: 100, netns: ctr })
      .createMacvlan('mv0', { master: 'eth1', mode: 'passthru' })
      .createDummy('dummy0', { mtu: 9000 });
    expect(lines(b)).toEqual([
      'ip: link add name cni0 mtu 1400 type bridge',
      'ip: link add name br1 address 02:00:00:00:00:01 type bridge vlan_filtering 1',
      'ip: link add name veth1234 mtu 1400 type veth peer name eth0 mtu 1400 address 0a:58:0a:01:00:05 netns /run/netns/ctr',
      'ip: link add name a type veth peer name b',
      'ip: link add link eth1 name eth0 mtu 1450 address 02:00:00:00:00:02 netns /run/netns/ctr type macvlan mode bridge bcqueuelen 100',
      'ip: link add link eth1 name mv0 type macvlan mode passthru',
      'ip: link add name dummy0 mtu 9000 type dummy',
    ]);
    expect(b.steps.map((s) => s.what)).toEqual([
      'create bridge cni0',
      'create bridge br1',
      'create veth veth1234 with peer eth0 in /run/netns/ctr',
      'create veth a with peer b',
      'create macvlan eth0 on eth1 in /run/netns/ctr',
      'create macvlan mv0 on eth1',
      'create dummy dummy0',
    ]);
  });

  test('a peer placed from another namespace into the current one uses its /proc path', () => {
    const { b } = batch(ctr);
    b.createVeth('eth0', {}, { name: 'veth1', netns: here });
    expect(lines(b)).toEqual(['ip: link add name eth0 type veth peer name veth1 netns /proc/1/ns/net']);
  });

  test('link settings and bridge ports', () => {
    const { b } = batch();
    b.setUp('eth0')
      .setMac('eth0', 'AA:BB:CC:DD:EE:FF')
      .setPromisc('cni0', true)
      .setMaster('veth1', 'cni0')
      .rename('tmp0', 'eth0')
      .setBridgePort('veth1', { hairpin: true, isolated: false })
      .setBridgePort('veth1', { isolated: true })
      .setBridgePort('veth1', {})
      .bridgeVlanAdd('veth1', 100, { pvid: true, untagged: true })
      .bridgeVlanAdd('veth1', 200)
      .bridgeVlanDel('veth1', 1)
      .deleteLink('eth0');
    expect(lines(b)).toEqual([
      'ip: link set dev eth0 up',
      'ip: link set dev eth0 address aa:bb:cc:dd:ee:ff',
      'ip: link set dev cni0 promisc on',
      'ip: link set dev veth1 master cni0',
      'ip: link set dev tmp0 name eth0',
      'ip: link set dev veth1 type bridge_slave hairpin on isolated off',
      'ip: link set dev veth1 type bridge_slave isolated on',
      'bridge: vlan add dev veth1 vid 100 pvid untagged',
      'bridge: vlan add dev veth1 vid 200',
      'bridge: vlan del dev veth1 vid 1',
      'ip: link delete dev eth0',
    ]);
    expect(b.steps[b.size - 1].tolerate).toEqual(['notfound']);
  });

  test('addresses: IPv4 broadcast up to /30, nodad only for IPv6', () => {
    const { b } = batch();
    b.addAddress('eth0', '10.1.0.5/24')
      .addAddress('eth0', '10.1.0.5/31')
      .addAddress('eth0', '10.1.0.5/32', { noDad: true })
      .addAddress('eth0', '2001:db8::5/64', { noDad: true })
      .addAddress('eth0', '2001:DB8::6/64')
      .delAddress('eth0', '10.1.0.5/24');
    expect(lines(b)).toEqual([
      'ip: address add 10.1.0.5/24 brd + dev eth0',
      'ip: address add 10.1.0.5/31 dev eth0',
      'ip: address add 10.1.0.5/32 dev eth0',
      'ip: address add 2001:db8::5/64 dev eth0 nodad',
      'ip: address add 2001:db8::6/64 dev eth0',
      'ip: address del 10.1.0.5/24 dev eth0',
    ]);
    expect(b.steps[0].what).toBe('add address 10.1.0.5/24 to eth0');
  });

  test('routes: create (prepend = NLM_F_CREATE alone), exclusive, replace', () => {
    const { b } = batch();
    b.addRoute({ dst: '0.0.0.0/0', gw: '10.1.0.1', dev: 'eth0' })
      .addRoute({ dst: '10.2.0.0/16', gw: '10.1.0.1', metric: 100, table: 100, scope: 0, src: '10.1.0.5' }, 'exclusive')
      .addRoute({ dst: '::/0', gw: 'fe80::1', dev: 'eth0', scope: 'global' }, 'replace')
      .addRoute({ dst: '10.3.0.0/16', dev: 'eth0', scope: 253 });
    expect(lines(b)).toEqual([
      'ip: route prepend 0.0.0.0/0 via 10.1.0.1 dev eth0',
      'ip: route add 10.2.0.0/16 via 10.1.0.1 metric 100 table 100 scope 0 src 10.1.0.5',
      'ip: route replace ::/0 via fe80::1 dev eth0 scope global',
      'ip: route prepend 10.3.0.0/16 dev eth0 scope 253',
    ]);
    expect(b.steps[0].what).toBe('add route 0.0.0.0/0 via 10.1.0.1 dev eth0');
  });

  test('sysctls and DAD waits are steps of their own', () => {
    const { b } = batch();
    b.sysctl('net.ipv6.conf.eth0/100.accept_ra', 0, { ignoreErrors: true }).waitForDad('eth0', { timeoutMs: 1000 });
    expect(b.steps.map((s) => s.op)).toEqual([
      { tool: 'sysctl', path: 'net/ipv6/conf/eth0.100/accept_ra', value: '0', ignoreErrors: true },
      { tool: 'dad', ifname: 'eth0', timeoutMs: 1000, intervalMs: 50 },
    ]);
    expect(b.steps.map((s) => s.what)).toEqual([
      'set sysctl net/ipv6/conf/eth0.100/accept_ra=0',
      'wait for duplicate address detection on eth0',
    ]);
  });
});

describe('validation happens when a step is added', () => {
  const bad: Array<[string, (b: Batch) => unknown]> = [
    ['newline in a name', (b) => b.setUp('eth0\nlink delete dev eth1')],
    ['space in a master', (b) => b.setMaster('veth1', 'cni0 up')],
    ['bad MAC', (b) => b.setMac('eth0', '02:00:00:00:00')],
    ['MTU too small', (b) => b.createDummy('d0', { mtu: 10 })],
    ['bad CIDR', (b) => b.addAddress('eth0', '10.1.0.5')],
    ['address with a trailing command', (b) => b.addAddress('eth0', '10.1.0.5/24 dev lo')],
    ['gateway of another family', (b) => b.addRoute({ dst: '0.0.0.0/0', gw: '2001:db8::1' })],
    ['src of another family', (b) => b.addRoute({ dst: '0.0.0.0/0', src: '2001:db8::1' })],
    ['route table 0', (b) => b.addRoute({ dst: '10.0.0.0/8', table: 0 })],
    ['unknown scope name', (b) => b.addRoute({ dst: '10.0.0.0/8', scope: 'nowhere' as 'host' })],
    ['unknown macvlan mode', (b) => b.createMacvlan('m', { master: 'eth0', mode: 'bogus' as 'bridge' })],
    ['VLAN 4095', (b) => b.bridgeVlanAdd('veth1', 4095)],
    ['VLAN 0', (b) => b.bridgeVlanDel('veth1', 0)],
    ['peer namespace path with a space', (b) => b.createVeth('a', {}, { name: 'b', netns: { isCurrent: false, ref: '/run/netns/a b' } })],
    ['sysctl outside net/', (b) => b.sysctl('kernel.core_pattern', 'x')],
    ['sysctl value with a space', (b) => b.sysctl('net.ipv4.ip_forward', '1 2')],
  ];
  test.each(bad)('%s', (_, add) => {
    const { b } = batch();
    expect(() => add(b)).toThrow(NetValidationError);
    expect(b.size).toBe(0);
  });
});

describe('running', () => {
  test('run hands all steps to the runner once', async () => {
    const { b, ran } = batch();
    await b.setUp('a').setUp('b').run();
    expect(ran).toHaveLength(1);
    expect(ran[0]).toHaveLength(2);
  });

  test('an empty batch runs nothing', async () => {
    const { b, ran } = batch();
    expect(await b.run()).toEqual({ tolerated: [] });
    expect(ran).toHaveLength(0);
  });

  test('tolerating() marks the step just added', () => {
    const { b } = batch();
    b.createBridge('cni0').tolerating('exists').setUp('cni0');
    expect(b.steps.map((s) => s.tolerate)).toEqual([['exists'], []]);
    expect(() => batch().b.tolerating('exists')).toThrow();
  });
});
