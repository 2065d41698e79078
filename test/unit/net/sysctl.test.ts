import { sysctlPath } from '../../../lib/net';
import { checkSysctlValue } from '../../../lib/net/sysctl';

describe('sysctlPath (the reference dot/slash rule)', () => {
  test.each([
    ['net.ipv4.ip_forward', 'net/ipv4/ip_forward'],
    ['net/ipv4/ip_forward', 'net/ipv4/ip_forward'],
    ['net.ipv6.conf.eth0.accept_ra', 'net/ipv6/conf/eth0/accept_ra'],
    // dots first: '/' inside a name stands for a dot (VLAN interface eth0.100)
    ['net.ipv6.conf.eth0/100.accept_ra', 'net/ipv6/conf/eth0.100/accept_ra'],
    // slashes first: dots are left alone
    ['net/ipv6/conf/eth0.100/accept_ra', 'net/ipv6/conf/eth0.100/accept_ra'],
    ['net/ipv4/conf/cni0.5/arp_notify', 'net/ipv4/conf/cni0.5/arp_notify'],
  ])('%s -> %s', (key, path) => expect(sysctlPath(key)).toBe(path));

  test.each([
    'kernel.hostname',
    'kernel/core_pattern',
    'net',
    'net..ipv4',
    'net/ipv4/../../kernel/x',
    'net/ipv4/conf/a b/x',
    'net/ipv4/conf/a"b/x',
    'net/ipv4/conf/$x/y',
    '/net/ipv4/ip_forward',
    'net.ipv4.conf.a;b.x',
  ])('rejects %j (only net/ keys, safe segments)', (key) => {
    expect(() => sysctlPath(key)).toThrow('invalid sysctl key');
  });

  test('values', () => {
    expect(checkSysctlValue(1)).toBe('1');
    expect(checkSysctlValue('0')).toBe('0');
    expect(checkSysctlValue(-1)).toBe('-1');
    for (const bad of ['', '1 2', '1\n2', '$(id)', '`x`', '"1"', '1;2'])
      expect(() => checkSysctlValue(bad)).toThrow('invalid sysctl value');
  });
});
