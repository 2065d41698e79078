import { ConfigReader, isJsonObject, lookup } from '../../../lib/cni/config';
import { CniError } from '../../../lib/cni/errors';

// ConfigReader reproduces what Go's encoding/json does to a plugin config (case-insensitive
// keys, the last matching key wins, null = absent, strict types) and says what is wrong in
// words a person can act on.

function errorOf(f: () => unknown): CniError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CniError);
    return e as CniError;
  }
  throw new Error('expected a CniError');
}

describe('isJsonObject', () => {
  it('is true only for plain objects', () => {
    expect(isJsonObject({})).toBe(true);
    expect(isJsonObject({ a: 1 })).toBe(true);
    for (const v of [null, undefined, [], [1], 'x', 1, true]) expect(isJsonObject(v)).toBe(false);
  });
});

describe('lookup', () => {
  it('matches keys case-insensitively', () => {
    expect(lookup({ HostPort: 80 }, 'hostPort')).toBe(80);
    expect(lookup({ isgateway: true }, 'isGateway')).toBe(true);
  });

  it('the last matching key wins, whatever its case (Go decodes keys in order)', () => {
    expect(lookup(JSON.parse('{"mtu": 1400, "MTU": 1500}'), 'mtu')).toBe(1500);
    expect(lookup(JSON.parse('{"MTU": 1500, "mtu": 1400}'), 'mtu')).toBe(1400);
    expect(lookup(JSON.parse('{"mtu": 1400, "mtu": 9000}'), 'Mtu')).toBe(9000);
  });

  it('is undefined for a missing key', () => {
    expect(lookup({ a: 1 }, 'b')).toBeUndefined();
  });

  it('keeps null (ConfigReader turns it into absent)', () => {
    expect(lookup({ a: null }, 'a')).toBeNull();
  });
});

