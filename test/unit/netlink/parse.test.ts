import { parseAddresses as ipAddresses, parseLinks as ipLinks, parseRoutes as ipRoutes } from '../../helpers/ip-json';
import * as C from '../../../lib/netlink/constants';
import { linkIndexOf, linkNameOf, parseAddress, parseBridgeVlans, parseLinks, parseRoute } from '../../../lib/netlink/parse';
import { received, replyFixture } from './fixtures';

// The decoders read the kernel's own answers (fixtures/kernel-replies.json: what iproute2
// received in a throwaway namespace) into the same values lib/net/ip-json.ts reads from what
// iproute2 printed from those very bytes.

const strip = <T extends object>(o: T, keys: string[]): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([k, v]) => !keys.includes(k) && v !== undefined)) as Partial<T>;

describe('links', () => {
  const f = replyFixture('links');
  const ours = parseLinks(received(f, C.RTM_NEWLINK));
  const theirs = ipLinks(f.stdout);

  test('the same links', () => {
    expect(ours.map((l) => l.name)).toEqual(theirs.map((l) => l.name));
    expect(ours.length).toBeGreaterThan(5);
  });

  test.each(theirs.map((l) => [l.name, l] as const))('%s', (name, theirLink) => {
    const ourLink = ours.find((l) => l.name === name);
    expect(ourLink).toBeDefined();
    // Fields only netlink gives; parentIndex is also set by the driver only across namespaces.
    const extra = ['masterIndex', 'linkIndex', 'type', 'txqlen', 'bcQueueLen'];
    const mine = strip(ourLink!, extra);
    if (mine.bridgePort) mine.bridgePort = strip(mine.bridgePort, ['learning', 'flood']) as typeof mine.bridgePort;
    expect(mine).toEqual(strip(theirLink, []));
  });

  test('what netlink adds: bridge port learning/flood, macvlan bcqueuelen, ifindexes', () => {
    const vy0 = ours.find((l) => l.name === 'vy0');
    expect(vy0?.bridgePort).toMatchObject({ learning: false, flood: false });
    // vp0 was set to hairpin on, isolated on, learning off, flood off by the request captures.
    expect(ours.find((l) => l.name === 'vp0')?.bridgePort).toMatchObject({ hairpin: true, isolated: true, learning: false, flood: false });
    expect(ours.find((l) => l.name === 'vz0')?.flags).toContain('M-DOWN');
    const mvh = ours.find((l) => l.name === 'mvh');
    expect(mvh).toMatchObject({ kind: 'macvlan', macvlanMode: 'vepa', bcQueueLen: 50 });
    expect(mvh?.linkIndex).toBe(ours.find((l) => l.name === 'vm0')?.ifindex);
    expect(vy0?.masterIndex).toBe(ours.find((l) => l.name === 'br0')?.ifindex);
  });
});

describe('addresses', () => {
  const f = replyFixture('addresses');
  const links = received(f, C.RTM_NEWLINK);
  const names = new Map(links.map((m) => [linkIndexOf(m), linkNameOf(m)]));
  const ours = received(f, C.RTM_NEWADDR)
    .map((m) => parseAddress(m, (i) => names.get(i)))
    .filter((a) => a !== undefined);
  const theirs = ipAddresses(f.stdout);

  test('the same addresses with the same flags', () => {
    const key = (a: { ifname: string; cidr: string }) => `${a.ifname} ${a.cidr}`;
    expect(ours.map(key).sort()).toEqual(theirs.map(key).sort());
    for (const t of theirs) expect(ours.find((o) => key(o) === key(t))).toEqual(t);
    expect(ours.find((a) => a.cidr === '2001:db8::5/64')?.flags).toContain('nodad');
  });
});

describe('routes', () => {
  const names = (() => {
    const f = replyFixture('links');
    return new Map(received(f, C.RTM_NEWLINK).map((m) => [linkIndexOf(m), linkNameOf(m)]));
  })();

  test.each([
    ['routes4', 4],
    ['routes6', 6],
  ] as const)('%s', (name, family) => {
    const f = replyFixture(name);
    const ours = received(f, C.RTM_NEWROUTE)
      .map((m) => parseRoute(m, (i) => names.get(i)))
      .filter((r) => r !== undefined);
    const theirs = ipRoutes(f.stdout, family);
    expect(ours.map((r) => strip(r, ['oif', 'nexthops']))).toEqual(theirs.map((r) => strip(r, ['nexthops'])));
    // iproute2 prints no weight for a hop of weight 1 in text, but always in JSON; oif is ours.
    expect(ours.map((r) => r.nexthops?.map((h) => strip(h, ['oif'])))).toEqual(theirs.map((r) => r.nexthops));
  });

  test('metrics and multipath', () => {
    const ours = received(replyFixture('routes4'), C.RTM_NEWROUTE)
      .map((m) => parseRoute(m, (i) => names.get(i)))
      .filter((r) => r !== undefined);
    expect(ours.find((r) => r.dst === '10.30.0.0/16')).toMatchObject({ metric: 50, mtu: 1400, advmss: 1360 });
    expect(ours.find((r) => r.dst === '10.31.0.0/16')?.nexthops).toEqual([
      { gateway: '10.1.0.1', dev: 'vp1', oif: expect.any(Number), weight: 1 },
      { gateway: '10.1.0.2', dev: 'vp1', oif: expect.any(Number), weight: 4 },
    ]);
    expect(ours.find((r) => r.dst === '10.32.0.0/16')?.table).toBe(100);
  });
});

describe('bridge VLANs', () => {
  test('a kernel without VLAN filtering reports none', () => {
    const f = replyFixture('bridge_vlans');
    expect(parseBridgeVlans(received(f, C.RTM_NEWLINK)).size).toBe(0);
    expect(JSON.parse(f.stdout)).toEqual([]);
  });
});
