import { CniError } from '../../../lib/cni/errors';
import { familyOfAddress, formatResult, parseResult, resultText, type Result } from '../../../lib/cni/result';
import { ALL_VERSIONS, familyOf } from '../../../lib/cni/version';

// Result conversion, checked against what the Go library (pkg/types/{020,040,100,internal})
// prints: a result is written in version A, read with parseResult and printed in version B,
// for every (A, B) among the seven versions.
//
// Key order: the 0.1/0.2 and 0.3/0.4 families are Go structs, so Go prints their keys in field
// order, and the text is compared byte for byte. Go prints 1.x results through a
// map[string]interface{} round trip (to drop an empty dns), which sorts every key alphabetically;
// cni-ts keeps field order there, so 1.x output is compared as parsed JSON.

type Json = Record<string, unknown>;

const MAC_HOST = '0a:58:0a:01:00:01';
const MAC_CTR = '0a:58:0a:01:00:05';
const NETNS = '/var/run/netns/pod';

/** Source results, one per family, each in its own wire format. */
const SOURCE: Record<'0.2' | '0.4' | '1.x', (v: string) => Json> = {
  '0.2': (v) => ({
    cniVersion: v,
    ip4: {
      ip: '10.1.0.5/16',
      gateway: '10.1.0.1',
      routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }, { dst: '192.168.0.0/24' }],
    },
    ip6: { ip: '2001:db8::5/64', gateway: '2001:db8::1', routes: [{ dst: '::/0', gw: '2001:db8::1' }] },
    dns: { nameservers: ['10.1.0.1'], domain: 'example.org', search: ['example.org'], options: ['ndots:2'] },
  }),
  '0.4': (v) => ({
    cniVersion: v,
    interfaces: [
      { name: 'cni0', mac: MAC_HOST },
      { name: 'eth0', mac: MAC_CTR, sandbox: NETNS },
    ],
    ips: [
      { version: '4', interface: 1, address: '10.1.0.5/16', gateway: '10.1.0.1' },
      { version: '4', interface: 1, address: '10.2.0.5/16' },
      { version: '6', interface: 1, address: '2001:db8::5/64', gateway: '2001:db8::1' },
    ],
    // Go's Route type is shared by every version >= 0.3, so a 0.4 route may carry mtu.
    routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }, { dst: '2001:db8:1::/48', gw: '2001:db8::1', mtu: 1400 }, { dst: '192.168.0.0/24' }],
    dns: { nameservers: ['10.1.0.1'] },
  }),
  '1.x': (v) => ({
    cniVersion: v,
    interfaces: [
      { name: 'cni0', mac: MAC_HOST, mtu: 9000 },
      { name: 'eth0', mac: MAC_CTR, mtu: 1450, sandbox: NETNS, socketPath: '/run/vhost-user.sock', pciID: '0000:00:1f.6' },
    ],
    ips: [
      { interface: 1, address: '10.1.0.5/16', gateway: '10.1.0.1' },
      { interface: 1, address: '2001:db8::5/64' },
    ],
    routes: [
      { dst: '0.0.0.0/0', gw: '10.1.0.1', mtu: 1400, advmss: 1360, priority: 100, table: 0, scope: 0 },
      { dst: '2001:db8:1::/48', table: 254 },
    ],
    dns: {
      nameservers: ['10.1.0.1', '2001:db8::1'],
      domain: 'example.org',
      search: ['a.example.org', 'example.org'],
      options: ['ndots:2', 'edns0'],
    },
  }),
};

