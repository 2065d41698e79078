import { requireBinaries, Sandbox, type Json } from './harness';

// Traffic only between this test's own namespaces: container to container, container to the
// gateway on the bridge (which lives in the test's host namespace).

let s: Sandbox;
beforeAll(requireBinaries);
beforeEach(() => (s = new Sandbox(2)));
afterEach(() => s.cleanup());

const dual = { ranges: [[{ subnet: '10.99.0.0/24' }], [{ subnet: 'fd99::/64' }]] };

function addBoth(options: Record<string, unknown>): Json[] {
  const conf = s.conf({ isGateway: true, ...options }, dual);
  return s.topo.containers.map((c, i) => s.ok({ command: 'ADD', conf, netns: c.path, containerId: `ctr${i}` }).json);
}

function ping(from: number, to: string): boolean {
  const six = to.includes(':');
  return s.topo.containers[from].exec('ping', [...(six ? ['-6'] : []), '-c', '1', '-W', '2', to]).status === 0;
}

/** The gateway's IPv6 address on the bridge does duplicate address detection first (as with Go). */
function waitForHostDad(): void {
  for (let i = 0; i < 100 && s.host.ip('-6', 'address', 'show', 'dev', 'cnitest0', 'tentative').trim() !== ''; i++) {
    s.host.exec('sleep', ['0.1']);
  }
}

function addressOf(r: Json, family: 4 | 6): string {
  return r.ips.map((i: Json) => i.address.split('/')[0]).find((a: string) => a.includes(':') === (family === 6));
}

test('two containers on one bridge reach each other and the gateway (IPv4 and IPv6)', () => {
  const [a, b] = addBoth({});
  expect(ping(0, addressOf(b, 4))).toBe(true);
  expect(ping(1, addressOf(a, 4))).toBe(true);
  expect(ping(0, '10.99.0.1')).toBe(true);
  expect(ping(0, addressOf(b, 6))).toBe(true);
  waitForHostDad();
  expect(ping(1, 'fd99::1')).toBe(true);
});

test('portIsolation: isolated containers cannot reach each other, only the gateway', () => {
  const [, b] = addBoth({ portIsolation: true });
  expect(ping(0, '10.99.0.1')).toBe(true);
  expect(ping(0, addressOf(b, 4))).toBe(false);
});

test('macspoofchk: frames with a forged source MAC are dropped at the host port', () => {
  const [, b] = addBoth({ macspoofchk: true });
  expect(ping(0, addressOf(b, 4))).toBe(true);
  s.topo.containers[0].ip('link', 'set', 'eth0', 'address', '02:de:ad:be:ef:01');
  s.topo.containers[0].ip('neigh', 'flush', 'all');
  expect(ping(0, addressOf(b, 4))).toBe(false);
});
