import yargsParser from 'yargs-parser';
import type { InstallOptions } from './installer';

export const COMMANDS = ['add', 'check', 'del', 'status', 'gc'] as const;
export type CliCommand = (typeof COMMANDS)[number];

// STATUS and GC act on a whole network, not on one attachment: cnitool insists on a namespace
// argument anyway and ignores it; here it is optional (and still ignored).
const NEEDS_NETNS: readonly CliCommand[] = ['add', 'check', 'del'];

export type Invocation =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'plugins' }
  | { kind: 'run'; command: CliCommand; network: string; netns?: string; ifName?: string }
  | { kind: 'install'; options: InstallOptions };

/** The exit status for a command line that cannot be run. */
export const USAGE_EXIT = 2;

/** A command line that cannot be run; the CLI prints the message and the usage. */
export class UsageError extends Error {}

const KNOWN_OPTIONS = new Set(['_', 'help', 'version', 'ifname']);

function single(value: unknown, option: string): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new UsageError(`option --${option} given more than once`);
  if (typeof value !== 'string' || value === '') throw new UsageError(`option --${option} needs a value`);
  return value;
}

const PARSER_CONFIGURATION = {
  'camel-case-expansion': false,
  'dot-notation': false,
  'parse-numbers': false,
  'parse-positional-numbers': false,
  'strip-aliased': true,
  'boolean-negation': false,
};

function rejectUnknown(opts: Record<string, unknown>, known: ReadonlySet<string>): void {
  const unknown = Object.keys(opts).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new UsageError(`unknown option ${unknown.map((k) => (k.length === 1 ? `-${k}` : `--${k}`)).join(', ')}`);
  }
}

const INSTALL_OPTIONS = new Set(['_', 'bin-dir', 'conf', 'conf-dir', 'conf-name', 'watch', 'interval', 'uninstall', 'pod-cidr-from-node']);

function parseInstallArgv(argv: readonly string[]): Invocation {
  const parsed = yargsParser.detailed([...argv], {
    boolean: ['watch', 'uninstall', 'pod-cidr-from-node'],
    string: ['bin-dir', 'conf', 'conf-dir', 'conf-name', 'interval'],
    configuration: PARSER_CONFIGURATION,
  });
  if (parsed.error) throw new UsageError(parsed.error.message);
  const opts = parsed.argv;
  rejectUnknown(opts, INSTALL_OPTIONS);
  if (opts._.length > 0) throw new UsageError(`install: unexpected argument "${opts._[0]}"`);
  const binDir = single(opts['bin-dir'], 'bin-dir');
  if (binDir === undefined) throw new UsageError('install: missing --bin-dir (e.g. /host/opt/cni/bin)');
  const conf = single(opts.conf, 'conf');
  const confDir = single(opts['conf-dir'], 'conf-dir');
  if ((conf === undefined) !== (confDir === undefined)) throw new UsageError('install: --conf and --conf-dir go together');
  const confName = single(opts['conf-name'], 'conf-name');
  if (confName !== undefined && (conf === undefined || confName.includes('/') || confName.startsWith('.'))) {
    throw new UsageError('install: --conf-name needs --conf and is a plain file name');
  }
  const interval = single(opts.interval, 'interval') ?? '5';
  const intervalSeconds = Number(interval);
  if (!/^\d+(\.\d+)?$/.test(interval) || intervalSeconds < 0.1 || intervalSeconds > 3600) {
    throw new UsageError(`install: --interval "${interval}" is not a number of seconds between 0.1 and 3600`);
  }
  if (opts.uninstall && opts.watch) throw new UsageError('install: --uninstall and --watch exclude each other');
  if (opts['pod-cidr-from-node'] && conf === undefined) throw new UsageError('install: --pod-cidr-from-node needs --conf');
  return {
    kind: 'install',
    options: {
      binDir,
      conf,
      confDir,
      confName,
      watch: opts.watch === true,
      intervalSeconds,
      uninstall: opts.uninstall === true,
      podCidrFromNode: opts['pod-cidr-from-node'] === true,
    },
  };
}

export function parseArgv(argv: readonly string[]): Invocation {
  // The installer has options of its own; every other command shares one set.
  if (argv[0] === 'install') return parseInstallArgv(argv.slice(1));
  const parsed = yargsParser.detailed([...argv], {
    boolean: ['help', 'version'],
    string: ['ifname'],
    alias: { help: ['h'], ifname: ['i'] },
    configuration: PARSER_CONFIGURATION,
  });
  if (parsed.error) throw new UsageError(parsed.error.message);
  const opts = parsed.argv;
  rejectUnknown(opts, KNOWN_OPTIONS);
  if (opts.help) return { kind: 'help' };
  if (opts.version) return { kind: 'version' };

  const positional = opts._.map(String);
  if (positional.length === 0) throw new UsageError('missing command');
  if (positional[0] === 'plugins') {
    if (positional.length > 1) throw new UsageError(`plugins: unexpected argument "${positional[1]}"`);
    return { kind: 'plugins' };
  }
  const command = positional[0].toLowerCase() as CliCommand;
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown command "${positional[0]}"`);
  const network = positional[1];
  if (network === undefined || network === '') throw new UsageError(`${command}: missing <network-name>`);
  const netns = positional[2];
  if (NEEDS_NETNS.includes(command) && (netns === undefined || netns === '')) {
    throw new UsageError(`${command}: missing <netns-path> (e.g. /run/netns/<name>)`);
  }
  if (positional.length > 3) throw new UsageError(`${command}: unexpected argument "${positional[3]}"`);
  return { kind: 'run', command, network, netns, ifName: single(opts.ifname, 'ifname') };
}
