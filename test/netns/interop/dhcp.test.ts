import {
  bridgeNet,
  globalAddresses,
  IMPLS,
  linkNames,
  macvlanNet,
  ok,
  requireInterop,
  routes,
  run,
  startDhcpDaemon,
  startUdhcpd,
  type DhcpDaemon,
  type Impl,
  type Json,
} from './env';
import type { TestNs } from '../../helpers/netns';

// bridge and macvlan with the Go `dhcp` IPAM plugin: its daemon runs inside the test's host
// namespace (socket in a temporary directory, passed as ipam.daemonSocketPath) and enters
// CNI_NETNS itself to run a DHCP client on CNI_IFNAME, so the interface must exist there under
// its final name when IPAM ADD runs. busybox udhcpd answers inside the test's namespaces: on a
// bridge made beforehand in the host namespace, or behind the macvlan master in a "server"
// namespace. No DHCP packet leaves these namespaces.

jest.setTimeout(120_000);

beforeAll(() => requireInterop('bridge', 'macvlan', 'dhcp'));

const NETWORK = 'dhcpnet';

function dhcpIpam(daemon: DhcpDaemon): Json {
  return { type: 'dhcp', daemonSocketPath: daemon.socket };
}

function leaseIp(result: Json): string {
  return String(result.ips[0].address).split('/')[0];
}

/** The daemon stopped the client of this attachment (it logs `<id>/<network>/<ifname>: releasing lease`). */
function expectReleased(daemon: DhcpDaemon, containerId = 'ctr1'): void {
  expect(daemon.log()).toContain(`${containerId}/${NETWORK}/eth0: releasing lease`);
}

function expectContainerEmpty(ctr: TestNs): void {
  expect(linkNames(ctr)).toEqual(['lo']);
}

/** cni-ts undoes a failed ADD; Debian's Go macvlan 1.1.1 leaves the container link behind. */
function expectFailureLeftovers(impl: Impl, ctr: TestNs): void {
  if (impl === 'cni-ts') expectContainerEmpty(ctr);
  else expect(linkNames(ctr)).toEqual(['lo', 'eth0']);
}

describe.each(IMPLS)('%s bridge + dhcp', (impl: Impl) => {
  const conf = (daemon: DhcpDaemon, extra: Json = {}): Json => ({
    cniVersion: '1.0.0',
    name: NETWORK,
    type: 'bridge',
    bridge: 'cnitsbr0',
    ...extra,
    ipam: dhcpIpam(daemon),
  });

  test('ADD gets a lease on eth0, CHECK passes, DEL stops the client, nothing left', async () => {
    const net = bridgeNet({ address: '10.77.0.1/24' });
    const server = await startUdhcpd(net.host, net.bridge, { start: '10.77.0.50', end: '10.77.0.60', router: '10.77.0.1' });
    const daemon = await startDhcpDaemon(net.host);
    const c = conf(daemon);

    const add = ok(run(net.host, impl, 'bridge', { command: 'ADD', conf: c, netns: net.ctr.path }), 'ADD').json;
    const ip = leaseIp(add);
    expect(add.ips).toEqual([{ interface: 2, address: `${ip}/24`, gateway: '10.77.0.1' }]);
    expect(add.interfaces[2]).toMatchObject({ name: 'eth0', sandbox: net.ctr.path });
    expect(add.routes).toEqual([{ dst: '0.0.0.0/0', gw: '10.77.0.1' }]);
    expect(globalAddresses(net.ctr, 'eth0')).toEqual([`${ip}/24`]);
    expect(routes(net.ctr)).toEqual(['default via 10.77.0.1 dev eth0']);
    const mac = net.ctr.ipJson('link', 'show', 'dev', 'eth0')[0].address;
    expect((await server.leases()).some((l) => l.startsWith(`${mac} ${ip} `))).toBe(true);
    // The lease works: the container reaches the DHCP server's address on the bridge.
    expect(net.ctr.exec('ping', ['-c', '1', '-W', '2', '10.77.0.1']).status).toBe(0);

    ok(run(net.host, impl, 'bridge', { command: 'CHECK', conf: { ...c, prevResult: add }, netns: net.ctr.path }), 'CHECK');

    ok(run(net.host, impl, 'bridge', { command: 'DEL', conf: { ...c, prevResult: add }, netns: net.ctr.path }), 'DEL');
    expectReleased(daemon);
    expectContainerEmpty(net.ctr);
    expect(linkNames(net.host).filter((l) => l !== 'lo' && l !== net.bridge)).toEqual([]);
    // A second DEL (runtimes repeat it) finds nothing and still succeeds.
    ok(run(net.host, impl, 'bridge', { command: 'DEL', conf: { ...c, prevResult: add }, netns: net.ctr.path }), 'second DEL');
  });

  test('a lease whose interface cannot be configured is rolled back: the DEL the plugin sends stops the client', async () => {
    // The server offers a router outside the subnet: the default route cannot be added.
    const net = bridgeNet({ address: '10.77.0.1/24' });
    await startUdhcpd(net.host, net.bridge, { start: '10.77.0.50', end: '10.77.0.60', router: '10.200.0.1' });
    const daemon = await startDhcpDaemon(net.host);
    const r = run(net.host, impl, 'bridge', { command: 'ADD', conf: conf(daemon), netns: net.ctr.path });
    expect(r.status).not.toBe(0);
    expect(daemon.log()).toContain('lease acquired');
    expectReleased(daemon);
    if (impl === 'cni-ts') {
      expectContainerEmpty(net.ctr);
      expect(linkNames(net.host).filter((l) => l !== 'lo' && l !== net.bridge)).toEqual([]);
    }
  });

  test('no DHCP server: ADD fails and (cni-ts) leaves nothing behind', async () => {
    const net = bridgeNet();
    const daemon = await startDhcpDaemon(net.host, { timeout: '1s', resendMax: '1s' });
    const r = run(net.host, impl, 'bridge', { command: 'ADD', conf: conf(daemon), netns: net.ctr.path });
    expect(r.status).not.toBe(0);
    expect(r.json.msg).toContain('DHCP.Allocate');
    expect(r.json.msg).not.toContain('Link not found');
    if (impl === 'cni-ts') {
      expectContainerEmpty(net.ctr);
      expect(linkNames(net.host).filter((l) => l !== 'lo' && l !== net.bridge)).toEqual([]);
    } else {
      // Debian's Go bridge 1.1.1 leaves its veth pair behind when IPAM fails.
      expect(linkNames(net.ctr)).toContain('eth0');
    }
  });
});

