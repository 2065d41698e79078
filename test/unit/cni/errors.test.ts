import { CniError, ErrCode, invalidConfig, toCniError } from '../../../lib/cni/errors';

describe('error codes', () => {
  it('are the spec’s well-known codes plus Go’s 8 and 999', () => {
    expect(ErrCode).toEqual({
      IncompatibleCniVersion: 1,
      UnsupportedField: 2,
      UnknownContainer: 3,
      InvalidEnvironmentVariables: 4,
      IoFailure: 5,
      DecodingFailure: 6,
      InvalidNetworkConfig: 7,
      InvalidNetns: 8,
      TryAgainLater: 11,
      PluginNotAvailable: 50,
      PluginNotAvailableLimitedConnectivity: 51,
      Internal: 999,
    });
  });
});

describe('CniError', () => {
  it('is an Error with code, message and details', () => {
    const e = new CniError(11, 'try again', 'lock held');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('CniError');
    expect(e.code).toBe(11);
    expect(e.message).toBe('try again');
    expect(e.details).toBe('lock held');
  });

  it('toJSON gives {cniVersion, code, msg, details} in that order', () => {
    expect(JSON.stringify(new CniError(7, 'bad', 'why').toJSON('1.0.0'))).toBe(
      '{"cniVersion":"1.0.0","code":7,"msg":"bad","details":"why"}',
    );
  });

  it('toJSON omits empty details (Go: omitempty)', () => {
    expect(new CniError(7, 'bad').toJSON('0.4.0')).toEqual({ cniVersion: '0.4.0', code: 7, msg: 'bad' });
    expect(new CniError(7, 'bad', '').toJSON('0.4.0')).toEqual({ cniVersion: '0.4.0', code: 7, msg: 'bad' });
  });

  it('toJSON never includes a stack', () => {
    expect(JSON.stringify(new CniError(1, 'x').toJSON('1.0.0'))).not.toContain('at ');
  });
});

describe('toCniError', () => {
  it('passes a CniError through unchanged', () => {
    const e = new CniError(50, 'not ready', 'daemon down');
    expect(toCniError(e)).toBe(e);
  });

  it('wraps any other Error as code 999 with its message', () => {
    const e = toCniError(new TypeError('cannot read x'));
    expect(e.code).toBe(999);
    expect(e.message).toBe('cannot read x');
    expect(e.details).toBeUndefined();
  });

  it('wraps a thrown non-Error as code 999 with its text', () => {
    expect(toCniError('plain string').message).toBe('plain string');
    expect(toCniError(42).code).toBe(999);
    expect(toCniError(undefined).message).toBe('undefined');
  });
});

describe('invalidConfig', () => {
  it('is code 7', () => {
    expect(invalidConfig('bad option', 'mtu')).toMatchObject({ code: 7, message: 'bad option', details: 'mtu' });
  });
});
