import { CniError, ErrCode } from '../../../lib/cni/errors';
import { parseConfig } from '../../../plugins/host-local/config';
import { rangeSetText } from '../../../plugins/host-local/allocator/range-set';
import { request } from '../../helpers/fake-request';

const v4 = { type: 'host-local', ranges: [[{ subnet: '10.1.0.0/24' }]] };

function parse(conf: Record<string, unknown>, args = '') {
  return parseConfig(request(conf, args));
}

function failure(conf: Record<string, unknown>, args = ''): CniError {
  try {
    parse(conf, args);
  } catch (e) {
    if (e instanceof CniError) return e;
    throw e;
  }
  throw new Error('parseConfig accepted the config');
}

describe('host-local config: ranges and defaults', () => {
  it('fills the reference defaults of a range', () => {
    const conf = parse({ ipam: v4 });
    expect(conf.rangeSets).toHaveLength(1);
    const [r] = conf.rangeSets[0].ranges;
    expect([r.subnet.toString(), r.start.toString(), r.end.toString(), r.gateway.toString()]).toEqual([
      '10.1.0.0/24',
      '10.1.0.1',
      '10.1.0.254',
      '10.1.0.1',
    ]);
    expect(conf.dataDir).toBe('/var/lib/cni/networks');
    expect(conf.name).toBe('net1');
    expect(conf.requestedIps).toEqual([]);
    expect(conf.routes).toEqual([]);
    expect(conf.resolvConf).toBeUndefined();
  });

  it('ends an IPv6 range at the very last address (no broadcast)', () => {
    const [r] = parse({ ipam: { ranges: [[{ subnet: '2001:db8::/64' }]] } }).rangeSets[0].ranges;
    expect([r.start.toString(), r.end.toString(), r.gateway.toString()]).toEqual([
      '2001:db8::1',
      '2001:db8::ffff:ffff:ffff:ffff',
      '2001:db8::1',
    ]);
  });

  it('keeps explicit rangeStart, rangeEnd and gateway (the gateway need not be in the subnet)', () => {
    const [r] = parse({
      ipam: { ranges: [[{ subnet: '10.1.0.0/24', rangeStart: '10.1.0.100', rangeEnd: '10.1.0.110', gateway: '192.168.0.1' }]] },
    }).rangeSets[0].ranges;
    expect(rangeSetText({ index: 0, source: '', family: 4, ranges: [r] })).toBe('10.1.0.100-10.1.0.110');
    expect(r.gateway.toString()).toBe('192.168.0.1');
  });

  it('treats empty strings as absent, as Go does for net.IP fields', () => {
    const [r] = parse({
      ipam: { dataDir: '', resolvConf: '', ranges: [[{ subnet: '10.1.0.0/24', rangeStart: '', rangeEnd: '', gateway: '' }]] },
    }).rangeSets[0].ranges;
    expect(r.start.toString()).toBe('10.1.0.1');
    expect(r.end.toString()).toBe('10.1.0.254');
  });

  it('accepts the smallest allocatable networks, /30 and /126', () => {
    expect(parse({ ipam: { ranges: [[{ subnet: '10.1.0.0/30' }], [{ subnet: 'fd00::/126' }]] } }).rangeSets).toHaveLength(2);
  });

  it('orders range sets: runtimeConfig.ipRanges, then the legacy subnet, then ipam.ranges', () => {
    const conf = parse({
      runtimeConfig: { ipRanges: [[{ subnet: '10.9.0.0/24' }]] },
      ipam: {
        subnet: '10.8.0.0/24',
        rangeStart: '10.8.0.10',
        gateway: '10.8.0.254',
        ranges: [[{ subnet: '10.7.0.0/24' }], [{ subnet: 'fd00::/64' }]],
      },
    });
    expect(conf.rangeSets.map((s) => [s.index, s.source, rangeSetText(s)])).toEqual([
      [0, 'runtimeConfig.ipRanges[0]', '10.9.0.1-10.9.0.254'],
      [1, 'ipam.subnet', '10.8.0.10-10.8.0.254'],
      [2, 'ipam.ranges[0]', '10.7.0.1-10.7.0.254'],
      [3, 'ipam.ranges[1]', 'fd00::1-fd00::ffff:ffff:ffff:ffff'],
    ]);
    expect(conf.rangeSets[1].ranges[0].gateway.toString()).toBe('10.8.0.254');
  });

  it('ignores legacy rangeStart/rangeEnd without a legacy subnet, like the reference', () => {
    expect(parse({ ipam: { ...v4, rangeStart: '10.5.0.1' } }).rangeSets).toHaveLength(1);
  });

  it('matches keys case-insensitively, as Go decodes JSON', () => {
    const conf = parse({
      IPAM: { DataDir: '/tmp/x', Ranges: [[{ Subnet: '10.1.0.0/24', RangeStart: '10.1.0.5', GATEWAY: '10.1.0.9' }]] },
      RuntimeConfig: { IPRanges: [[{ subnet: '10.2.0.0/24' }]], IPs: ['10.2.0.7'] },
      Args: { CNI: { IPS: ['10.1.0.8'] } },
    });
    expect(conf.dataDir).toBe('/tmp/x');
    expect(conf.rangeSets.map(rangeSetText)).toEqual(['10.2.0.1-10.2.0.254', '10.1.0.5-10.1.0.254']);
    expect(conf.requestedIps.map(String)).toEqual(['10.1.0.8', '10.2.0.7']);
  });

  it('allows several sets per family from cniVersion 0.3.0', () => {
    expect(
      parse({ cniVersion: '0.3.0', ipam: { ranges: [[{ subnet: '10.1.0.0/24' }], [{ subnet: '10.2.0.0/24' }]] } }).rangeSets,
    ).toHaveLength(2);
    expect(
      parse({ cniVersion: '0.2.0', ipam: { ranges: [[{ subnet: '10.1.0.0/24' }], [{ subnet: 'fd00::/64' }]] } }).rangeSets,
    ).toHaveLength(2);
  });

  it('reads dataDir, resolvConf and routes, normalising addresses like Go', () => {
    const conf = parse({
      ipam: {
        ...v4,
        dataDir: '/run/cni',
        resolvConf: '/etc/resolv.conf',
        routes: [
          { dst: '0.0.0.0/0' },
          { dst: '::0/0', gw: 'FD00::1' },
          { dst: '10.5.0.0/16', gw: '10.1.0.1', mtu: 1400, table: 0, scope: 253 },
        ],
      },
    });
    expect(conf.dataDir).toBe('/run/cni');
    expect(conf.resolvConf).toBe('/etc/resolv.conf');
    expect(conf.routes).toEqual([
      { dst: '0.0.0.0/0' },
      { dst: '::/0', gw: 'fd00::1' },
      { dst: '10.5.0.0/16', gw: '10.1.0.1', mtu: 1400, table: 0, scope: 253 },
    ]);
  });
});