describe.each(IMPLS)('%s macvlan + dhcp', (impl: Impl) => {
  const conf = (daemon: DhcpDaemon): Json => ({
    cniVersion: '1.0.0',
    name: NETWORK,
    type: 'macvlan',
    master: 'mvup0',
    mode: 'bridge',
    ipam: dhcpIpam(daemon),
  });

  test('ADD gets a lease from the server behind the master, CHECK passes, DEL stops the client, nothing left', async () => {
    const net = macvlanNet({ serverAddress: '10.78.0.1/24' });
    const server = await startUdhcpd(net.server, net.serverIf, { start: '10.78.0.50', end: '10.78.0.60', router: '10.78.0.1' });
    const daemon = await startDhcpDaemon(net.host);
    const c = conf(daemon);

    const add = ok(run(net.host, impl, 'macvlan', { command: 'ADD', conf: c, netns: net.ctr.path }), 'ADD').json;
    const ip = leaseIp(add);
    expect(add.ips).toEqual([{ interface: 0, address: `${ip}/24`, gateway: '10.78.0.1' }]);
    expect(add.interfaces).toEqual([{ name: 'eth0', mac: expect.any(String), sandbox: net.ctr.path }]);
    expect(globalAddresses(net.ctr, 'eth0')).toEqual([`${ip}/24`]);
    expect(routes(net.ctr)).toEqual(['default via 10.78.0.1 dev eth0']);
    const mac = net.ctr.ipJson('link', 'show', 'dev', 'eth0')[0].address;
    expect(add.interfaces[0].mac).toBe(mac);
    expect((await server.leases()).some((l) => l.startsWith(`${mac} ${ip} `))).toBe(true);
    expect(net.ctr.exec('ping', ['-c', '1', '-W', '2', '10.78.0.1']).status).toBe(0);

    ok(run(net.host, impl, 'macvlan', { command: 'CHECK', conf: { ...c, prevResult: add }, netns: net.ctr.path }), 'CHECK');

    ok(run(net.host, impl, 'macvlan', { command: 'DEL', conf: { ...c, prevResult: add }, netns: net.ctr.path }), 'DEL');
    expectReleased(daemon);
    expectContainerEmpty(net.ctr);
    expect(linkNames(net.host)).toEqual(['lo', 'mvup0']);
    ok(run(net.host, impl, 'macvlan', { command: 'DEL', conf: { ...c, prevResult: add }, netns: net.ctr.path }), 'second DEL');
  });

  test('a lease whose interface cannot be configured is rolled back: the DEL the plugin sends stops the client', async () => {
    const net = macvlanNet({ serverAddress: '10.78.0.1/24' });
    await startUdhcpd(net.server, net.serverIf, { start: '10.78.0.50', end: '10.78.0.60', router: '10.200.0.1' });
    const daemon = await startDhcpDaemon(net.host);
    const r = run(net.host, impl, 'macvlan', { command: 'ADD', conf: conf(daemon), netns: net.ctr.path });
    expect(r.status).not.toBe(0);
    expect(daemon.log()).toContain('lease acquired');
    expectReleased(daemon);
    expectFailureLeftovers(impl, net.ctr);
  });

  test('no DHCP server: ADD fails and (cni-ts) leaves nothing behind', async () => {
    const net = macvlanNet();
    const daemon = await startDhcpDaemon(net.host, { timeout: '1s', resendMax: '1s' });
    const r = run(net.host, impl, 'macvlan', { command: 'ADD', conf: conf(daemon), netns: net.ctr.path });
    expect(r.status).not.toBe(0);
    expect(r.json.msg).toContain('DHCP.Allocate');
    expect(r.json.msg).not.toContain('Link not found');
    expectFailureLeftovers(impl, net.ctr);
    expect(linkNames(net.host)).toEqual(['lo', 'mvup0']);
  });
});
