import type { Result } from '../../../lib/cni/result';
import { configureIface } from '../../../lib/kit/configure-iface';
import { resultHasInterfaceMtu } from '../../../lib/kit/interface-mtu';
import { seenState, validateExpectedRoutes, type SeenRoute } from '../../../lib/kit/validate';
import { Batch, NetValidationError, type NetnsRef } from '../../../lib/net';
import { parseMessages, parseRoute, requests } from '../../../lib/netlink';
import { iproute2Line } from '../../helpers/iproute2-line';
import { Cidr, Ip } from '../../../lib/ip';

// Beyond the reference (issue 16, items 2 and 3): a 1.1 route's mtu and advmss are programmed
// and compared by CHECK, and its table, scope and priority too; interface MTUs only at 1.1.

const ctr: NetnsRef = { isCurrent: false, ref: '/run/netns/ctr' };

function routeLines(result: Omit<Result, 'cniVersion'>): string[] {
  const b = new Batch(ctr, async () => ({ tolerated: [] }));
  configureIface(b, 'eth0', { cniVersion: '1.1.0', ...result });
  return b.steps.flatMap((s) =>
    s.op.tool === 'rtnl' && s.op.call.op === 'addRoute' ? [iproute2Line(s.op.call).replace(/^ip: /, '')] : [],
  );
}

const base = {
  interfaces: [{ name: 'eth0', sandbox: '/run/netns/ctr' }],
  ips: [{ address: '10.0.0.2/24', gateway: '10.0.0.1', interface: 0 }],
};

describe('route mtu and advmss are programmed', () => {
  test('with table, scope and priority in one route line; 0 means unset', () => {
    expect(
      routeLines({
        ...base,
        routes: [
          { dst: '10.8.0.0/16', mtu: 1400, advmss: 1360, table: 100, scope: 0, priority: 5 },
          { dst: '0.0.0.0/0', mtu: 0, advmss: 0 },
          { dst: '10.9.0.0/16', gw: '10.0.0.254', advmss: 1200 },
        ],
      }),
    ).toEqual([
      'route prepend 10.8.0.0/16 via 10.0.0.1 dev eth0 metric 5 table 100 scope 0 mtu 1400 advmss 1360',
      'route prepend 0.0.0.0/0 via 10.0.0.1 dev eth0',
      'route prepend 10.9.0.0/16 via 10.0.0.254 dev eth0 advmss 1200',
    ]);
  });

  test('an MTU the kernel cannot take is refused before anything runs', () => {
    expect(() => routeLines({ ...base, routes: [{ dst: '10.8.0.0/16', mtu: 20 }] })).toThrow(NetValidationError);
    expect(() => routeLines({ ...base, routes: [{ dst: '10.8.0.0/16', advmss: 70000 }] })).toThrow(/route advmss/);
  });
});

describe('route metrics travel in RTA_METRICS', () => {
  test('mtu and advmss are sent and decoded back, absent when not set', () => {
    const decode = (r: requests.RouteRequest) => parseRoute(parseMessages(requests.newRoute(r).finish(1))[0]);
    expect(
      decode({ dst: '10.8.0.0/24', gw: '10.9.0.2', oif: 2, table: 100, priority: 5, metrics: { mtu: 1400, advmss: 1360 } }),
    ).toMatchObject({
      dst: '10.8.0.0/24',
      table: 100,
      metric: 5,
      mtu: 1400,
      advmss: 1360,
    });
    const plain = decode({ dst: '0.0.0.0/0', gw: '10.9.0.1', oif: 2 });
    expect([plain?.table, plain?.mtu, plain?.advmss]).toEqual([254, undefined, undefined]);
  });
});

describe('CHECK compares the 1.1 route attributes', () => {
  const seen = seenState({
    addresses: [],
    routes: [
      {
        family: 4,
        dst: '10.8.0.0/16',
        gateway: '10.0.0.1',
        table: 100,
        type: 'unicast',
        scope: 'global',
        metric: 5,
        mtu: 1400,
        advmss: 1360,
      },
      { family: 4, dst: '10.7.0.0/16', table: 254, type: 'unicast', scope: 'link', mtu: 1300 },
      { family: 4, dst: '0.0.0.0/0', gateway: '10.0.0.1', table: 254, type: 'unicast', scope: 'global' },
    ],
  }).routes;

  test('seenState keeps table, metric, scope number, mtu and advmss', () => {
    const r = seen[0] as SeenRoute;
    expect([r.table, r.metric, r.scope, r.mtu, r.advmss]).toEqual([100, 5, 0, 1400, 1360]);
    expect(seen[1].scope).toBe(253);
    expect(seen[2].table).toBeUndefined();
  });

  test('a route as programmed passes', () => {
    expect(() =>
      validateExpectedRoutes(
        [
          { dst: '10.8.0.0/16', gw: '10.0.0.1', table: 100, priority: 5, scope: 0, mtu: 1400, advmss: 1360 },
          { dst: '10.7.0.0/16', scope: 253, mtu: 1300 },
          { dst: '0.0.0.0/0', table: 0 },
        ],
        seen,
      ),
    ).not.toThrow();
  });

  test.each([
    ['another mtu', { dst: '10.8.0.0/16', table: 100, mtu: 1500 }, '(table 100, mtu 1500)'],
    ['another advmss', { dst: '10.8.0.0/16', table: 100, advmss: 1000 }, '(table 100, advmss 1000)'],
    ['an mtu the route lacks', { dst: '0.0.0.0/0', mtu: 1400 }, '(mtu 1400)'],
    ['the main table instead of 100', { dst: '10.8.0.0/16' }, ''],
    ['another table', { dst: '10.7.0.0/16', table: 101 }, '(table 101)'],
    ['another priority', { dst: '10.8.0.0/16', table: 100, priority: 6 }, '(table 100, priority 6)'],
    ['another scope', { dst: '10.7.0.0/16', scope: 0 }, '(scope 0)'],
  ])('%s fails, naming the attributes', (_name, want, attrs) => {
    expect(() => validateExpectedRoutes([want], seen)).toThrow(
      `Expected Route ${want.dst}${attrs ? ` ${attrs}` : ''} not found in routing table`,
    );
  });

  test('a route seen in another table still serves as the subnet route only from main', () => {
    const routes: SeenRoute[] = [{ family: 4, dst: Cidr.parse('10.0.0.0/24'), gw: Ip.parse('10.0.0.1'), table: 100 }];
    expect(() => validateExpectedRoutes([{ dst: '10.0.0.0/24', table: 100 }], routes)).not.toThrow();
    expect(() => validateExpectedRoutes([{ dst: '10.0.0.0/24' }], routes)).toThrow(/not found in routing table/);
  });
});

describe('interfaces[].mtu', () => {
  test.each([
    ['1.1.0', true],
    ['1.0.0', false],
    ['0.4.0', false],
  ])('config %s: filled %s', (v, yes) => {
    expect(resultHasInterfaceMtu(v)).toBe(yes);
  });
});
