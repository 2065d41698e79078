import { requireBinaries, Sandbox, type Json } from './harness';

let s: Sandbox;
beforeAll(requireBinaries);
beforeEach(() => (s = new Sandbox()));
afterEach(() => s.cleanup());

function added(
  options: Record<string, unknown> = {},
  ipam: Record<string, unknown> | null = { subnet: '10.99.0.0/24' },
): { conf: Json; prev: Json } {
  const conf = s.conf({ isDefaultGateway: true, ipMasq: true, ...options }, ipam);
  const prev = s.ok({ command: 'ADD', conf }).json;
  return { conf, prev };
}

describe('bridge CHECK', () => {
  test.each(['0.4.0', '1.0.0', '1.1.0'])('%s: passes right after ADD', (v) => {
    const { conf, prev } = added({ cniVersion: v });
    s.ok({ command: 'CHECK', conf: { ...conf, prevResult: prev } });
  });

  test('passes for dual stack', () => {
    const { conf, prev } = added({}, { ranges: [[{ subnet: '10.99.0.0/24' }], [{ subnet: 'fd99::/64' }]] });
    s.ok({ command: 'CHECK', conf: { ...conf, prevResult: prev } });
  });

  test('fails once an address was removed by hand, passes again when it is back', () => {
    const { conf, prev } = added();
    s.ctr.ip('address', 'del', '10.99.0.2/24', 'dev', 'eth0');
    const e = s.fails({ command: 'CHECK', conf: { ...conf, prevResult: prev } });
    expect(e.msg).toBe('Failed to match addr 10.99.0.2/24 on interface eth0');
    s.ctr.ip('address', 'add', '10.99.0.2/24', 'dev', 'eth0');
    s.ctr.ip('route', 'add', 'default', 'via', '10.99.0.1');
    s.ok({ command: 'CHECK', conf: { ...conf, prevResult: prev } });
  });

  test('fails when a route of the result is gone', () => {
    const { conf, prev } = added();
    s.ctr.ip('route', 'del', 'default');
    expect(s.fails({ command: 'CHECK', conf: { ...conf, prevResult: prev } }).msg).toContain('0.0.0.0/0');
  });

  test('fails when the masquerade rules are gone', () => {
    const { conf, prev } = added();
    s.host.execOk('iptables', ['-t', 'nat', '-F', 'POSTROUTING']);
    expect(s.fails({ command: 'CHECK', conf: { ...conf, prevResult: prev } }).msg).toMatch(
      /^masquerade rules missing: .*POSTROUTING jump for 10\.99\.0\.2/,
    );
  });

  test('fails when the host veth left the bridge, or the container MAC changed', () => {
    const { conf, prev } = added();
    s.host.ip('link', 'set', prev.interfaces[1].name, 'nomaster');
    expect(s.fails({ command: 'CHECK', conf: { ...conf, prevResult: prev } }).msg).toBe(
      'CNI veth created for bridge cnitest0 was not found',
    );
    s.host.ip('link', 'set', prev.interfaces[1].name, 'master', 'cnitest0');
    s.ctr.ip('link', 'set', 'eth0', 'address', '02:11:22:33:44:55');
    expect(s.fails({ command: 'CHECK', conf: { ...conf, prevResult: prev } }).msg).toContain('Interface eth0 Mac');
  });

  test('fails when promiscMode no longer matches the bridge', () => {
    const { conf, prev } = added();
    expect(s.fails({ command: 'CHECK', conf: { ...conf, promiscMode: true, prevResult: prev } }).msg).toContain('Promisc Mode true');
  });

  test('L2-only: works without calling IPAM (the reference fails with "no plugin name provided")', () => {
    const { conf, prev } = added({ isDefaultGateway: false, ipMasq: false }, null);
    s.ok({ command: 'CHECK', conf: { ...conf, prevResult: prev } });
  });

  test('needs prevResult', () => {
    const { conf } = added();
    const err = s.fails({ command: 'CHECK', conf });
    expect(err.msg).toBe('bridge: required prevResult missing');
    expect(err.code).toBe(7);
  });

  test('IPAM CHECK runs first: a lost reservation fails CHECK', () => {
    const { conf, prev } = added({ ipMasq: false });
    s.ok({ command: 'DEL', conf, netns: '' });
    expect(s.fails({ command: 'CHECK', conf: { ...conf, prevResult: prev } }).msg).toContain('Failed to find address');
  });

  test('is refused for configs older than 0.4.0', () => {
    const { conf, prev } = added({ cniVersion: '0.3.1' });
    expect(s.fails({ command: 'CHECK', conf: { ...conf, prevResult: prev } }).code).toBe(1);
  });
});
