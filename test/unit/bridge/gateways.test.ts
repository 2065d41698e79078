import type { Result } from '../../../lib/cni/result';
import { applyGateways, masqAddresses } from '../../../plugins/bridge/gateways';

const ipam = (): Result => ({
  cniVersion: '1.1.0',
  ips: [{ address: '10.1.0.5/24' }, { address: 'fd00:1::5/64', gateway: 'fd00:1::fe' }],
});

describe('gateways and default routes', () => {
  test('without isGateway: only the interface index is set', () => {
    const r = ipam();
    expect(applyGateways(r, { isGateway: false, isDefaultGateway: false })).toEqual([]);
    expect(r.ips).toEqual([
      { address: '10.1.0.5/24', interface: 2 },
      { address: 'fd00:1::5/64', gateway: 'fd00:1::fe', interface: 2 },
    ]);
    expect(r.routes).toBeUndefined();
  });

  test('isGateway fills a missing gateway with the first address and returns bridge addresses', () => {
    const r = ipam();
    expect(applyGateways(r, { isGateway: true, isDefaultGateway: false })).toEqual([
      { family: 4, cidr: '10.1.0.1/24' },
      { family: 6, cidr: 'fd00:1::fe/64' },
    ]);
    expect(r.ips?.[0].gateway).toBe('10.1.0.1');
  });

  test('isDefaultGateway adds one default route per family', () => {
    const r: Result = { cniVersion: '1.1.0', ips: [{ address: '10.1.0.5/24' }, { address: '10.2.0.5/16' }, { address: 'fd00:1::5/64' }] };
    applyGateways(r, { isGateway: true, isDefaultGateway: true });
    expect(r.routes).toEqual([
      { dst: '0.0.0.0/0', gw: '10.1.0.1' },
      { dst: '::/0', gw: 'fd00:1::1' },
    ]);
  });

  test('an IPAM default route with a gateway is kept instead', () => {
    const r: Result = { cniVersion: '1.1.0', ips: [{ address: '10.1.0.5/24' }], routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.254' }] };
    applyGateways(r, { isGateway: true, isDefaultGateway: true });
    expect(r.routes).toEqual([{ dst: '0.0.0.0/0', gw: '10.1.0.254' }]);
  });

  test('an IPAM default route without a gateway does not count', () => {
    const r: Result = { cniVersion: '1.1.0', ips: [{ address: '10.1.0.5/24' }], routes: [{ dst: '0.0.0.0/0' }] };
    applyGateways(r, { isGateway: true, isDefaultGateway: true });
    expect(r.routes).toEqual([{ dst: '0.0.0.0/0' }, { dst: '0.0.0.0/0', gw: '10.1.0.1' }]);
  });
});

test('masquerade addresses are canonical text with the network', () => {
  expect(masqAddresses({ cniVersion: '1.1.0', ips: [{ address: '10.1.0.5/24' }, { address: 'FD00:1:0::5/64' }] })).toEqual([
    { family: 4, ip: '10.1.0.5', prefix: 24, network: '10.1.0.0' },
    { family: 6, ip: 'fd00:1::5', prefix: 64, network: 'fd00:1::' },
  ]);
});