/** What Go prints for SOURCE[from] asked for version `to` (field order = Go struct order). */
const EXPECTED: Record<'0.2' | '0.4' | '1.x', Record<'0.2' | '0.4' | '1.x', (to: string) => Json>> = {
  '0.2': {
    // 0.1 <-> 0.2: a field copy
    '0.2': (to) => SOURCE['0.2'](to),
    // ip4/ip6 become ips[] with version, their routes are concatenated (ip4's first); no interfaces
    '0.4': (to) => ({
      cniVersion: to,
      ips: [
        { version: '4', address: '10.1.0.5/16', gateway: '10.1.0.1' },
        { version: '6', address: '2001:db8::5/64', gateway: '2001:db8::1' },
      ],
      routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }, { dst: '192.168.0.0/24' }, { dst: '::/0', gw: '2001:db8::1' }],
      dns: { nameservers: ['10.1.0.1'], domain: 'example.org', search: ['example.org'], options: ['ndots:2'] },
    }),
    '1.x': (to) => ({
      cniVersion: to,
      ips: [
        { address: '10.1.0.5/16', gateway: '10.1.0.1' },
        { address: '2001:db8::5/64', gateway: '2001:db8::1' },
      ],
      routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }, { dst: '192.168.0.0/24' }, { dst: '::/0', gw: '2001:db8::1' }],
      dns: { nameservers: ['10.1.0.1'], domain: 'example.org', search: ['example.org'], options: ['ndots:2'] },
    }),
  },
  '0.4': {
    // first address of each family only; routes by dst family, dst/gw only; interfaces dropped
    '0.2': (to) => ({
      cniVersion: to,
      ip4: { ip: '10.1.0.5/16', gateway: '10.1.0.1', routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }, { dst: '192.168.0.0/24' }] },
      ip6: { ip: '2001:db8::5/64', gateway: '2001:db8::1', routes: [{ dst: '2001:db8:1::/48', gw: '2001:db8::1' }] },
      dns: { nameservers: ['10.1.0.1'] },
    }),
    '0.4': (to) => SOURCE['0.4'](to),
    // version dropped, everything else kept
    '1.x': (to) => ({
      cniVersion: to,
      interfaces: [
        { name: 'cni0', mac: MAC_HOST },
        { name: 'eth0', mac: MAC_CTR, sandbox: NETNS },
      ],
      ips: [
        { interface: 1, address: '10.1.0.5/16', gateway: '10.1.0.1' },
        { interface: 1, address: '10.2.0.5/16' },
        { interface: 1, address: '2001:db8::5/64', gateway: '2001:db8::1' },
      ],
      routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }, { dst: '2001:db8:1::/48', gw: '2001:db8::1', mtu: 1400 }, { dst: '192.168.0.0/24' }],
      dns: { nameservers: ['10.1.0.1'] },
    }),
  },
  '1.x': {
    '0.2': (to) => ({
      cniVersion: to,
      ip4: { ip: '10.1.0.5/16', gateway: '10.1.0.1', routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }] },
      ip6: { ip: '2001:db8::5/64', routes: [{ dst: '2001:db8:1::/48' }] },
      dns: {
        nameservers: ['10.1.0.1', '2001:db8::1'],
        domain: 'example.org',
        search: ['a.example.org', 'example.org'],
        options: ['ndots:2', 'edns0'],
      },
    }),
    // version added from the address family; interface mtu/socketPath/pciID dropped; the 1.1
    // route fields stay (shared Route type), table/scope 0 included (they are *int in Go)
    '0.4': (to) => ({
      cniVersion: to,
      interfaces: [
        { name: 'cni0', mac: MAC_HOST },
        { name: 'eth0', mac: MAC_CTR, sandbox: NETNS },
      ],
      ips: [
        { version: '4', interface: 1, address: '10.1.0.5/16', gateway: '10.1.0.1' },
        { version: '6', interface: 1, address: '2001:db8::5/64' },
      ],
      routes: [
        { dst: '0.0.0.0/0', gw: '10.1.0.1', mtu: 1400, advmss: 1360, priority: 100, table: 0, scope: 0 },
        { dst: '2001:db8:1::/48', table: 254 },
      ],
      dns: {
        nameservers: ['10.1.0.1', '2001:db8::1'],
        domain: 'example.org',
        search: ['a.example.org', 'example.org'],
        options: ['ndots:2', 'edns0'],
      },
    }),
    '1.x': (to) => SOURCE['1.x'](to),
  },
};

const PAIRS = ALL_VERSIONS.flatMap((from) => ALL_VERSIONS.map((to) => [from, to] as const));

describe('conversion between every pair of versions', () => {
  it('covers 49 pairs', () => {
    expect(PAIRS).toHaveLength(49);
  });

  it.each(PAIRS)('%s -> %s', (from, to) => {
    const written = SOURCE[familyOf(from)](from);
    const parsed = parseResult(JSON.parse(JSON.stringify(written)));
    expect(parsed.cniVersion).toBe(from);
    const expected = EXPECTED[familyOf(from)][familyOf(to)](to);
    const text = resultText(parsed, to);
    if (familyOf(to) === '1.x') {
      expect(JSON.parse(text)).toEqual(expected);
    } else {
      expect(text).toBe(JSON.stringify(expected, null, 4));
    }
    // the object form is the same as the text form
    expect(formatResult(parsed, to)).toEqual(JSON.parse(text));
  });

  it.each(ALL_VERSIONS)('%s round-trips unchanged through its own version', (v) => {
    const written = SOURCE[familyOf(v)](v);
    const once = resultText(parseResult(written), v);
    expect(JSON.parse(once)).toEqual(written);
    expect(resultText(parseResult(JSON.parse(once)), v)).toBe(once);
  });
});