describe('ConfigReader', () => {
  const r = (obj: Record<string, unknown>) => new ConfigReader(obj, 'bridge');

  describe('of', () => {
    it('wraps an object', () => {
      expect(ConfigReader.of({ a: 1 }, 'x').raw('a')).toBe(1);
    });

    it.each([
      [undefined, 'undefined'],
      [null, 'null'],
      [[], '[]'],
      ['str', '"str"'],
      [5, '5'],
    ])('refuses %j with code 7 and the value in the message', (v, shown) => {
      const e = errorOf(() => ConfigReader.of(v, 'host-local: ipam'));
      expect(e.code).toBe(7);
      expect(e.message).toBe(`host-local: ipam must be a JSON object, got ${shown}`);
    });
  });

  describe('raw / has', () => {
    it('null is absent', () => {
      expect(r({ mtu: null }).raw('mtu')).toBeUndefined();
      expect(r({ mtu: null }).has('mtu')).toBe(false);
      expect(r({ mtu: 0 }).has('mtu')).toBe(true);
      expect(r({ mtu: false }).has('MTU')).toBe(true);
    });
  });

  describe('strings', () => {
    it('optString returns the string or undefined', () => {
      expect(r({ Bridge: 'cni0' }).optString('bridge')).toBe('cni0');
      expect(r({}).optString('bridge')).toBeUndefined();
      expect(r({ bridge: null }).optString('bridge')).toBeUndefined();
      expect(r({ bridge: '' }).optString('bridge')).toBe('');
    });

    it('string() uses the default for missing and empty', () => {
      expect(r({}).string('bridge', 'cni0')).toBe('cni0');
      expect(r({ bridge: '' }).string('bridge', 'cni0')).toBe('cni0');
      expect(r({ bridge: 'br0' }).string('bridge', 'cni0')).toBe('br0');
    });

    it.each([
      [5, '5'],
      [true, 'true'],
      [['a'], '["a"]'],
      [{ a: 1 }, '{"a":1}'],
    ])('a non-string %j is code 7 naming the option and the value', (v, shown) => {
      const e = errorOf(() => r({ bridge: v }).optString('bridge'));
      expect(e.code).toBe(7);
      expect(e.message).toBe(`bridge: option 'bridge' must be a string, got ${shown}`);
    });
  });

  describe('bool', () => {
    it('reads JSON booleans and defaults when absent', () => {
      expect(r({ isGateway: true }).bool('isGateway', false)).toBe(true);
      expect(r({ isgateway: false }).bool('isGateway', true)).toBe(false);
      expect(r({}).bool('isGateway', true)).toBe(true);
      expect(r({ isGateway: null }).bool('isGateway', true)).toBe(true);
    });

    it.each([
      ['true', '"true"'],
      [1, '1'],
      [0, '0'],
      ['', '""'],
    ])('refuses %j: booleans must be real JSON booleans, as in Go', (v, shown) => {
      const e = errorOf(() => r({ portIsolation: v }).bool('portIsolation', false));
      expect(e.code).toBe(7);
      expect(e.message).toBe(`bridge: option 'portIsolation' must be true or false (a JSON boolean), got ${shown}`);
    });
  });

  describe('integers', () => {
    it('reads integers and defaults when absent', () => {
      expect(r({ mtu: 1500 }).int('mtu', 0)).toBe(1500);
      expect(r({}).int('mtu', 1400)).toBe(1400);
      expect(r({ MTU: null }).int('mtu', 1400)).toBe(1400);
      expect(r({}).optInt('mtu')).toBeUndefined();
      expect(r({ mtu: 0 }).optInt('mtu')).toBe(0);
      expect(r({ mtu: -1 }).optInt('mtu')).toBe(-1);
    });

    it.each([
      ['1500', '"1500"'],
      [1.5, '1.5'],
      [true, 'true'],
      [[1500], '[1500]'],
    ])('refuses %j', (v, shown) => {
      const e = errorOf(() => r({ mtu: v }).int('mtu', 0));
      expect(e.code).toBe(7);
      expect(e.message).toBe(`bridge: option 'mtu' must be an integer, got ${shown}`);
    });

    it('checks a min-max range, ends included', () => {
      const range = { min: 68, max: 65535 };
      expect(r({ mtu: 68 }).int('mtu', 0, range)).toBe(68);
      expect(r({ mtu: 65535 }).int('mtu', 0, range)).toBe(65535);
      expect(errorOf(() => r({ mtu: 67 }).int('mtu', 0, range)).message).toBe("bridge: option 'mtu' must be 68-65535, got 67");
      expect(errorOf(() => r({ mtu: 65536 }).int('mtu', 0, range)).message).toBe("bridge: option 'mtu' must be 68-65535, got 65536");
    });

    it('checks a lower or an upper bound alone', () => {
      expect(errorOf(() => r({ vlan: -1 }).optInt('vlan', { min: 0 })).message).toBe("bridge: option 'vlan' must be at least 0, got -1");
      expect(errorOf(() => r({ vlan: 4095 }).optInt('vlan', { max: 4094 })).message).toBe(
        "bridge: option 'vlan' must be at most 4094, got 4095",
      );
      expect(r({ vlan: 0 }).optInt('vlan', { min: 0 })).toBe(0);
    });

    it('the default is not range-checked (it is the plugin’s own choice)', () => {
      expect(r({}).int('mtu', 0, { min: 68 })).toBe(0);
    });

    it('uses the key as written by the caller in messages, not as written in the config', () => {
      expect(errorOf(() => r({ MTU: 'x' }).int('mtu', 0)).message).toContain("option 'mtu'");
    });
  });

  describe('objects and lists', () => {
    it('optObject nests the location in messages', () => {
      const ipam = r({ IPAM: { type: 'host-local', ranges: 5 } }).optObject('ipam');
      expect(ipam?.optString('type')).toBe('host-local');
      expect(errorOf(() => ipam?.optArray('ranges')).message).toBe("bridge: ipam: option 'ranges' must be a list, got 5");
    });

    it('optObject: absent/null is undefined, a non-object is an error', () => {
      expect(r({}).optObject('ipam')).toBeUndefined();
      expect(r({ ipam: null }).optObject('ipam')).toBeUndefined();
      expect(errorOf(() => r({ ipam: [] }).optObject('ipam')).message).toBe("bridge: option 'ipam' must be a JSON object, got []");
      expect(errorOf(() => r({ ipam: 'host-local' }).optObject('ipam')).code).toBe(7);
    });

    it('optArray / optStrings', () => {
      expect(r({ ips: ['10.0.0.1'] }).optStrings('ips')).toEqual(['10.0.0.1']);
      expect(r({ ips: [] }).optStrings('ips')).toEqual([]);
      expect(r({}).optStrings('ips')).toBeUndefined();
      expect(r({ ips: [1, { a: 1 }] }).optArray('ips')).toEqual([1, { a: 1 }]);
      expect(errorOf(() => r({ ips: '10.0.0.1' }).optArray('ips')).message).toBe('bridge: option \'ips\' must be a list, got "10.0.0.1"');
      expect(errorOf(() => r({ ips: ['10.0.0.1', 7] }).optStrings('ips')).message).toBe(
        'bridge: option \'ips\' must be a list of strings, got ["10.0.0.1",7]',
      );
    });
  });

  describe('fail', () => {
    it('without a value it adds no "got"', () => {
      const e = r({}).fail('ipam', 'is required');
      expect(e).toBeInstanceOf(CniError);
      expect(e.code).toBe(7);
      expect(e.message).toBe("bridge: option 'ipam' is required");
    });

    it('describes an explicit undefined value instead of crashing', () => {
      expect(r({}).fail('ipam', 'is required', undefined).message).toBe("bridge: option 'ipam' is required, got undefined");
    });

    it('shortens long values to 60 characters', () => {
      const long = 'x'.repeat(200);
      const msg = r({}).fail('k', 'is bad', long).message;
      const shown = msg.slice(msg.indexOf(', got ') + ', got '.length);
      expect(shown).toHaveLength(60);
      expect(shown.endsWith('...')).toBe(true);
      expect(shown.startsWith('"xxx')).toBe(true);
    });
  });
});
