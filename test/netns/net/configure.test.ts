import { nsAt } from './remote';
import { makeTopology, requireRoot, type Topology } from '../../helpers/netns';
import { inNetnsOk } from './in-netns';

// The container side of an ADD (the reference's ConfigureIface), through nsAt(path): sysctls,
// addresses, link up and routes in one process inside the container namespace.

beforeAll(requireRoot);

/** A host bridge with the gateways, and a veth into the container (container end down). */
async function wired(): Promise<Topology> {
  const t = makeTopology();
  await inNetnsOk(
    t.host,
    `await net.currentNs().batch()
       .createBridge('cni0').addAddress('cni0', '10.1.0.1/24').addAddress('cni0', '2001:db8:1::1/64', { noDad: true }).setUp('cni0')
       .createVeth('vethc', {}, { name: 'eth0', netns: net.nsAt(arg) }).setMaster('vethc', 'cni0').setUp('vethc')
       .run();`,
    t.ctr.path,
  );
  return t;
}

test('ConfigureIface in one go: sysctls, v4 and v6 addresses, up, DAD wait, routes', async () => {
  const t = await wired();
  const ctr = nsAt(t.ctr.path);
  await ctr
    .batch()
    .sysctl('net.ipv6.conf.lo.disable_ipv6', 0)
    .sysctl('net.ipv6.conf.eth0.disable_ipv6', 0)
    .sysctl('net.ipv6.conf.eth0.keep_addr_on_down', 1)
    .sysctl('net.ipv6.conf.eth0.accept_dad', 0)
    .sysctl('net.ipv4.conf.eth0.arp_notify', 1)
    .addAddress('eth0', '10.1.0.5/24')
    .addAddress('eth0', '2001:db8:1::5/64')
    .setUp('eth0')
    .waitForDad('eth0')
    .addRoute({ dst: '0.0.0.0/0', gw: '10.1.0.1', dev: 'eth0' })
    .addRoute({ dst: '::/0', gw: '2001:db8:1::1', dev: 'eth0' })
    .addRoute({ dst: '192.168.0.0/16', gw: '10.1.0.1', metric: 50, table: 100 })
    .addRoute({ dst: '10.20.0.0/16', dev: 'eth0', scope: 253 })
    .run();

  expect(t.ctr.sysctl('net/ipv6/conf/eth0/keep_addr_on_down')).toBe('1');
  expect(t.ctr.sysctl('net/ipv6/conf/eth0/accept_dad')).toBe('0');
  expect(t.ctr.sysctl('net/ipv4/conf/eth0/arp_notify')).toBe('1');

  const snap = await ctr.inspect('eth0');
  expect(snap.link).toMatchObject({ name: 'eth0', kind: 'veth', up: true });
  expect(snap.addresses.filter((a) => a.scope === 'global').map((a) => [a.cidr, a.tentative])).toEqual([
    ['10.1.0.5/24', false],
    ['2001:db8:1::5/64', false],
  ]);
  const main = snap.routes.filter((r) => r.table === 254 && r.protocol !== 'kernel');
  expect(main.map((r) => [r.family, r.dst, r.gateway ?? null, r.dev, r.scope])).toEqual(
    expect.arrayContaining([
      [4, '0.0.0.0/0', '10.1.0.1', 'eth0', 'global'],
      [4, '10.20.0.0/16', null, 'eth0', 'link'],
      [6, '::/0', '2001:db8:1::1', 'eth0', 'global'],
    ]),
  );
  expect(snap.routes.find((r) => r.table === 100)).toMatchObject({ family: 4, dst: '192.168.0.0/16', gateway: '10.1.0.1', metric: 50 });

  // The same, one query at a time.
  expect((await ctr.routes({ family: 4 })).map((r) => r.dst)).toEqual(expect.arrayContaining(['0.0.0.0/0', '10.1.0.0/24', '10.20.0.0/16']));
  expect((await ctr.routes({ family: 4 })).some((r) => r.table !== 254)).toBe(false);
  expect((await ctr.routes({ table: 100 })).map((r) => r.dst)).toEqual(['192.168.0.0/16']);
  expect((await ctr.routes({ table: 'all', family: 6 })).some((r) => r.table === 255)).toBe(true);
  expect(await ctr.routes({ dev: 'lo', family: 4 })).toEqual([]);
  await expect(ctr.routes({ dev: 'eth9' })).rejects.toMatchObject({ kind: 'notfound' });
  expect((await ctr.addresses('eth0')).map((a) => a.address)).toEqual(expect.arrayContaining(['10.1.0.5', '2001:db8:1::5']));
  expect((await ctr.addresses()).map((a) => a.ifname)).toEqual(expect.arrayContaining(['lo', 'eth0']));
  await expect(ctr.addresses('eth9')).rejects.toMatchObject({ kind: 'notfound' });
  expect(await ctr.defaultRouteInterface()).toBe('eth0');
  expect(await ctr.readSysctl('net.ipv4.conf.eth0.arp_notify')).toBe('1');

  // Traffic only between the test's own namespaces: container -> its gateway on the host bridge.
  expect(t.ctr.exec('ping', ['-c', '1', '-W', '2', '10.1.0.1']).status).toBe(0);
});