describe('round trips through another version', () => {
  it('1.1 -> 1.0 -> 1.1 is lossless (relabel only)', () => {
    const src = SOURCE['1.x']('1.1.0');
    const down = formatResult(parseResult(src), '1.0.0');
    expect(formatResult(parseResult(down), '1.1.0')).toEqual(src);
  });

  it('1.x -> 0.4 -> 1.x loses only the interface mtu/socketPath/pciID', () => {
    const src = SOURCE['1.x']('1.0.0');
    const back = formatResult(parseResult(formatResult(parseResult(src), '0.4.0')), '1.0.0');
    expect(back).toEqual({
      ...src,
      interfaces: [
        { name: 'cni0', mac: MAC_HOST },
        { name: 'eth0', mac: MAC_CTR, sandbox: NETNS },
      ],
    });
  });

  it('0.4 -> 0.2 -> 0.4 keeps the first address of each family and the dst/gw of their routes', () => {
    const back = formatResult(parseResult(formatResult(parseResult(SOURCE['0.4']('0.4.0')), '0.2.0')), '0.4.0');
    expect(back).toEqual({
      cniVersion: '0.4.0',
      ips: [
        { version: '4', address: '10.1.0.5/16', gateway: '10.1.0.1' },
        { version: '6', address: '2001:db8::5/64', gateway: '2001:db8::1' },
      ],
      routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }, { dst: '192.168.0.0/24' }, { dst: '2001:db8:1::/48', gw: '2001:db8::1' }],
      dns: { nameservers: ['10.1.0.1'] },
    });
  });

  it('0.2 -> 1.1 -> 0.2 is lossless', () => {
    const src = SOURCE['0.2']('0.2.0');
    expect(formatResult(parseResult(formatResult(parseResult(src), '1.1.0')), '0.2.0')).toEqual(src);
  });
});

describe('down-conversion to 0.1.0 / 0.2.0', () => {
  const l2Only: Result = {
    cniVersion: '1.0.0',
    interfaces: [
      { name: 'cni0', mac: MAC_HOST },
      { name: 'veth1', mac: MAC_CTR },
    ],
  };

  it.each(['0.1.0', '0.2.0'])('fails for a result without IP addresses (L2-only) in %s', (v) => {
    expect(() => formatResult(l2Only, v)).toThrow(CniError);
    expect(() => formatResult(l2Only, v)).toThrow(/no valid IP addresses/);
    expect(() => formatResult({ cniVersion: '1.0.0' }, v)).toThrow(/no valid IP addresses/);
  });

  it.each(['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'])('the same result is fine in %s', (v) => {
    expect(formatResult(l2Only, v).interfaces).toHaveLength(2);
  });

  it('puts a route under ip4/ip6 only when that family has an address', () => {
    const v4only: Result = {
      cniVersion: '1.0.0',
      ips: [{ address: '10.1.0.5/16' }],
      routes: [
        { dst: '0.0.0.0/0', gw: '10.1.0.1' },
        { dst: '::/0', gw: '2001:db8::1' },
      ],
    };
    expect(resultText(v4only, '0.2.0')).toBe(
      JSON.stringify({ cniVersion: '0.2.0', ip4: { ip: '10.1.0.5/16', routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }] }, dns: {} }, null, 4),
    );
    const v6only: Result = { ...v4only, ips: [{ address: '2001:db8::5/64' }] };
    expect(formatResult(v6only, '0.1.0')).toEqual({
      cniVersion: '0.1.0',
      ip6: { ip: '2001:db8::5/64', routes: [{ dst: '::/0', gw: '2001:db8::1' }] },
      dns: {},
    });
  });

  it('omits empty routes and gateway in ip4/ip6', () => {
    expect(resultText({ cniVersion: '1.0.0', ips: [{ address: '10.1.0.5/16' }] }, '0.2.0')).toBe(
      JSON.stringify({ cniVersion: '0.2.0', ip4: { ip: '10.1.0.5/16' }, dns: {} }, null, 4),
    );
  });

  it('an IPv4-mapped IPv6 address and route count as IPv4 (Go To4() != nil)', () => {
    const r: Result = { cniVersion: '1.0.0', ips: [{ address: '::ffff:10.1.0.5/120' }], routes: [{ dst: '::ffff:0.0.0.0/96' }] };
    // (Go would also rewrite the text to "10.1.0.5/24"; only the family is asserted here.)
    const out = formatResult(r, '0.2.0');
    expect(out.ip4).toHaveProperty('routes', [expect.objectContaining({})]);
    expect(out.ip6).toBeUndefined();
    expect((formatResult(r, '0.4.0').ips as Json[])[0].version).toBe('4');
  });
});

