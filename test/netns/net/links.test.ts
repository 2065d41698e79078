import { nsAt } from './remote';
import { makeNamespace, makeTopology, requireRoot } from '../../helpers/netns';
import { inNetns, inNetnsOk } from './in-netns';

// Host-side work runs in a Node process inside the test's host namespace (inNetns), where
// lib/net's "current namespace" is that namespace; container-side work goes through nsAt(path).

beforeAll(requireRoot);

test('bridge and veth: the peer is created directly in the container namespace, next to a host eth0', async () => {
  const t = makeTopology();
  // The host already has an eth0 (and the container gets one): no clash, no rename dance.
  t.host.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p');
  const out = await inNetnsOk(
    t.host,
    `const host = net.currentNs();
     const ctr = net.nsAt(arg);
     const outcome = await host.batch()
       .createBridge('cni0', { mtu: 1400 })
       .setPromisc('cni0', true)
       .sysctl('net.ipv6.conf.cni0.accept_ra', 0)
       .setUp('cni0')
       .createVeth('veth0a1b2c3d', { mtu: 1400 }, { name: 'eth0', netns: ctr, mtu: 1400, mac: '0a:58:0a:01:00:05' })
       .setUp('veth0a1b2c3d')
       .sysctl('net/ipv6/conf/veth0a1b2c3d/accept_ra', 0)
       .setMaster('veth0a1b2c3d', 'cni0')
       .setBridgePort('veth0a1b2c3d', { hairpin: true, isolated: true })
       .run();
     return { outcome, br: await host.link('cni0'), port: await host.link('veth0a1b2c3d'), ctr: await ctr.link('eth0'), hostEth0: await host.link('eth0') };`,
    t.ctr.path,
  );
  expect(out.outcome).toEqual({ tolerated: [] });
  expect(out.br).toMatchObject({ kind: 'bridge', mtu: 1400, promisc: true, up: true, vlanFiltering: false });
  expect(out.port).toMatchObject({ kind: 'veth', mtu: 1400, master: 'cni0', up: true, bridgePort: { hairpin: true, isolated: true } });
  expect(out.ctr).toMatchObject({ kind: 'veth', mtu: 1400, mac: '0a:58:0a:01:00:05', up: false });
  // Each end names the other's ifindex.
  expect(out.ctr.parentIndex).toBe(out.port.ifindex);
  expect(out.port.parentIndex).toBe(out.ctr.ifindex);
  expect(out.hostEth0.kind).toBe('veth');
  expect(t.host.sysctl('net/ipv6/conf/cni0/accept_ra')).toBe('0');
  expect(t.host.sysctl('net/ipv6/conf/veth0a1b2c3d/accept_ra')).toBe('0');
  // Seen from the kernel directly, not through lib/net.
  const [port] = t.host.ipJson('-d', 'link', 'show', 'veth0a1b2c3d');
  expect(port.linkinfo.info_slave_data).toMatchObject({ hairpin: true, isolated: true });
  expect(t.ctr.ipJson('link', 'show', 'eth0')[0].address).toBe('0a:58:0a:01:00:05');
});

test('bridge port flags can be turned off again; links() lists every kind', async () => {
  const t = makeTopology();
  const out = await inNetnsOk(
    t.host,
    `const host = net.currentNs();
     await host.batch().createBridge('br0').createVeth('v0', {}, { name: 'v1' }).setMaster('v0', 'br0')
       .setBridgePort('v0', { hairpin: true, isolated: true }).run();
     const on = (await host.link('v0')).bridgePort;
     await host.batch().setBridgePort('v0', { hairpin: false }).setBridgePort('v0', { isolated: false }).run();
     const off = (await host.link('v0')).bridgePort;
     const links = (await host.links()).map((l) => [l.name, l.kind, l.master ?? null, l.parentName ?? null]);
     return { on, off, links };`,
  );
  expect(out.on).toMatchObject({ hairpin: true, isolated: true });
  expect(out.off).toMatchObject({ hairpin: false, isolated: false });
  expect(out.links).toEqual(
    expect.arrayContaining([
      ['lo', '', null, null],
      ['br0', 'bridge', null, null],
      ['v0', 'veth', 'br0', 'v1'],
      ['v1', 'veth', null, 'v0'],
    ]),
  );
});

