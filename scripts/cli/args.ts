import yargsParser from 'yargs-parser';

export const COMMANDS = ['add', 'check', 'del', 'status', 'gc'] as const;
export type CliCommand = (typeof COMMANDS)[number];

// STATUS and GC act on a whole network, not on one attachment: cnitool insists on a namespace
// argument anyway and ignores it; here it is optional (and still ignored).
const NEEDS_NETNS: readonly CliCommand[] = ['add', 'check', 'del'];

export type Invocation =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; command: CliCommand; network: string; netns?: string; ifName?: string };

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

export function parseArgv(argv: readonly string[]): Invocation {
  const parsed = yargsParser.detailed([...argv], {
    boolean: ['help', 'version'],
    string: ['ifname'],
    alias: { help: ['h'], ifname: ['i'] },
    configuration: {
      'camel-case-expansion': false,
      'dot-notation': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'strip-aliased': true,
      'boolean-negation': false,
    },
  });
  if (parsed.error) throw new UsageError(parsed.error.message);
  const opts = parsed.argv;
  const unknown = Object.keys(opts).filter((k) => !KNOWN_OPTIONS.has(k));
  if (unknown.length > 0) {
    throw new UsageError(`unknown option ${unknown.map((k) => (k.length === 1 ? `-${k}` : `--${k}`)).join(', ')}`);
  }
  if (opts.help) return { kind: 'help' };
  if (opts.version) return { kind: 'version' };

  const positional = opts._.map(String);
  if (positional.length === 0) throw new UsageError('missing command');
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