describe('dns', () => {
  const noDns: Result = { cniVersion: '1.0.0', ips: [{ address: '10.1.0.5/16' }] };

  it.each(['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0'])('an empty dns is printed as {} in %s', (v) => {
    expect(formatResult(noDns, v).dns).toEqual({});
    expect(resultText(noDns, v)).toContain('"dns": {}');
    expect(formatResult({ ...noDns, dns: { nameservers: [], search: [], options: [], domain: '' } }, v).dns).toEqual({});
  });

  it.each(['1.0.0', '1.1.0'])('an empty dns is omitted in %s', (v) => {
    expect(formatResult(noDns, v)).not.toHaveProperty('dns');
    expect(formatResult({ ...noDns, dns: { nameservers: [] } }, v)).not.toHaveProperty('dns');
    expect(formatResult({ ...noDns, dns: { domain: 'x' } }, v).dns).toEqual({ domain: 'x' });
  });

  it('an empty dns read from a result is not kept', () => {
    expect(parseResult({ cniVersion: '0.4.0', dns: {} })).toEqual({ cniVersion: '0.4.0' });
    expect(parseResult({ cniVersion: '0.4.0', dns: null })).toEqual({ cniVersion: '0.4.0' });
  });
});

describe('1.x specifics', () => {
  it('interface index 0 is printed (it is a pointer in Go, not omitempty)', () => {
    const r = parseResult({ cniVersion: '1.0.0', interfaces: [{ name: 'eth0' }], ips: [{ interface: 0, address: '10.1.2.3/24' }] });
    expect(r.ips).toEqual([{ interface: 0, address: '10.1.2.3/24' }]);
    expect(formatResult(r, '1.0.0').ips).toEqual([{ interface: 0, address: '10.1.2.3/24' }]);
    expect(formatResult(r, '0.4.0').ips).toEqual([{ version: '4', interface: 0, address: '10.1.2.3/24' }]);
  });

  it('a missing interface index stays missing', () => {
    expect(formatResult(parseResult({ cniVersion: '1.0.0', ips: [{ address: '10.1.2.3/24' }] }), '1.0.0').ips).toEqual([
      { address: '10.1.2.3/24' },
    ]);
  });

  it('route mtu/advmss/priority 0 are omitted, table/scope 0 are kept', () => {
    const r = parseResult({ cniVersion: '1.1.0', routes: [{ dst: '0.0.0.0/0', mtu: 0, advmss: 0, priority: 0, table: 0, scope: 0 }] });
    expect(formatResult(r, '1.1.0').routes).toEqual([{ dst: '0.0.0.0/0', table: 0, scope: 0 }]);
    expect(resultText(r, '0.4.0')).toContain('"table": 0');
  });

  it('interface mtu/socketPath/pciID are printed in 1.0.0 too (types are identical)', () => {
    const r = parseResult(SOURCE['1.x']('1.1.0'));
    expect((formatResult(r, '1.0.0').interfaces as Json[])[1]).toEqual({
      name: 'eth0',
      mac: MAC_CTR,
      mtu: 1450,
      sandbox: NETNS,
      socketPath: '/run/vhost-user.sock',
      pciID: '0000:00:1f.6',
    });
  });

  it('ips[].version in a 1.x result is ignored, not printed back', () => {
    const r = parseResult({ cniVersion: '1.0.0', ips: [{ version: '4', address: '10.1.2.3/24' }] });
    expect(formatResult(r, '1.0.0')).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.1.2.3/24' }] });
  });
});

