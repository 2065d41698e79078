import type { Result } from '../../../lib/cni/result';
import { planIface } from '../../../lib/kit/plan';

const iface = { name: 'eth0', sandbox: '/run/netns/x' };

function plan(r: Omit<Result, 'cniVersion'>) {
  const p = planIface('eth0', { cniVersion: '1.1.0', ...r });
  return {
    addresses: p.addresses.map((a) => a.toAddressString()),
    routes: p.routes.map((rt) => ({ ...rt, dst: rt.dst.toString(), gw: rt.gw?.toString() })),
    enableIpv6: p.enableIpv6,
    waitForDad: p.waitForDad,
  };
}

describe('planIface (the reference ConfigureIface, decided before touching the kernel)', () => {
  it('needs at least one interface', () => {
    expect(() => planIface('eth0', { cniVersion: '1.1.0', ips: [{ address: '10.0.0.2/24', interface: 0 }] })).toThrow(
      'no interfaces to configure',
    );
  });

  it('takes the addresses pointing at the interface and skips those without an index', () => {
    const p = plan({
      interfaces: [iface],
      ips: [{ address: '10.0.0.2/24', interface: 0 }, { address: '10.9.9.9/24' }],
    });
    expect(p.addresses).toEqual(['10.0.0.2/24']);
    expect(p.enableIpv6).toBe(false);
  });

  it.each([1, -1])('rejects an index that does not name the interface (%d)', (idx) => {
    expect(() => plan({ interfaces: [iface], ips: [{ address: '10.0.0.2/24', interface: idx }] })).toThrow(/invalid interface index/);
  });

  it('rejects an index naming another interface', () => {
    expect(() => plan({ interfaces: [{ name: 'cni0' }, iface], ips: [{ address: '10.0.0.2/24', interface: 0 }] })).toThrow(
      /invalid interface index/,
    );
  });

  it('routes without gw go through the first gateway of their family', () => {
    const p = plan({
      interfaces: [iface],
      ips: [
        { address: '10.0.0.2/24', gateway: '10.0.0.1', interface: 0 },
        { address: '10.1.0.2/24', gateway: '10.1.0.1', interface: 0 },
        { address: 'fd00::2/64', gateway: 'fd00::1', interface: 0 },
      ],
      routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }, { dst: '192.168.0.0/16', gw: '10.1.0.254' }],
    });
    expect(p.routes).toEqual([
      { dst: '0.0.0.0/0', gw: '10.0.0.1' },
      { dst: '::/0', gw: 'fd00::1' },
      { dst: '192.168.0.0/16', gw: '10.1.0.254' },
    ]);
    expect(p.enableIpv6).toBe(true);
    expect(p.waitForDad).toBe(true);
  });

  it('a route without gw of a family with no gateway is a device route', () => {
    const p = plan({ interfaces: [iface], ips: [{ address: 'fd00::2/64', interface: 0 }], routes: [{ dst: '10.5.0.0/16' }] });
    expect(p.routes).toEqual([{ dst: '10.5.0.0/16', gw: undefined }]);
    expect(p.enableIpv6).toBe(true);
    expect(p.waitForDad).toBe(false);
  });

  it('keeps priority, table, scope and mtu, and masks the destination', () => {
    const p = plan({ interfaces: [iface], ips: [], routes: [{ dst: '10.5.1.7/16', priority: 100, table: 7, scope: 253, mtu: 1400 }] });
    expect(p.routes).toEqual([{ dst: '10.5.0.0/16', gw: undefined, priority: 100, table: 7, scope: 253, mtu: 1400 }]);
  });
});

describe('planIface: tables', () => {
  it('drops table 0 (unspecified = main)', () => {
    const p = planIface('eth0', { cniVersion: '1.1.0', interfaces: [iface], routes: [{ dst: '10.5.0.0/16', table: 0 }] });
    expect(p.routes[0].table).toBeUndefined();
  });
});
