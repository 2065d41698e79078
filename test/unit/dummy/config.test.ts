import { CniError } from '../../../lib/cni/errors';
import { parseDummyConf } from '../../../plugins/dummy/config';
import { request } from '../../helpers/fake-request';

describe('dummy config', () => {
  it('takes the IPAM type from the ipam section', () => {
    expect(parseDummyConf(request({ type: 'dummy', ipam: { type: 'host-local' } }), { requireIpam: true }).ipamType).toBe('host-local');
  });

  it.each<[string, Record<string, unknown>]>([
    ['no ipam section', { type: 'dummy' }],
    ['an empty ipam section', { type: 'dummy', ipam: {} }],
    ['an empty ipam type', { type: 'dummy', ipam: { type: '' } }],
  ])('requires IPAM on ADD/CHECK: %s', (_what, conf) => {
    let err: unknown;
    try {
      parseDummyConf(request(conf), { requireIpam: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CniError);
    expect((err as CniError).code).toBe(7);
    expect((err as CniError).message).toMatch(/^dummy: an 'ipam' section with a type is required/);
  });

  it('accepts a config without IPAM on DEL, so cleanup never fails on it', () => {
    expect(parseDummyConf(request({ type: 'dummy' }), { requireIpam: false }).ipamType).toBe('');
  });

  it('ignores options dummy does not have (mtu, mac), as the Go plugin does', () => {
    expect(() =>
      parseDummyConf(request({ type: 'dummy', mtu: 'x', mac: 5, ipam: { type: 'host-local' } }), { requireIpam: true }),
    ).not.toThrow();
  });

  it('rejects an ipam section that is not an object', () => {
    expect(() => parseDummyConf(request({ type: 'dummy', ipam: [] }), { requireIpam: true })).toThrow(
      /option 'ipam' must be a JSON object/,
    );
  });
});