describe('resultText', () => {
  it('is indented with 4 spaces and has no trailing newline, like Go MarshalIndent', () => {
    const text = resultText({ cniVersion: '0.4.0', ips: [{ address: '10.1.0.5/16', interface: 0 }] }, '0.4.0');
    expect(text).toBe(
      [
        '{',
        '    "cniVersion": "0.4.0",',
        '    "ips": [',
        '        {',
        '            "version": "4",',
        '            "interface": 0,',
        '            "address": "10.1.0.5/16"',
        '        }',
        '    ],',
        '    "dns": {}',
        '}',
      ].join('\n'),
    );
  });
});

describe('parseResult', () => {
  it('takes the fallback version when cniVersion is missing or empty (libcni, cni#895)', () => {
    expect(parseResult({ ips: [{ address: '10.1.0.5/16' }] }, '0.3.1').cniVersion).toBe('0.3.1');
    expect(parseResult({ cniVersion: '', ips: [{ address: '10.1.0.5/16' }] }, '1.0.0').cniVersion).toBe('1.0.0');
  });

  it('defaults to 0.1.0, and then reads the 0.2 shape', () => {
    const r = parseResult({ ip4: { ip: '10.1.0.5/16' }, ips: [{ address: '10.9.9.9/8' }] });
    expect(r).toEqual({ cniVersion: '0.1.0', ips: [{ address: '10.1.0.5/16' }] });
  });

  it('reads ips/interfaces/routes only in >= 0.3 and ip4/ip6 only in < 0.3', () => {
    expect(parseResult({ cniVersion: '0.4.0', ip4: { ip: '10.1.0.5/16' } })).toEqual({ cniVersion: '0.4.0' });
  });

  it('ignores unknown keys', () => {
    expect(parseResult({ cniVersion: '1.0.0', foo: 1, ips: [{ address: '10.1.0.5/16', bar: true }] })).toEqual({
      cniVersion: '1.0.0',
      ips: [{ address: '10.1.0.5/16' }],
    });
  });

  it('treats an empty gateway or gw as absent (Go net.IP of "")', () => {
    const r = parseResult({ cniVersion: '1.0.0', ips: [{ address: '10.1.0.5/16', gateway: '' }], routes: [{ dst: '0.0.0.0/0', gw: '' }] });
    expect(r).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.1.0.5/16' }], routes: [{ dst: '0.0.0.0/0' }] });
  });

  it('keeps the host part of a CIDR ("10.1.2.3/24", not "10.1.2.0/24")', () => {
    expect(parseResult({ cniVersion: '1.0.0', ips: [{ address: '10.1.2.3/24' }] }).ips?.[0].address).toBe('10.1.2.3/24');
  });

  it.each(['7.0.0', '0.5.0', '1.2.0', 'abc'])('refuses a result of unknown version %j (Go: unsupported CNI result version)', (v) => {
    expect(() => parseResult({ cniVersion: v })).toThrow(expect.objectContaining({ code: 6 }));
    expect(() => parseResult({}, v)).toThrow(CniError);
  });

  it.each([
    ['not an object', [], /result must be a JSON object/],
    ['null', null, /result must be a JSON object/],
    ['ips not a list', { cniVersion: '1.0.0', ips: {} }, /ips must be a list/],
    ['ips entry not an object', { cniVersion: '1.0.0', ips: ['10.0.0.1/8'] }, /ips entry/],
    ['address missing', { cniVersion: '1.0.0', ips: [{}] }, /address must be a CIDR string/],
    ['address without prefix', { cniVersion: '1.0.0', ips: [{ address: '10.0.0.1' }] }, /not a valid CIDR/],
    ['prefix too long v4', { cniVersion: '1.0.0', ips: [{ address: '10.0.0.1/33' }] }, /not a valid CIDR/],
    ['prefix too long v6', { cniVersion: '1.0.0', ips: [{ address: '2001:db8::1/129' }] }, /not a valid CIDR/],
    ['prefix not a number', { cniVersion: '1.0.0', ips: [{ address: '10.0.0.1/x' }] }, /not a valid CIDR/],
    ['one-part IPv4', { cniVersion: '1.0.0', ips: [{ address: '10/8' }] }, /not a valid CIDR/],
    ['two-part IPv4', { cniVersion: '1.0.0', ips: [{ address: '10.1/16' }] }, /not a valid CIDR/],
    ['octal IPv4', { cniVersion: '1.0.0', ips: [{ address: '010.0.0.1/24' }] }, /not a valid CIDR/],
    ['hex IPv4', { cniVersion: '1.0.0', ips: [{ address: '0xa.0.0.1/24' }] }, /not a valid CIDR/],
    ['octet > 255', { cniVersion: '1.0.0', ips: [{ address: '10.0.0.256/24' }] }, /not a valid CIDR/],
    ['IPv6 zone', { cniVersion: '1.0.0', ips: [{ address: 'fe80::1%eth0/64' }] }, /not a valid CIDR/],
    ['spaces', { cniVersion: '1.0.0', ips: [{ address: ' 10.0.0.1/24' }] }, /not a valid CIDR/],
    ['bad gateway', { cniVersion: '1.0.0', ips: [{ address: '10.0.0.1/24', gateway: '10.0.0' }] }, /gateway "10.0.0" is not a valid IP/],
    ['gateway with prefix', { cniVersion: '1.0.0', ips: [{ address: '10.0.0.1/24', gateway: '10.0.0.1/24' }] }, /not a valid IP/],
    [
      'interface index not an integer',
      { cniVersion: '1.0.0', ips: [{ address: '10.0.0.1/24', interface: '0' }] },
      /interface must be an integer/,
    ],
    ['interface without name', { cniVersion: '1.0.0', interfaces: [{ mac: MAC_CTR }] }, /interface must be an object with a name/],
    ['interface mtu not a number', { cniVersion: '1.1.0', interfaces: [{ name: 'e', mtu: '1500' }] }, /interface mtu must be an integer/],
    ['route without dst', { cniVersion: '1.0.0', routes: [{ gw: '10.0.0.1' }] }, /route dst must be a CIDR string/],
    ['route dst plain IP', { cniVersion: '1.0.0', routes: [{ dst: '0.0.0.0' }] }, /route dst "0.0.0.0" is not a valid CIDR/],
    ['route bad gw', { cniVersion: '1.0.0', routes: [{ dst: '0.0.0.0/0', gw: 'router' }] }, /route gw "router"/],
    ['route table not an integer', { cniVersion: '1.1.0', routes: [{ dst: '0.0.0.0/0', table: 1.5 }] }, /route table must be an integer/],
    ['ip4 not an object', { cniVersion: '0.2.0', ip4: '10.0.0.1/8' }, /ip4 must be an object/],
    ['ip6.ip bad', { cniVersion: '0.2.0', ip6: { ip: '2001:db8::g/64' } }, /ip6.ip "2001:db8::g\/64" is not a valid CIDR/],
    ['ip4.routes not a list', { cniVersion: '0.2.0', ip4: { ip: '10.0.0.1/8', routes: {} } }, /ip4.routes must be a list/],
    ['dns not an object', { cniVersion: '1.0.0', dns: [] }, /dns must be an object/],
    ['dns nameservers not strings', { cniVersion: '1.0.0', dns: { nameservers: [1] } }, /dns nameservers must be a list of strings/],
    ['dns domain not a string', { cniVersion: '1.0.0', dns: { domain: 1 } }, /dns domain must be a string/],
  ])('refuses %s (code 6)', (_what, raw, msg) => {
    let err: unknown;
    try {
      parseResult(raw);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CniError);
    expect((err as CniError).code).toBe(6);
    expect((err as CniError).message).toMatch(/^failed to parse result: /);
    expect((err as CniError).message).toMatch(msg);
  });

  it.each(['0.0.0.0/0', '255.255.255.255/32', '10.1.2.3/24', '::/0', '::1/128', '2001:db8::1/64', '::ffff:10.0.0.1/120', '::10.0.0.1/128'])(
    'accepts %s',
    (cidr) => {
      expect(parseResult({ cniVersion: '1.0.0', ips: [{ address: cidr }] }).ips).toHaveLength(1);
    },
  );
});

describe('familyOfAddress', () => {
  it.each([
    ['10.0.0.1', 4],
    ['10.0.0.1/24', 4],
    ['2001:db8::1', 6],
    ['2001:db8::1/64', 6],
    ['::ffff:10.0.0.1', 4],
    ['::/0', 6],
  ])('%s is IPv%d', (a, fam) => {
    expect(familyOfAddress(a)).toBe(fam);
  });
});
