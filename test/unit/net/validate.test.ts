import { checkCidr, checkIfName, checkIp, checkMac, checkNetnsPath, checkUint, NetValidationError } from '../../../lib/net';

describe('checkIfName', () => {
  test.each(['eth0', 'cni0', 'veth1a2b3c4d', 'eth0.100', 'br-podman_1', 'a', '_x', '123456789012345'])('accepts %s', (name) => {
    expect(checkIfName(name)).toBe(name);
  });

  test.each([
    ['', 'empty'],
    ['1234567890123456', 'longer than 15 bytes'],
    ['.', 'dot'],
    ['..', 'dot dot'],
    ['.hidden', 'leading dot'],
    ['-x', 'leading dash'],
    ['a/b', 'slash'],
    ['a:b', 'colon'],
    ['eth 0', 'space'],
    ['eth0\nlink del lo', 'newline (a second batch command)'],
    ['eth0\tx', 'tab'],
    ['a"b', 'double quote'],
    ["a'b", 'single quote'],
    ['a;b', 'semicolon'],
    ['a\\b', 'backslash'],
    ['a#b', 'batch comment'],
    ['veth%d', 'kernel name template'],
    ['a$b', 'dollar'],
    ['a`b', 'backtick'],
    ['a\u0000b', 'NUL'],
    ['a\u007fb', 'DEL'],
    ['ethé', 'non-ASCII'],
  ])('rejects %j (%s)', (name) => {
    expect(() => checkIfName(name)).toThrow(NetValidationError);
  });

  test('names the value and what it is in the message', () => {
    expect(() => checkIfName('a b', 'bridge name')).toThrow('invalid bridge name "a b"');
  });

  test('rejects non-strings', () => {
    expect(() => checkIfName(undefined as unknown as string)).toThrow(NetValidationError);
    expect(() => checkIfName(5 as unknown as string)).toThrow(NetValidationError);
  });
});

describe('checkMac', () => {
  test('accepts and lower-cases colon form', () => {
    expect(checkMac('0A:1b:2C:3d:4E:5f')).toBe('0a:1b:2c:3d:4e:5f');
  });
  test.each([
    '0a-1b-2c-3d-4e-5f',
    '0a1b.2c3d.4e5f',
    '0a:1b:2c:3d:4e',
    '0a:1b:2c:3d:4e:5f:60',
    '0g:1b:2c:3d:4e:5f',
    '0a:1b:2c:3d:4e:5f ',
    '',
  ])('rejects %j', (mac) => expect(() => checkMac(mac)).toThrow(NetValidationError));
});

describe('checkIp / checkCidr', () => {
  test('IPv4 and IPv6 addresses', () => {
    expect(checkIp('10.1.0.5')).toEqual({ family: 4, text: '10.1.0.5' });
    expect(checkIp('2001:DB8::5')).toEqual({ family: 6, text: '2001:db8::5' });
    expect(checkIp('::ffff:10.1.0.5')).toEqual({ family: 6, text: '::ffff:10.1.0.5' });
  });
  test.each(['010.1.0.5', '10.1.0', '10.1.0.256', '1.2.3.4 ', ' 1.2.3.4', 'fe80::1%eth0', '2001:db8::/64', 'x', '', '10.1.0.5\n'])(
    'rejects address %j',
    (a) => {
      expect(() => checkIp(a)).toThrow(NetValidationError);
    },
  );
  test('CIDRs', () => {
    expect(checkCidr('10.1.0.5/24')).toEqual({ family: 4, address: '10.1.0.5', prefix: 24, text: '10.1.0.5/24' });
    expect(checkCidr('0.0.0.0/0').prefix).toBe(0);
    expect(checkCidr('2001:db8::5/128')).toEqual({ family: 6, address: '2001:db8::5', prefix: 128, text: '2001:db8::5/128' });
  });
  test.each([
    '10.1.0.5',
    '10.1.0.5/33',
    '10.1.0.5/024',
    '10.1.0.5/',
    '10.1.0.5/-1',
    '10.1.0.5/24 ',
    '::/129',
    '10.1.0.5/24/1',
    '10.1.0.5/2x',
    'default',
  ])('rejects CIDR %j', (c) => expect(() => checkCidr(c)).toThrow(NetValidationError));
});

describe('checkUint', () => {
  test('bounds', () => {
    expect(checkUint(1500, 'MTU', 68, 65535)).toBe(1500);
    expect(() => checkUint(67, 'MTU', 68, 65535)).toThrow('invalid MTU 67');
    expect(() => checkUint(1.5, 'x')).toThrow(NetValidationError);
    expect(() => checkUint(-1, 'x')).toThrow(NetValidationError);
    expect(() => checkUint(NaN, 'x')).toThrow(NetValidationError);
    expect(() => checkUint('5' as unknown as number, 'x')).toThrow(NetValidationError);
    expect(checkUint(0xffffffff, 'x')).toBe(0xffffffff);
    expect(() => checkUint(0x100000000, 'x')).toThrow(NetValidationError);
  });
});

describe('checkNetnsPath', () => {
  test.each([
    '/run/netns/cni-1234',
    '/var/run/netns/x',
    '/proc/123/ns/net',
    '/var/run/docker/netns/ab12cd',
    '/run/user/1000/netns/netns-3f2a:b',
  ])('accepts %s', (p) => {
    expect(checkNetnsPath(p)).toBe(p);
  });
  test.each([
    'relative/path',
    'x',
    '',
    '/run/netns/a b',
    '/run/netns/a\nlink del lo',
    '/run/netns/"x"',
    '/run/netns/#x',
    '/run/../etc/x',
    '/run/netns/a\\b',
    '/run/netns/a;b',
  ])('rejects %j', (p) => expect(() => checkNetnsPath(p)).toThrow(NetValidationError));
});
