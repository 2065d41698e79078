import { CniError } from '../../../lib/cni/errors';
import { validateContainerId, validateIfName, validateNetworkName } from '../../../lib/cni/validate';

// After Go's pkg/utils (ValidateContainerID, ValidateNetworkName, ValidateInterfaceName) and
// its tests. These names end up in file names, iptables comments and iproute2 batch lines.

function errorOf(f: () => void): CniError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CniError);
    return e as CniError;
  }
  throw new Error('expected a CniError');
}

describe('validateContainerId', () => {
  it.each(['a', 'Z', '0', 'dummy', 'abc123', '5f1c2e0b9f7a', 'pod_1.web-0', 'a-', 'a.', 'a_', 'A'.repeat(300)])('accepts %j', (id) => {
    expect(() => validateContainerId(id)).not.toThrow();
  });

  it('empty is "missing containerID" with code 3', () => {
    const e = errorOf(() => validateContainerId(''));
    expect(e.code).toBe(3);
    expect(e.message).toBe('missing containerID');
  });

  it.each(['-abc', '.abc', '_abc', 'a b', 'a/b', '../x', 'a:b', 'a;b', 'a\nb', 'a\tb', ' a', 'a ', 'caf\u00e9', 'a$b', 'a*', 'a\u0000'])(
    'refuses %j with code 4 and the id as details',
    (id) => {
      const e = errorOf(() => validateContainerId(id));
      expect(e.code).toBe(4);
      expect(e.message).toBe('invalid characters in containerID');
      expect(e.details).toBe(id);
    },
  );
});

describe('validateNetworkName', () => {
  it.each(['mynet', 'k8s-pod-network', 'net.1', 'a_b', '1'])('accepts %j', (n) => {
    expect(() => validateNetworkName(n)).not.toThrow();
  });

  it('empty is "missing network name" with code 7', () => {
    const e = errorOf(() => validateNetworkName(''));
    expect(e.code).toBe(7);
    expect(e.message).toMatch(/^missing network name/);
  });

  it.each(['../../etc', '..', '.hidden', 'a/b', '/etc', 'my net', 'te%%st', 'net\n', '-net', 'n\u00e9t'])('refuses %j with code 7', (n) => {
    const e = errorOf(() => validateNetworkName(n));
    expect(e.code).toBe(7);
    expect(e.message).toBe('invalid characters found in network name');
    expect(e.details).toBe(n);
  });
});

describe('validateIfName', () => {
  it.each([
    'eth0',
    'e',
    'net1',
    'veth1234567890a' /* 15 */,
    'eth0.100',
    'eth-0_a',
    '...',
    '.a',
    'a..',
    '\u00e9th0',
    '\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9a' /* 15 bytes */,
  ])('accepts %j', (n) => {
    expect(() => validateIfName(n)).not.toThrow();
  });

  it('empty: code 4 "interface name is empty"', () => {
    const e = errorOf(() => validateIfName(''));
    expect(e.code).toBe(4);
    expect(e.message).toBe('interface name is empty');
  });

  it('15 bytes pass, 16 bytes fail (IFNAMSIZ)', () => {
    expect(() => validateIfName('a'.repeat(15))).not.toThrow();
    const e = errorOf(() => validateIfName('a'.repeat(16)));
    expect(e.code).toBe(4);
    expect(e.message).toBe('interface name is too long');
    expect(e.details).toBe('interface name should be less than 16 characters');
  });

  it('length counts UTF-8 bytes, not characters (Go len(string))', () => {
    // 8 characters, 16 bytes
    expect(errorOf(() => validateIfName('\u00e9'.repeat(8))).message).toBe('interface name is too long');
    // 4 characters, 16 bytes (emoji are 4 bytes each)
    expect(errorOf(() => validateIfName('\u{1F600}'.repeat(4))).message).toBe('interface name is too long');
    // 14 ASCII + one 2-byte character = 16 bytes
    expect(errorOf(() => validateIfName(`${'a'.repeat(14)}\u00e9`)).message).toBe('interface name is too long');
    // 13 ASCII + one 2-byte character = 15 bytes
    expect(() => validateIfName(`${'a'.repeat(13)}\u00e9`)).not.toThrow();
  });

  it.each(['.', '..'])('%j: code 4 "interface name is . or .."', (n) => {
    const e = errorOf(() => validateIfName(n));
    expect(e.code).toBe(4);
    expect(e.message).toBe('interface name is . or ..');
  });

  it.each([
    ['slash', 'eth/0'],
    ['leading slash', '/eth0'],
    ['colon (alias syntax)', 'eth0:1'],
    ['space', 'eth 0'],
    ['trailing space', 'eth0 '],
    ['tab', 'eth\t0'],
    ['newline (a second iproute2 batch command)', 'eth0\nlink'],
    ['carriage return', 'eth0\r'],
    ['vertical tab', 'eth\v0'],
    ['form feed', 'eth\f0'],
    ['no-break space U+00A0', 'eth\u00a00'],
    ['next line U+0085', 'eth\u00850'],
    ['ogham space U+1680', 'eth\u16800'],
    ['en quad U+2000', 'eth\u20000'],
    ['line separator U+2028', 'eth\u20280'],
    ['ideographic space U+3000', 'eth\u30000'],
    ['NUL', 'eth\u00000'],
    ['escape', 'eth\u001b0'],
    ['DEL', 'eth\u007f0'],
  ])('refuses a %s with code 4', (_what, n) => {
    const e = errorOf(() => validateIfName(n));
    expect(e.code).toBe(4);
    expect(e.message).toBe('interface name contains / or : or whitespace characters');
  });

  it('checks the length before the characters, like Go', () => {
    expect(errorOf(() => validateIfName('a/'.repeat(8))).message).toBe('interface name is too long');
  });
});
