import { CniError } from '../../../lib/cni/errors';
import {
  ALL_VERSIONS,
  compareVersions,
  configVersion,
  CURRENT_VERSION,
  familyOf,
  IMPLICIT_VERSION,
  isSupported,
  versionAtLeast,
  versionInfoJson,
} from '../../../lib/cni/version';

// Cases after the Go library's pkg/version tests (ParseVersion, GreaterThanOrEqualTo) and the
// version negotiation of the contract (cni-reference.md §1.1, §1.4).

describe('the version list', () => {
  it('is the Go library version.All, oldest first, current 1.1.0, implicit 0.1.0', () => {
    expect([...ALL_VERSIONS]).toEqual(['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']);
    expect(CURRENT_VERSION).toBe('1.1.0');
    expect(IMPLICIT_VERSION).toBe('0.1.0');
  });

  it('is sorted by compareVersions', () => {
    expect([...ALL_VERSIONS].reverse().sort(compareVersions)).toEqual([...ALL_VERSIONS]);
  });
});

describe('compareVersions / versionAtLeast', () => {
  it.each([
    ['1.2.34', '1.2.14'],
    ['2.5.4', '2.4.4'],
    ['1.2.3', '0.2.3'],
    ['0.4.0', '0.3.1'],
    ['1.0.0', '0.4.0'],
    ['1.1.0', '1.0.0'],
    ['0.10.0', '0.9.0'], // numeric, not lexical
  ])('%s > %s', (hi, lo) => {
    expect(compareVersions(hi, lo)).toBeGreaterThan(0);
    expect(compareVersions(lo, hi)).toBeLessThan(0);
    expect(versionAtLeast(hi, lo)).toBe(true);
    expect(versionAtLeast(lo, hi)).toBe(false);
  });

  it('equal versions compare 0 and satisfy versionAtLeast', () => {
    expect(compareVersions('1.2.3', '1.2.3')).toBe(0);
    expect(versionAtLeast('0.4.0', '0.4.0')).toBe(true);
  });

  it.each(['asdfasdf', 'asdf.', '.asdfas', 'asdf.adsf.', '0.', '..', '1.2.3.4.5', '1.2', 'v1.0.0', ' 1.0.0', ''])(
    'malformed version %j is a decoding error (code 6)',
    (bad) => {
      for (const call of [() => compareVersions(bad, '1.0.0'), () => compareVersions('1.0.0', bad)]) {
        expect(call).toThrow(CniError);
        try {
          call();
        } catch (e) {
          expect((e as CniError).code).toBe(6);
          expect((e as CniError).message).toContain(JSON.stringify(bad));
        }
      }
    },
  );
});

describe('familyOf', () => {
  it.each([
    ['0.1.0', '0.2'],
    ['0.2.0', '0.2'],
    ['0.3.0', '0.4'],
    ['0.3.1', '0.4'],
    ['0.4.0', '0.4'],
    ['1.0.0', '1.x'],
    ['1.1.0', '1.x'],
  ])('%s belongs to the %s family', (v, fam) => {
    expect(familyOf(v)).toBe(fam);
  });

  it('refuses a malformed version', () => {
    expect(() => familyOf('one')).toThrow(CniError);
  });
});

describe('configVersion', () => {
  it('takes cniVersion as given', () => {
    expect(configVersion({ cniVersion: '0.3.1' })).toBe('0.3.1');
    expect(configVersion({ cniVersion: '1.1.0', cniVersions: ['0.4.0'] })).toBe('1.1.0');
  });

  it('does not validate cniVersion itself (the dispatcher reports it as unsupported)', () => {
    expect(configVersion({ cniVersion: '9.8.7' })).toBe('9.8.7');
    expect(configVersion({ cniVersion: 'adsfsadf' })).toBe('adsfsadf');
  });

  it('treats a missing, empty or null cniVersion as 0.1.0', () => {
    expect(configVersion({})).toBe('0.1.0');
    expect(configVersion({ cniVersion: '' })).toBe('0.1.0');
    expect(configVersion({ cniVersion: null })).toBe('0.1.0');
  });

  it('negotiates from cniVersions: the highest entry this library implements', () => {
    expect(configVersion({ cniVersions: ['0.3.1', '1.0.0', '0.4.0'] })).toBe('1.0.0');
    expect(configVersion({ cniVersions: ['1.1.0', '0.4.0'] })).toBe('1.1.0');
    // entries newer than ours, malformed or of the wrong type are skipped, not errors
    expect(configVersion({ cniVersions: ['0.4.0', '2.0.0', '1.5.0', 'x', 7, null, '1.0'] })).toBe('0.4.0');
  });

  it('an empty cniVersion also falls back to cniVersions', () => {
    expect(configVersion({ cniVersion: '', cniVersions: ['0.4.0', '1.0.0'] })).toBe('1.0.0');
  });

  it('falls back to 0.1.0 when cniVersions has nothing usable or is not a list', () => {
    expect(configVersion({ cniVersions: [] })).toBe('0.1.0');
    expect(configVersion({ cniVersions: ['3.0.0'] })).toBe('0.1.0');
    expect(configVersion({ cniVersions: '1.0.0' })).toBe('0.1.0');
  });

  it.each([[1], [true], [['1.0.0']], [{ v: '1.0.0' }]])('a cniVersion of type %j is a decoding error (code 6)', (v) => {
    expect(() => configVersion({ cniVersion: v })).toThrow(
      expect.objectContaining({ code: 6, message: expect.stringContaining('cniVersion must be a string') }),
    );
  });

  it('matches keys case-insensitively and lets the last matching key win, like Go', () => {
    expect(configVersion({ CNIVersion: '0.4.0' })).toBe('0.4.0');
    expect(configVersion({ cniVersion: '0.4.0', CNIVERSION: '1.0.0' })).toBe('1.0.0');
    expect(configVersion({ CniVersions: ['0.3.1'] })).toBe('0.3.1');
  });
});

describe('isSupported', () => {
  it('is an exact match against the list (no range semantics)', () => {
    expect(isSupported('1.0.0')).toBe(true);
    expect(isSupported('0.3.0')).toBe(true);
    expect(isSupported('1.0')).toBe(false);
    expect(isSupported('0.5.0')).toBe(false);
    expect(isSupported('1.0.0', ['0.4.0'])).toBe(false);
  });
});

describe('versionInfoJson', () => {
  it('is compact JSON plus a newline, always with the library version 1.1.0', () => {
    expect(versionInfoJson()).toBe(
      '{"cniVersion":"1.1.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}\n',
    );
    expect(versionInfoJson(['0.4.0'])).toBe('{"cniVersion":"1.1.0","supportedVersions":["0.4.0"]}\n');
  });
});
