import { parseArgv, UsageError } from '../../../lib/cli/args';

describe('CLI argument parsing', () => {
  it('reads a command, a network and a namespace path', () => {
    expect(parseArgv(['add', 'cni-ts-bridge', '/run/netns/pod1'])).toEqual({
      kind: 'run',
      command: 'add',
      network: 'cni-ts-bridge',
      netns: '/run/netns/pod1',
      ifName: undefined,
    });
  });

  it.each(['add', 'check', 'del', 'status', 'gc'])('knows the command %s', (cmd) => {
    expect(parseArgv([cmd, 'net', '/run/netns/x'])).toMatchObject({ kind: 'run', command: cmd });
  });

  it('accepts commands in any case, like the CNI_COMMAND names', () => {
    expect(parseArgv(['DEL', 'net', '/run/netns/x'])).toMatchObject({ command: 'del' });
  });

  it('takes the interface name from -i / --ifname', () => {
    expect(parseArgv(['add', 'net', '/ns', '-i', 'net1'])).toMatchObject({ ifName: 'net1' });
    expect(parseArgv(['--ifname=eth5', 'add', 'net', '/ns'])).toMatchObject({ ifName: 'eth5' });
  });

  it('keeps names that look like numbers as strings', () => {
    expect(parseArgv(['add', '0123', '/ns'])).toMatchObject({ network: '0123' });
  });

  it('answers --help and --version before anything else', () => {
    expect(parseArgv(['--help'])).toEqual({ kind: 'help' });
    expect(parseArgv(['-h'])).toEqual({ kind: 'help' });
    expect(parseArgv(['add', '--help'])).toEqual({ kind: 'help' });
    expect(parseArgv(['--version'])).toEqual({ kind: 'version' });
  });

  it('makes the namespace optional for status and gc only', () => {
    expect(parseArgv(['status', 'net'])).toMatchObject({ command: 'status', netns: undefined });
    expect(parseArgv(['gc', 'net'])).toMatchObject({ command: 'gc', netns: undefined });
    for (const cmd of ['add', 'check', 'del']) expect(() => parseArgv([cmd, 'net'])).toThrow(/missing <netns-path>/);
  });

  it.each([
    [[], /missing command/],
    [['attach', 'net', '/ns'], /unknown command "attach"/],
    [['add'], /missing <network-name>/],
    [['add', 'net', '/ns', 'extra'], /unexpected argument "extra"/],
    [['add', 'net', '/ns', '--verbose'], /unknown option --verbose/],
    [['add', 'net', '/ns', '-x'], /unknown option -x/],
    [['add', 'net', '/ns', '-i'], /--ifname needs a value/],
    [['add', 'net', '/ns', '-i', 'a', '-i', 'b'], /more than once/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseArgv(argv as string[])).toThrow(UsageError);
    expect(() => parseArgv(argv as string[])).toThrow(message as RegExp);
  });
});