test('routes: "create" adds a second gateway (like NLM_F_CREATE without EXCL), refuses an identical route; "exclusive" refuses both', async () => {
  const t = await wired();
  const ctr = nsAt(t.ctr.path);
  await ctr.batch().addAddress('eth0', '10.1.0.5/24').setUp('eth0').addRoute({ dst: '10.30.0.0/16', gw: '10.1.0.1' }).run();
  await ctr.batch().addRoute({ dst: '10.30.0.0/16', gw: '10.1.0.2' }).run();
  expect(
    (await ctr.routes({ family: 4 }))
      .filter((r) => r.dst === '10.30.0.0/16')
      .map((r) => r.gateway)
      .sort(),
  ).toEqual(['10.1.0.1', '10.1.0.2']);
  await expect(ctr.batch().addRoute({ dst: '10.30.0.0/16', gw: '10.1.0.2' }).run()).rejects.toMatchObject({
    kind: 'exists',
    message: 'add route 10.30.0.0/16 via 10.1.0.2: File exists',
  });
  await expect(ctr.batch().addRoute({ dst: '10.30.0.0/16', gw: '10.1.0.3' }, 'exclusive').run()).rejects.toMatchObject({ kind: 'exists' });
  await ctr.batch().addRoute({ dst: '10.30.0.0/16', gw: '10.1.0.3' }, 'replace').run();
});

test('IPv6 routes with the same destination and metric via different gateways', async () => {
  const t = await wired();
  const ctr = nsAt(t.ctr.path);
  await ctr
    .batch()
    .addAddress('eth0', '2001:db8:1::5/64', { noDad: true })
    .setUp('eth0')
    .addRoute({ dst: '2001:db8:9::/48', gw: '2001:db8:1::1' })
    .addRoute({ dst: '2001:db8:9::/48', gw: '2001:db8:1::2' })
    .run();
  const r = (await ctr.routes({ family: 6 })).filter((x) => x.dst === '2001:db8:9::/48');
  // The kernel merges them into one multipath route.
  const gws = r.flatMap((x) => (x.nexthops ? x.nexthops.map((n) => n.gateway) : [x.gateway])).sort();
  expect(gws).toEqual(['2001:db8:1::1', '2001:db8:1::2']);
});

test('sysctl names with dots in the interface name (VLAN-style eth0.100)', async () => {
  const t = makeTopology();
  t.ctr.ip('link', 'add', 'eth0.100', 'type', 'veth', 'peer', 'name', 'p100');
  const ctr = nsAt(t.ctr.path);
  await ctr.batch().sysctl('net.ipv4.conf.eth0/100.arp_notify', 1).sysctl('net/ipv6/conf/eth0.100/accept_dad', 0).run();
  expect(t.ctr.sysctl('net/ipv4/conf/eth0.100/arp_notify')).toBe('1');
  expect(t.ctr.sysctl('net/ipv6/conf/eth0.100/accept_dad')).toBe('0');
  // The same from the host side, written with fs in the current namespace.
  t.host.ip('link', 'add', 'br0.5', 'type', 'veth', 'peer', 'name', 'p5');
  await inNetnsOk(
    t.host,
    `await net.currentNs().batch().sysctl('net.ipv6.conf.br0/5.accept_ra', 0).run(); net.writeSysctl('net.ipv4.conf.br0/5.arp_notify', 1);
    return net.readSysctl('net.ipv4.conf.br0/5.arp_notify');`,
  );
  expect(t.host.sysctl('net/ipv6/conf/br0.5/accept_ra')).toBe('0');
  expect(t.host.sysctl('net/ipv4/conf/br0.5/arp_notify')).toBe('1');
  // Sysctls are per namespace: the container's copy is untouched by the host's write.
  t.ctr.ip('link', 'add', 'br0.5', 'type', 'veth', 'peer', 'name', 'q5');
  expect(t.ctr.sysctl('net/ipv6/conf/br0.5/accept_ra')).not.toBe('0');
});

test('host-side ConfigureIface-style batch runs sysctls and the DAD wait without extra processes', async () => {
  const t = makeTopology();
  const out = await inNetnsOk(
    t.host,
    `const h = net.currentNs();
     await h.batch().createVeth('h0', {}, { name: 'h1' }).setUp('h1')
       .sysctl('net.ipv6.conf.h0.accept_dad', 0).addAddress('h0', '2001:db8:2::1/64').setUp('h0').waitForDad('h0')
       .addRoute({ dst: '2001:db8:3::/48', gw: '2001:db8:2::2' }).run();
     return (await h.routes({ family: 6 })).filter((r) => r.dst === '2001:db8:3::/48');`,
  );
  expect(out).toEqual([expect.objectContaining({ gateway: '2001:db8:2::2', dev: 'h0' })]);
});
