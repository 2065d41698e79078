import { requireBinaries, Sandbox, type Json } from '../bridge/harness';
import { MASTER, macvlanConf, macvlanEnv, type MacvlanEnv } from '../macvlan/fixture';

// Beyond the reference (issue 16): routes' mtu and advmss (1.1) are programmed in the container
// and compared by CHECK (plugins#1015, #971); 1.1 results carry interfaces[].mtu.

beforeAll(() => requireBinaries());

const sandboxes: Sandbox[] = [];
afterEach(() => sandboxes.splice(0).forEach((s) => s.cleanup()));

function sandbox(): Sandbox {
  const s = new Sandbox();
  sandboxes.push(s);
  return s;
}

const ROUTES = [
  { dst: '10.98.0.0/16', mtu: 1400, advmss: 1360 },
  { dst: '10.97.0.0/16', gw: '10.99.0.254', mtu: 1300, table: 100, priority: 7 },
  { dst: '0.0.0.0/0' },
];

/** `ip -json route show table all` in the container, reduced to what the result describes. */
function containerRoutes(s: Sandbox): Json[] {
  return (s.ctr.ipJson('route', 'show', 'table', 'all') as Json[])
    .filter((r) => r.table !== 'local')
    .map((r) => ({ dst: r.dst, table: r.table, metric: r.metric, ...(r.metrics?.[0] ?? {}) }));
}

describe('route mtu and advmss', () => {
  test('programmed in the container with table and priority, in the result, and CHECK passes', () => {
    const s = sandbox();
    const conf = s.conf({ cniVersion: '1.1.0', isGateway: true }, { subnet: '10.99.0.0/24', routes: ROUTES });
    const result = s.ok({ command: 'ADD', conf }).json;
    expect(result.routes).toEqual(ROUTES);
    const routes = containerRoutes(s);
    expect(routes).toContainEqual({ dst: '10.98.0.0/16', table: undefined, metric: undefined, mtu: 1400, advmss: 1360 });
    expect(routes).toContainEqual({ dst: '10.97.0.0/16', table: '100', metric: 7, mtu: 1300 });
    expect(routes.find((r) => r.dst === 'default')).toEqual({ dst: 'default', table: undefined, metric: undefined });
    s.ok({ command: 'CHECK', conf: { ...conf, prevResult: result } });
  });

  test('CHECK fails when a route lost its mtu or advmss, naming them', () => {
    const s = sandbox();
    const conf = s.conf({ cniVersion: '1.1.0', isGateway: true }, { subnet: '10.99.0.0/24', routes: ROUTES });
    const result = s.ok({ command: 'ADD', conf }).json;
    s.ctr.ip('route', 'replace', '10.98.0.0/16', 'via', '10.99.0.1', 'dev', 'eth0', 'mtu', '1400');
    const err = s.fails({ command: 'CHECK', conf: { ...conf, prevResult: result } });
    expect(err.msg).toContain('Expected Route 10.98.0.0/16 (mtu 1400, advmss 1360) not found in routing table');
    s.ctr.ip('route', 'replace', '10.98.0.0/16', 'via', '10.99.0.1', 'dev', 'eth0', 'mtu', '1400', 'advmss', '1360');
    s.ok({ command: 'CHECK', conf: { ...conf, prevResult: result } });
    s.ctr.ip('route', 'replace', '10.97.0.0/16', 'via', '10.99.0.254', 'dev', 'eth0', 'table', '100', 'metric', '7');
    expect(s.fails({ command: 'CHECK', conf: { ...conf, prevResult: result } }).msg).toContain(
      'Expected Route 10.97.0.0/16 via 10.99.0.254 (table 100, priority 7, mtu 1300) not found',
    );
  });

  test('DEL removes the attachment as before', () => {
    const s = sandbox();
    const conf = s.conf({ cniVersion: '1.1.0' }, { subnet: '10.99.0.0/24', routes: ROUTES });
    s.ok({ command: 'ADD', conf });
    s.ok({ command: 'DEL', conf });
    expect(s.links(s.ctr)).toEqual(['lo']);
    expect(s.reservations()).toEqual([]);
  });
});

describe('interfaces[].mtu in 1.1 results', () => {
  test('bridge: bridge, host veth and container interface, as the kernel has them', () => {
    const s = sandbox();
    const result = s.ok({ command: 'ADD', conf: s.conf({ cniVersion: '1.1.0', mtu: 1450 }) }).json;
    const [bridge, hostVeth, ctr] = result.interfaces;
    expect([bridge.mtu, hostVeth.mtu, ctr.mtu]).toEqual([1450, 1450, 1450]);
    expect(s.link(s.host, 'cnitest0').mtu).toBe(1450);
    expect(s.link(s.ctr, 'eth0').mtu).toBe(1450);
  });

  test('bridge without mtu: the kernel default', () => {
    const s = sandbox();
    const result = s.ok({ command: 'ADD', conf: s.conf({ cniVersion: '1.1.0' }) }).json;
    expect(result.interfaces.map((i: Json) => i.mtu)).toEqual([1500, 1500, 1500]);
  });

  test.each(['1.0.0', '0.4.0'])('bridge at %s: no mtu (the result stays the reference one)', (v) => {
    const s = sandbox();
    const result = s.ok({ command: 'ADD', conf: s.conf({ cniVersion: v, mtu: 1450 }) }).json;
    expect(result.interfaces.some((i: Json) => 'mtu' in i)).toBe(false);
  });

  describe('macvlan', () => {
    let env: MacvlanEnv;
    beforeEach(() => {
      env = macvlanEnv();
      env.host.ip('link', 'set', MASTER, 'mtu', '1480');
    });
    afterEach(() => env.destroy());

    test("its own mtu, else its master's", () => {
      const own = env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir, { cniVersion: '1.1.0', mtu: 1400 }) }).json;
      expect(own.interfaces[0].mtu).toBe(1400);
      expect(env.link(env.ctr).mtu).toBe(1400);
      env.ok({ command: 'DEL', conf: macvlanConf(env.dataDir, { cniVersion: '1.1.0' }) });
      const inherited = env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir, { cniVersion: '1.1.0' }) }).json;
      expect(inherited.interfaces[0].mtu).toBe(1480);
      expect(env.link(env.ctr).mtu).toBe(1480);
    });

    test('not at 1.0.0', () => {
      const r = env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir, { mtu: 1400 }) }).json;
      expect(r.interfaces[0].mtu).toBeUndefined();
    });
  });
});