test('a veth peer placed into a namespace given as /proc/<pid>/ns/net', async () => {
  const t = makeTopology({ containers: 2 });
  const sleeper = await t.containers[1].background('sleep', ['60']);
  const ctr = nsAt(sleeper.nsPath);
  expect(ctr.status()).toBe('netns');
  expect(ctr.sameAs(nsAt(t.containers[1].path))).toBe(true);
  expect(ctr.sameAs(nsAt(t.containers[0].path))).toBe(false);
  await inNetnsOk(
    t.host,
    `await net.currentNs().batch().createVeth('vethp', {}, { name: 'eth0', netns: net.nsAt(arg) }).run();`,
    sleeper.nsPath,
  );
  // Both the /proc path (nsenter) and the /run/netns path (ip -n) see it.
  expect((await ctr.link('eth0'))?.kind).toBe('veth');
  expect((await nsAt(t.containers[1].path).link('eth0'))?.kind).toBe('veth');
  expect(t.containers[1].ipJson('link', 'show', 'eth0')).toHaveLength(1);
  expect((await nsAt(`/var/run/netns/${t.containers[1].name}`).link('eth0'))?.kind).toBe('veth');
  // And a batch through the /proc path works like one through /run/netns.
  await ctr.batch().addAddress('eth0', '10.9.0.2/24').setUp('eth0').run();
  expect(t.containers[1].ipJson('addr', 'show', 'eth0')[0].addr_info.map((a: { local: string }) => a.local)).toContain('10.9.0.2');
  sleeper.kill();
});

test('creating a bridge that exists: tolerated when asked, the rest of the batch still runs', async () => {
  const host = makeNamespace('host');
  host.ip('link', 'add', 'cni0', 'type', 'bridge');
  const out = await inNetnsOk(
    host,
    `const b = net.currentNs().batch().createBridge('cni0').tolerating('exists').setUp('cni0');
     const outcome = await b.run();
     return { tolerated: outcome.tolerated.map((t) => [t.index, t.what, t.error.kind]), up: (await net.currentNs().link('cni0')).up };`,
  );
  expect(out).toEqual({ tolerated: [[0, 'create bridge cni0', 'exists']], up: true });
});

test('a failing step is named with the kernel reason; steps before it are done, after it not', async () => {
  const host = makeNamespace('host');
  const r = await inNetns(
    host,
    `await net.currentNs().batch().createVeth('a0', {}, { name: 'a1' }).setMaster('a0', 'nosuchbr').setUp('a0').run();`,
  );
  expect(r.error).toMatchObject({ name: 'NetError', step: 'attach a0 to nosuchbr', kind: 'notfound', stepIndex: 1 });
  expect(r.error?.message).toBe('attach a0 to nosuchbr: Cannot find device "nosuchbr"');
  const [a0] = host.ipJson('link', 'show', 'a0');
  expect(a0.flags).not.toContain('UP');
});

test('errors from another namespace name the step too (exists / notfound)', async () => {
  const ctr = makeNamespace('ctr');
  ctr.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'p0');
  const ns = nsAt(ctr.path);
  const dup = await ns
    .batch()
    .addAddress('eth0', '10.1.0.5/24')
    .addAddress('eth0', '10.1.0.5/24')
    .run()
    .catch((e) => e);
  expect(dup).toMatchObject({ name: 'NetError', kind: 'exists', stepIndex: 1 });
  expect(dup.message).toBe('add address 10.1.0.5/24 to eth0: ipv4: Address already assigned');
  const missing = await ns
    .batch()
    .sysctl('net.ipv4.conf.eth0.arp_notify', 1)
    .setUp('eth9')
    .run()
    .catch((e) => e);
  expect(missing).toMatchObject({ kind: 'notfound', step: 'set eth9 up', stepIndex: 1 });
  expect(ctr.sysctl('net/ipv4/conf/eth0/arp_notify')).toBe('1');
  const gone = await ns
    .batch()
    .createVeth('x0', {}, { name: 'x1', netns: nsAt('/run/netns/cnits-no-such-ns') })
    .run()
    .catch((e) => e);
  expect(gone.message).toBe('create veth x0 with peer x1 in /run/netns/cnits-no-such-ns: no such network namespace');
  const missingSysctl = await ns
    .batch()
    .sysctl('net.ipv4.conf.eth9.arp_notify', 1)
    .run()
    .catch((e) => e);
  expect(missingSysctl.message).toBe('set sysctl net/ipv4/conf/eth9/arp_notify=1: no such sysctl');
  expect(missingSysctl.kind).toBe('notfound');
  // ignoreErrors: the reference ignores most sysctl failures.
  await ns.batch().sysctl('net.ipv4.conf.eth9.arp_notify', 1, { ignoreErrors: true }).setUp('eth0').run();
  expect(ctr.ipJson('link', 'show', 'eth0')[0].flags).toContain('UP');
});