describe('host-local config: requested addresses', () => {
  it('unions CNI_ARGS IP, args.cni.ips and runtimeConfig.ips in that order, without duplicates', () => {
    const conf = parse(
      {
        ipam: { ranges: [[{ subnet: '10.1.0.0/24' }], [{ subnet: 'fd00::/64' }]] },
        args: { cni: { ips: ['10.1.0.6', 'fd00::6/64'] } },
        runtimeConfig: { ips: ['10.1.0.7', '10.1.0.5'] },
      },
      'IgnoreUnknown=1;K8S_POD_NAME=web;IP=10.1.0.5/24',
    );
    expect(conf.requestedIps.map(String)).toEqual(['10.1.0.5', '10.1.0.6', 'fd00::6', '10.1.0.7']);
  });

  it('accepts a comma-separated list in CNI_ARGS IP (a superset of the reference) and IPv4-mapped text', () => {
    expect(parse({ ipam: v4 }, 'IP=10.1.0.5,::ffff:10.1.0.6').requestedIps.map(String)).toEqual(['10.1.0.5', '10.1.0.6']);
  });

  it('treats an empty IP= as no request', () => {
    expect(parse({ ipam: v4 }, 'IP=').requestedIps).toEqual([]);
  });

  it.each([
    ['K8S_POD_NAME=web', /unknown args/],
    ['IP=10.1.0.300', /CNI_ARGS: IP "10.1.0.300" is not an IP address/],
    ['IP=10.1.0.5;', /invalid pair/],
    ['ip=10.1.0.5', /unknown args/],
  ])('rejects CNI_ARGS %s with code 4', (args, msg) => {
    const e = failure({ ipam: v4 }, args);
    expect(e.code).toBe(ErrCode.InvalidEnvironmentVariables);
    expect(e.message).toMatch(msg);
  });

  it('rejects bad entries of args.cni.ips and runtimeConfig.ips with code 7, naming them', () => {
    expect(failure({ ipam: v4, args: { cni: { ips: ['nope'] } } }).message).toBe(
      'host-local: args.cni.ips[0] "nope" is not an IP address (expected "<ip>" or "<ip>/<prefix>")',
    );
    expect(failure({ ipam: v4, runtimeConfig: { ips: ['10.1.0.1', ''] } }).message).toMatch(/runtimeConfig.ips\[1\] ""/);
    expect(failure({ ipam: v4, runtimeConfig: { ips: [5] } }).code).toBe(ErrCode.InvalidNetworkConfig);
  });
});

