import {
  findContainerInterface,
  seenState,
  validateContainerLink,
  validateExpectedAddresses,
  validateExpectedRoutes,
  type SeenRoute,
} from '../../../lib/kit/validate';
import { Cidr, Ip } from '../../../lib/ip';

const route = (dst: string | undefined, gw?: string, family: 4 | 6 = 4): SeenRoute => ({
  family,
  ...(dst ? { dst: Cidr.parse(dst) } : {}),
  ...(gw ? { gw: Ip.parse(gw) } : {}),
});

const table = [route('10.0.0.0/24'), route(undefined, '10.0.0.1'), route('192.168.0.0/16', '10.0.0.254'), route('fd00::/64', undefined, 6)];

describe('validateExpectedAddresses', () => {
  const onLink = [Cidr.parse('10.0.0.2/24'), Cidr.parse('fd00::2/64')];

  it('passes when every address is on the link with its subnet route', () => {
    expect(() => validateExpectedAddresses('eth0', [{ address: '10.0.0.2/24' }, { address: 'fd00::2/64' }], onLink, table)).not.toThrow();
  });

  it('fails with the reference message when an address is missing', () => {
    expect(() => validateExpectedAddresses('eth0', [{ address: '10.0.0.3/24' }], onLink, table)).toThrow(
      'Failed to match addr 10.0.0.3/24 on interface eth0',
    );
  });

  it('compares the prefix length too', () => {
    expect(() => validateExpectedAddresses('eth0', [{ address: '10.0.0.2/16' }], onLink, table)).toThrow(/Failed to match addr/);
  });

  it('fails when the subnet route is gone', () => {
    expect(() => validateExpectedAddresses('eth0', [{ address: '10.0.0.2/24' }], onLink, [route(undefined, '10.0.0.1')])).toThrow(
      /Failed to find a route to 10.0.0.0\/24/,
    );
  });
});

describe('validateExpectedRoutes', () => {
  it('finds routes by destination and gateway', () => {
    expect(() => validateExpectedRoutes([{ dst: '192.168.0.0/16', gw: '10.0.0.254' }, { dst: '10.0.0.0/24' }], table)).not.toThrow();
    expect(() => validateExpectedRoutes([{ dst: '192.168.0.0/16', gw: '10.0.0.253' }], table)).toThrow(
      'Expected Route 192.168.0.0/16 via 10.0.0.253 not found in routing table',
    );
  });

  it('only requires a default route of the family to exist, whatever its gateway (as the reference)', () => {
    expect(() => validateExpectedRoutes([{ dst: '0.0.0.0/0', gw: '10.0.0.99' }], table)).not.toThrow();
    expect(() => validateExpectedRoutes([{ dst: '::/0' }], table)).toThrow(/Expected Route ::\/0 not found/);
  });
});

describe('seenState', () => {
  const addr = (cidr: string) => {
    const [address, prefix] = cidr.split('/');
    return {
      ifindex: 2,
      ifname: 'eth0',
      family: (cidr.includes(':') ? 6 : 4) as 4 | 6,
      address,
      prefix: Number(prefix),
      cidr,
      scope: 'global',
      tentative: false,
      dadfailed: false,
      flags: [],
    };
  };

  it('keeps routes of every table (main without a table), default routes without dst, multipath hops as routes', () => {
    const s = seenState({
      addresses: [addr('10.0.0.2/24'), addr('fd00::2/64')],
      routes: [
        { family: 4, dst: '0.0.0.0/0', gateway: '10.0.0.1', table: 254, type: 'unicast', scope: 'global' },
        { family: 4, dst: '10.9.0.0/16', table: 100, type: 'unicast', scope: 'global', gateway: '10.0.0.9' },
        {
          family: 6,
          dst: 'fd01::/64',
          table: 254,
          type: 'unicast',
          scope: 'global',
          nexthops: [{ gateway: 'fd00::a' }, { gateway: 'fd00::b' }],
        },
      ],
    });
    expect(s.onLink.map((c) => c.toAddressString())).toEqual(['10.0.0.2/24', 'fd00::2/64']);
    expect(s.routes.map((r) => [r.family, r.dst?.toString(), r.gw?.toString(), r.table])).toEqual([
      [4, undefined, '10.0.0.1', undefined],
      [4, '10.9.0.0/16', '10.0.0.9', 100],
      [6, 'fd01::/64', undefined, undefined],
      [6, 'fd01::/64', 'fd00::a', undefined],
      [6, 'fd01::/64', 'fd00::b', undefined],
    ]);
  });
});

describe('findContainerInterface / validateContainerLink', () => {
  const prev = { cniVersion: '1.0.0', interfaces: [{ name: 'cni0' }, { name: 'eth0', mac: '02:AA:00:00:00:01', sandbox: '/run/netns/a' }] };
  const link = {
    ifindex: 2,
    name: 'eth0',
    kind: 'macvlan',
    mac: '02:aa:00:00:00:01',
    mtu: 1500,
    flags: ['UP'],
    up: true,
    operstate: 'up',
    promisc: false,
  };

  it('finds the entry by name and sandbox', () => {
    expect(findContainerInterface(prev, 'eth0', '/run/netns/a').mac).toBe('02:AA:00:00:00:01');
    expect(() => findContainerInterface(prev, 'eth0', '/run/netns/b')).toThrow(
      `sandbox in prevResult "/run/netns/a" doesn't match configured netns: /run/netns/b`,
    );
    expect(() => findContainerInterface(prev, 'eth1', '/run/netns/a')).toThrow(
      `sandbox in prevResult "" doesn't match configured netns: /run/netns/a`,
    );
  });

  it('compares kind and MAC (case-insensitively)', () => {
    const expected = findContainerInterface(prev, 'eth0', '/run/netns/a');
    expect(validateContainerLink(link, expected, 'macvlan')).toBe(link);
    expect(() => validateContainerLink(undefined, expected, 'macvlan')).toThrow('container interface eth0 from prevResult not found');
    expect(() => validateContainerLink({ ...link, kind: '' }, expected, 'dummy')).toThrow(
      'container interface eth0 is not of type dummy (it is a plain device)',
    );
    expect(() => validateContainerLink({ ...link, mac: '02:aa:00:00:00:02' }, expected, 'macvlan')).toThrow(
      /MAC 02:AA:00:00:00:01 doesn't match container MAC: 02:aa:00:00:00:02/,
    );
  });
});
