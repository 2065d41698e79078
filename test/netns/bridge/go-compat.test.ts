import { GO_BIN, NOTHING_LEFT, OUR_BIN, requireBinaries, requireGoPlugins, Sandbox, type Json } from './harness';

// The same configs through the Go reference (Debian 1.1.1: bridge + host-local, cniVersion up
// to 1.0.0) and through cni-ts, each in its own sandbox; results compared with the random parts
// (MACs, host veth names) masked. Then each one's rules are removed by the other's DEL.

beforeAll(() => {
  requireBinaries();
  requireGoPlugins();
});

const sandboxes: Sandbox[] = [];
afterEach(() => sandboxes.splice(0).forEach((s) => s.cleanup()));

function sandbox(): Sandbox {
  const s = new Sandbox();
  sandboxes.push(s);
  return s;
}

/** MACs and veth names are random; the Go library of 1.1.1 prints an empty dns object at 1.0.0. */
function masked(r: Json): Json {
  const out = JSON.parse(JSON.stringify(r));
  for (const i of out.interfaces ?? []) {
    if (i.mac) i.mac = 'MAC';
    if (/^veth[0-9a-f]{8}$/.test(i.name)) i.name = 'VETH';
    if (i.sandbox) i.sandbox = 'SANDBOX';
  }
  if (out.dns && Object.keys(out.dns).length === 0 && out.cniVersion.startsWith('1.')) delete out.dns;
  return out;
}

function both(options: Record<string, unknown>, ipam: Record<string, unknown> | null): { go: Json; ours: Json } {
  const go = sandbox();
  const ours = sandbox();
  return {
    go: masked(go.ok({ command: 'ADD', conf: go.conf(options, ipam), bin: GO_BIN }).json),
    ours: masked(ours.ok({ command: 'ADD', conf: ours.conf(options, ipam) }).json),
  };
}

const dual = { ranges: [[{ subnet: '10.99.0.0/24' }], [{ subnet: 'fd99::/64' }]] };

const CASES: Array<[string, Record<string, unknown>, Record<string, unknown> | null]> = [
  ['plain, no gateway', {}, { subnet: '10.99.0.0/24' }],
  ['isGateway + ipMasq', { isGateway: true, ipMasq: true }, { subnet: '10.99.0.0/24', routes: [{ dst: '0.0.0.0/0' }] }],
  ['isDefaultGateway, dual stack', { isDefaultGateway: true }, dual],
  [
    'IPAM default route with gateway wins',
    { isDefaultGateway: true },
    { subnet: '10.99.0.0/24', routes: [{ dst: '0.0.0.0/0', gw: '10.99.0.254' }] },
  ],
  ['hairpin, mtu, promisc off', { hairpinMode: true, mtu: 1400 }, { subnet: '10.99.0.0/24' }],
  ['explicit IPAM gateway', { isGateway: true }, { ranges: [[{ subnet: '10.99.0.0/24', gateway: '10.99.0.100' }]] }],
  ['L2 only', {}, null],
  ['container MAC from runtimeConfig', { runtimeConfig: { mac: '02:00:00:00:00:42' } }, { subnet: '10.99.0.0/24' }],
];

describe('results equal the Go plugin', () => {
  for (const v of ['0.3.1', '0.4.0', '1.0.0']) {
    test.each(CASES)(`${v}: %s`, (_name, options, ipam) => {
      const { go, ours } = both({ ...options, cniVersion: v }, ipam);
      expect(ours).toEqual(go);
    });
  }

  test.each(['0.1.0', '0.2.0'])('%s: dual stack with default gateway', (v) => {
    const { go, ours } = both({ isDefaultGateway: true, cniVersion: v }, dual);
    expect(ours).toEqual(go);
  });

  test('the container MAC really is the requested one with both', () => {
    const { go, ours } = both({ runtimeConfig: { mac: '02:00:00:00:00:42' } }, { subnet: '10.99.0.0/24' });
    expect(go.interfaces[2]).toEqual(ours.interfaces[2]);
  });
});

describe('interoperation on one node', () => {
  test('rules and attachment made by the Go plugin are removed by our DEL (and it passes our CHECK first)', () => {
    const s = sandbox();
    const conf = s.conf({ isGateway: true, ipMasq: true });
    const prev = s.ok({ command: 'ADD', conf, bin: GO_BIN }).json;
    expect(s.natRules()).toHaveLength(4);
    s.ok({ command: 'CHECK', conf: { ...conf, prevResult: prev } });
    s.ok({ command: 'DEL', conf, cniPath: GO_BIN });
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });

  test('Go rules are removed by our DEL even when the namespace is already gone', () => {
    const s = sandbox();
    const conf = s.conf({ isGateway: true, ipMasq: true });
    s.ok({ command: 'ADD', conf, bin: GO_BIN });
    s.ctr.delete();
    s.ok({ command: 'DEL', conf, netns: '', cniPath: GO_BIN });
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });

  test('rules made by us are found and removed by the Go DEL', () => {
    const s = sandbox();
    const conf = s.conf({ isGateway: true, ipMasq: true });
    s.ok({ command: 'ADD', conf });
    expect(s.natRules()).toHaveLength(4);
    s.ok({ command: 'DEL', conf, bin: GO_BIN, cniPath: OUR_BIN });
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });

  test('Go and cni-ts attach containers to the same bridge side by side', () => {
    const s = sandbox();
    const conf = s.conf({ isGateway: true, ipMasq: true });
    s.ok({ command: 'ADD', conf, bin: GO_BIN });
    const second = new Sandbox();
    try {
      s.ok({ command: 'ADD', conf, containerId: 'ctr2', netns: second.ctr.path, cniPath: GO_BIN });
      expect(s.addresses(s.host, 'cnitest0')).toEqual(['10.99.0.1/24']);
      expect(second.ctr.exec('ping', ['-c', '1', '-W', '2', '10.99.0.2']).status).toBe(0);
      s.ok({ command: 'DEL', conf, containerId: 'ctr2', netns: second.ctr.path, cniPath: GO_BIN });
    } finally {
      second.cleanup();
    }
    s.ok({ command: 'DEL', conf, bin: GO_BIN });
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });
});