describe('host-local config: validation', () => {
  const r0 = 'host-local: ipam.ranges[0][0]';
  it.each<[string, Record<string, unknown>, string | RegExp]>([
    ['no ipam section', { type: 'bridge' }, "host-local: the config has no 'ipam' section (IPAM config missing 'ipam' key)"],
    ['no ranges', { ipam: { type: 'host-local' } }, /host-local: no IP ranges specified/],
    ['an empty range set', { ipam: { ranges: [[]] } }, 'host-local: ipam.ranges[0] is an empty range set; give it at least one range'],
    ['a range set that is no list', { ipam: { ranges: [{ subnet: '10.1.0.0/24' }] } }, /ipam.ranges\[0\] must be a list of ranges/],
    ['a range that is no object', { ipam: { ranges: [['10.1.0.0/24']] } }, `${r0} must be a JSON object, got "10.1.0.0/24"`],
    ['a missing subnet', { ipam: { ranges: [[{ rangeStart: '10.1.0.1' }]] } }, `${r0}.subnet is required (a CIDR such as "10.1.0.0/24")`],
    ['a subnet that is no CIDR', { ipam: { ranges: [[{ subnet: '10.1.0.0' }]] } }, /subnet "10.1.0.0" is not a CIDR/],
    ['a subnet of the wrong type', { ipam: { ranges: [[{ subnet: 24 }]] } }, `${r0}: option 'subnet' must be a string, got 24`],
    ['host bits', { ipam: { ranges: [[{ subnet: '10.1.0.1/24' }]] } }, `${r0}.subnet "10.1.0.1/24" has host bits set; use 10.1.0.0/24`],
    ['IPv6 host bits', { ipam: { ranges: [[{ subnet: 'fd00::1/64' }]] } }, `${r0}.subnet "fd00::1/64" has host bits set; use fd00::/64`],
    [
      'a /31',
      { ipam: { ranges: [[{ subnet: '10.1.0.0/31' }]] } },
      /too small to allocate from: an IPv4 subnet needs a prefix of \/30 or shorter/,
    ],
    [
      'a /127',
      { ipam: { ranges: [[{ subnet: 'fd00::/127' }]] } },
      /too small to allocate from: an IPv6 subnet needs a prefix of \/126 or shorter/,
    ],
    [
      'rangeStart outside',
      { ipam: { ranges: [[{ subnet: '10.1.0.0/24', rangeStart: '10.2.0.1' }]] } },
      `${r0}.rangeStart "10.2.0.1" is not in subnet 10.1.0.0/24`,
    ],
    [
      'rangeEnd outside',
      { ipam: { ranges: [[{ subnet: '10.1.0.0/24', rangeEnd: '10.1.1.0' }]] } },
      `${r0}.rangeEnd "10.1.1.0" is not in subnet 10.1.0.0/24`,
    ],
    [
      'rangeStart of the other family',
      { ipam: { ranges: [[{ subnet: '10.1.0.0/24', rangeStart: 'fd00::1' }]] } },
      /rangeStart "fd00::1" is not in subnet/,
    ],
    [
      'rangeStart after rangeEnd',
      { ipam: { ranges: [[{ subnet: '10.1.0.0/24', rangeStart: '10.1.0.9', rangeEnd: '10.1.0.8' }]] } },
      `${r0}.rangeStart "10.1.0.9" is after rangeEnd "10.1.0.8"`,
    ],
    [
      'a bad gateway',
      { ipam: { ranges: [[{ subnet: '10.1.0.0/24', gateway: '10.1.0' }]] } },
      `${r0}.gateway "10.1.0" is not an IP address`,
    ],
    [
      'a bad legacy subnet',
      { ipam: { subnet: '10.1.0.1/24' } },
      'host-local: ipam.subnet "10.1.0.1/24" has host bits set; use 10.1.0.0/24',
    ],
    [
      'mixed families in a set',
      { ipam: { ranges: [[{ subnet: '10.1.0.0/24' }, { subnet: 'fd00::/64' }]] } },
      /ipam.ranges\[0\] mixes address families/,
    ],
    [
      'overlapping ranges in a set',
      { ipam: { ranges: [[{ subnet: '10.1.0.0/24' }, { subnet: '10.1.0.0/24', rangeStart: '10.1.0.200' }]] } },
      'host-local: ipam.ranges[0][0] (10.1.0.1-10.1.0.254) and ipam.ranges[0][1] (10.1.0.200-10.1.0.254) overlap',
    ],
    [
      'overlapping sets',
      { ipam: { ranges: [[{ subnet: '10.1.0.0/16' }], [{ subnet: '10.1.2.0/24' }]] } },
      'host-local: range set 0 (ipam.ranges[0]) overlaps range set 1 (ipam.ranges[1]); each address may belong to one set only',
    ],
    [
      'a runtime range overlapping a configured one',
      { runtimeConfig: { ipRanges: [[{ subnet: '10.1.0.0/24' }]] }, ipam: v4 },
      /range set 0 \(runtimeConfig.ipRanges\[0\]\) overlaps range set 1 \(ipam.ranges\[0\]\)/,
    ],
    [
      'two IPv4 sets at cniVersion 0.2.0',
      { cniVersion: '0.2.0', ipam: { ranges: [[{ subnet: '10.1.0.0/24' }], [{ subnet: '10.2.0.0/24' }]] } },
      'host-local: cniVersion 0.2.0 results hold one address per family, but 2 IPv4 range sets are configured; use cniVersion 0.3.0 or later',
    ],
    ['a dataDir of the wrong type', { ipam: { ...v4, dataDir: 1 } }, "host-local: ipam: option 'dataDir' must be a string, got 1"],
    [
      'a route without dst',
      { ipam: { ...v4, routes: [{ gw: '10.1.0.1' }] } },
      `host-local: ipam.routes[0]: option 'dst' is required (a CIDR such as "0.0.0.0/0")`,
    ],
    ['a route with a bad dst', { ipam: { ...v4, routes: [{ dst: '0.0.0.0' }] } }, /ipam.routes\[0\]: option 'dst' must be a CIDR/],
    [
      'a route with a bad gw',
      { ipam: { ...v4, routes: [{ dst: '0.0.0.0/0', gw: 'x' }] } },
      /ipam.routes\[0\]: option 'gw' must be an IP address, got "x"/,
    ],
  ])('rejects %s with code 7', (_what, conf, msg) => {
    const e = failure(conf);
    expect(e.code).toBe(ErrCode.InvalidNetworkConfig);
    if (typeof msg === 'string') expect(e.message).toBe(msg);
    else expect(e.message).toMatch(msg);
  });

  it('allows ranges of one subnet that do not share addresses', () => {
    const conf = parse({
      ipam: {
        ranges: [
          [
            { subnet: '10.1.0.0/24', rangeEnd: '10.1.0.99' },
            { subnet: '10.1.0.0/24', rangeStart: '10.1.0.100' },
          ],
        ],
      },
    });
    expect(rangeSetText(conf.rangeSets[0])).toBe('10.1.0.1-10.1.0.99,10.1.0.100-10.1.0.254');
  });
});
