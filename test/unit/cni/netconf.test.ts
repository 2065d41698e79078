import { CniError } from '../../../lib/cni/errors';
import { parseNetConf } from '../../../lib/cni/netconf';
import type { Request } from '../../../lib/cni/plugin';

function request(conf: Record<string, unknown>, cniVersion = '1.0.0'): Request {
  return {
    command: 'ADD',
    containerId: 'ctr',
    netns: '/run/netns/x',
    ifName: 'eth0',
    args: '',
    path: [],
    stdin: Buffer.from(JSON.stringify(conf)),
    conf,
    cniVersion,
    name: 'net',
    env: {},
  };
}

function errorOf(f: () => unknown): CniError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CniError);
    return e as CniError;
  }
  throw new Error('expected a CniError');
}

describe('parseNetConf', () => {
  it('takes version and name from the request, type from the config', () => {
    const c = parseNetConf(request({ cniVersion: '1.0.0', name: 'net', type: 'bridge' }), 'bridge');
    expect(c.cniVersion).toBe('1.0.0');
    expect(c.name).toBe('net');
    expect(c.type).toBe('bridge');
    expect(c.ipamType).toBe('');
    expect(c.dns).toBeUndefined();
    expect(c.prevResult).toBeUndefined();
  });

  it('type defaults to the plugin name', () => {
    expect(parseNetConf(request({}), 'macvlan').type).toBe('macvlan');
  });

  it('ipamType: ipam.type, case-insensitive keys, "" when absent or empty', () => {
    expect(parseNetConf(request({ ipam: { type: 'host-local' } }), 'bridge').ipamType).toBe('host-local');
    expect(parseNetConf(request({ IPAM: { Type: 'dhcp' } }), 'bridge').ipamType).toBe('dhcp');
    expect(parseNetConf(request({ ipam: {} }), 'bridge').ipamType).toBe('');
    expect(parseNetConf(request({ ipam: null }), 'bridge').ipamType).toBe('');
  });

  it('a non-object ipam or non-string ipam.type is code 7', () => {
    expect(errorOf(() => parseNetConf(request({ ipam: 'host-local' }), 'bridge')).code).toBe(7);
    expect(errorOf(() => parseNetConf(request({ ipam: { type: 5 } }), 'bridge')).message).toContain("option 'type'");
  });

  it('dns: kept when set, undefined when empty, code 7 when malformed', () => {
    expect(parseNetConf(request({ dns: { nameservers: ['10.0.0.1'] } }), 'bridge').dns).toEqual({ nameservers: ['10.0.0.1'] });
    expect(parseNetConf(request({ dns: {} }), 'bridge').dns).toBeUndefined();
    const e = errorOf(() => parseNetConf(request({ dns: { nameservers: '10.0.0.1' } }), 'bridge'));
    expect(e.code).toBe(7);
    expect(e.message).toMatch(/^bridge: option 'dns' is invalid: /);
  });

  it('prevResult: parsed with the config version when it has none', () => {
    const prev = { interfaces: [{ name: 'eth0', sandbox: '/run/netns/x' }], ips: [{ address: '10.1.0.5/16', interface: 0 }] };
    const c = parseNetConf(request({ prevResult: prev }, '1.0.0'), 'bridge');
    expect(c.prevResult).toEqual({ cniVersion: '1.0.0', ...prev });
  });

  it('prevResult: a 0.4.0 prevResult under a 0.4.0 config', () => {
    const prev = { cniVersion: '0.4.0', ips: [{ version: '4', address: '10.1.0.5/16' }] };
    expect(parseNetConf(request({ prevResult: prev }, '0.4.0'), 'bridge').prevResult).toEqual({
      cniVersion: '0.4.0',
      ips: [{ address: '10.1.0.5/16' }],
    });
  });

  it('prevResult: malformed is code 6 naming the plugin', () => {
    const e = errorOf(() => parseNetConf(request({ prevResult: { ips: [{ address: 'nope' }] } }), 'bridge'));
    expect(e.code).toBe(6);
    expect(e.message).toMatch(/^bridge: could not parse prevResult: /);
  });

  it('runtimeConfig and args.cni are readers, empty when absent', () => {
    const c = parseNetConf(request({ runtimeConfig: { mac: 'c2:11:22:33:44:55' }, args: { cni: { ips: ['10.1.0.9'] } } }), 'bridge');
    expect(c.runtimeConfig.optString('mac')).toBe('c2:11:22:33:44:55');
    expect(c.argsCni.optStrings('ips')).toEqual(['10.1.0.9']);
    const empty = parseNetConf(request({}), 'bridge');
    expect(empty.runtimeConfig.has('mac')).toBe(false);
    expect(empty.argsCni.has('ips')).toBe(false);
  });

  it('args without a cni object gives an empty args.cni', () => {
    expect(parseNetConf(request({ args: { cni: 'x' } }), 'bridge').argsCni.has('ips')).toBe(false);
    expect(parseNetConf(request({ args: [] }), 'bridge').argsCni.has('ips')).toBe(false);
  });

  it('error messages locate runtimeConfig and args.cni', () => {
    const c = parseNetConf(request({ runtimeConfig: { mac: 1 }, args: { cni: { ips: 'x' } } }), 'bridge');
    expect(errorOf(() => c.runtimeConfig.optString('mac')).message).toMatch(/^bridge: runtimeConfig: option 'mac'/);
    expect(errorOf(() => c.argsCni.optStrings('ips')).message).toMatch(/^bridge: args.cni: option 'ips'/);
  });

  it('a non-object runtimeConfig is code 7', () => {
    expect(errorOf(() => parseNetConf(request({ runtimeConfig: [] }), 'bridge')).code).toBe(7);
  });

  it('top reads the whole config', () => {
    expect(parseNetConf(request({ isGateway: true }), 'bridge').top.bool('isGateway', false)).toBe(true);
  });
});
