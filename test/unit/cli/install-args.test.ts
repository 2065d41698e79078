import { parseArgv, UsageError } from '../../../lib/cli/args';

const BASE = ['install', '--bin-dir', '/host/opt/cni/bin'];

describe('cni-ts install arguments', () => {
  it('reads the directories, the config and the watch settings', () => {
    expect(
      parseArgv([...BASE, '--conf-dir', '/host/etc/cni/net.d', '--conf', '/etc/cni-ts/10-cni-ts.conflist', '--watch', '--interval', '2.5']),
    ).toEqual({
      kind: 'install',
      options: {
        binDir: '/host/opt/cni/bin',
        confDir: '/host/etc/cni/net.d',
        conf: '/etc/cni-ts/10-cni-ts.conflist',
        confName: undefined,
        watch: true,
        intervalSeconds: 2.5,
        uninstall: false,
        podCidrFromNode: false,
      },
    });
  });

  it('defaults to one pass, polling every 5 s when watching', () => {
    expect(parseArgv(BASE)).toMatchObject({ options: { watch: false, intervalSeconds: 5, uninstall: false, conf: undefined } });
  });

  it.each([
    [['install'], 'missing --bin-dir'],
    [[...BASE, '--conf', 'x'], '--conf and --conf-dir go together'],
    [[...BASE, '--conf-dir', 'x'], '--conf and --conf-dir go together'],
    [[...BASE, '--conf', 'x', '--conf-dir', 'd', '--conf-name', '../y'], 'plain file name'],
    [[...BASE, '--interval', '0'], 'between 0.1 and 3600'],
    [[...BASE, '--interval', '1e3'], 'between 0.1 and 3600'],
    [[...BASE, '--watch', '--uninstall'], 'exclude each other'],
    [[...BASE, '--pod-cidr-from-node'], '--pod-cidr-from-node needs --conf'],
    [[...BASE, '--bin-dir', '/other'], 'more than once'],
    [[...BASE, '--ifname', 'eth0'], 'unknown option --ifname'],
    [[...BASE, 'extra'], 'unexpected argument "extra"'],
  ])('rejects %j', (argv, message) => {
    expect(() => parseArgv(argv)).toThrow(UsageError);
    expect(() => parseArgv(argv)).toThrow(message);
  });
});
