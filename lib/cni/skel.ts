import { CniError, ErrCode, toCniError } from './errors';
import type { Command, Env, Plugin, PluginIo, Request } from './plugin';
import { outputJson } from './output-json';
import { resultText } from './result';
import { validateContainerId, validateIfName, validateNetworkName } from './validate';
import { configVersion, CURRENT_VERSION, isSupported, versionAtLeast, versionInfoJson } from './version';
import { isJsonObject, lookup, type JsonObject } from './config';

export const CNI_TS_VERSION = '0.1.0';

const COMMANDS: readonly Command[] = ['ADD', 'DEL', 'CHECK', 'STATUS', 'GC', 'VERSION'];

// Which variables each command needs (CNI_NETNS is optional on DEL: runtimes send DEL after the
// namespace is gone). CNI_PATH is needed everywhere a delegate may be called.
const REQUIRED: Record<string, readonly Command[]> = {
  CNI_CONTAINERID: ['ADD', 'DEL', 'CHECK'],
  CNI_NETNS: ['ADD', 'CHECK'],
  CNI_IFNAME: ['ADD', 'DEL', 'CHECK'],
  CNI_PATH: ['ADD', 'DEL', 'CHECK', 'STATUS', 'GC'],
};

// The lowest config version that allows a command at all.
const MIN_VERSION: Partial<Record<Command, string>> = { CHECK: '0.4.0', STATUS: '1.1.0', GC: '1.1.0' };

function aboutText(plugin: Plugin): string {
  return `CNI ${plugin.name} plugin (cni-ts ${CNI_TS_VERSION})\nCNI protocol versions supported: ${plugin.supportedVersions.join(', ')}\n`;
}

function requiredVars(env: Env, cmd: Command): void {
  const missing = Object.keys(REQUIRED).filter((v) => REQUIRED[v].includes(cmd) && !env[v]);
  if (missing.length > 0) {
    throw new CniError(ErrCode.InvalidEnvironmentVariables, `required env variables [${missing.join(',')}] missing`);
  }
}

/** The network name, found case-insensitively like Go's decoder, which also refuses a non-string. */
function networkName(conf: JsonObject): string {
  const name = lookup(conf, 'name');
  if (name === undefined || name === null) return '';
  if (typeof name !== 'string') {
    throw new CniError(ErrCode.DecodingFailure, `error unmarshall network config: name must be a string, got ${JSON.stringify(name)}`);
  }
  return name;
}

function parseStdin(stdin: Buffer): JsonObject {
  let conf: unknown;
  try {
    conf = JSON.parse(stdin.toString('utf8'));
  } catch (e) {
    throw new CniError(ErrCode.DecodingFailure, `error unmarshall network config: ${(e as Error).message}`);
  }
  if (!isJsonObject(conf)) throw new CniError(ErrCode.DecodingFailure, 'error unmarshall network config: stdin is not a JSON object');
  return conf;
}

function checkVersion(plugin: Plugin, cmd: Command, version: string): void {
  const min = MIN_VERSION[cmd];
  if (min && !versionAtLeast(version, min)) {
    throw new CniError(
      ErrCode.IncompatibleCniVersion,
      `config version does not allow ${cmd}`,
      `config is "${version}", ${cmd} needs ${min} or later`,
    );
  }
  if (!isSupported(version, plugin.supportedVersions)) {
    throw new CniError(
      ErrCode.IncompatibleCniVersion,
      'incompatible CNI versions',
      `config is "${version}", plugin supports [${plugin.supportedVersions.map((v) => JSON.stringify(v)).join(' ')}]`,
    );
  }
}

function checkNetns(env: Env, cmd: Command, netns: string): void {
  // STATUS and GC have no CNI_NETNS at all.
  if (netns === '' || (cmd !== 'ADD' && cmd !== 'CHECK' && cmd !== 'DEL')) return;
  // Loaded here, not at start: it brings node:fs, which VERSION does without (~3 MiB, ~2 ms).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { netnsState } = require('./netns-path') as typeof import('./netns-path');
  const state = netnsState(netns);
  // DEL must succeed after the namespace is gone: only the own-namespace guard applies to it.
  if (cmd !== 'DEL') {
    if (state === 'missing') throw new CniError(ErrCode.UnknownContainer, `failed to open netns "${netns}": no such file or directory`);
    if (state === 'not-netns') throw new CniError(ErrCode.InvalidEnvironmentVariables, `CNI_NETNS "${netns}" is not a network namespace`);
  }
  // Go checks this after ADD/DEL already ran; checked first here, so the node's own namespace
  // is never touched.
  const override = (env.CNI_NETNS_OVERRIDE ?? '').toUpperCase();
  if (state === 'own' && override !== 'TRUE' && override !== '1') {
    throw new CniError(ErrCode.InvalidNetns, "plugin's netns and netns from CNI_NETNS should not be the same");
  }
}

async function run(plugin: Plugin, io: PluginIo, cmd: Command): Promise<void> {
  const env = io.env;
  if (cmd === 'VERSION') {
    io.stdout(versionInfoJson(plugin.supportedVersions));
    return;
  }
  requiredVars(env, cmd);
  const needsIds = cmd === 'ADD' || cmd === 'DEL' || cmd === 'CHECK';
  if (needsIds) {
    validateContainerId(env.CNI_CONTAINERID ?? '');
    validateIfName(env.CNI_IFNAME ?? '', { forDel: cmd === 'DEL' });
  }
  let stdin: Buffer;
  try {
    stdin = await io.readStdin();
  } catch (e) {
    throw new CniError(ErrCode.IoFailure, `error reading from stdin: ${(e as Error).message}`);
  }
  const conf = parseStdin(stdin);
  const name = networkName(conf);
  validateNetworkName(name);
  const version = configVersion(conf);
  checkVersion(plugin, cmd, version);
  const netns = env.CNI_NETNS ?? '';
  checkNetns(env, cmd, netns);

  const req: Request = {
    command: cmd,
    containerId: needsIds ? (env.CNI_CONTAINERID ?? '') : '',
    netns,
    ifName: needsIds ? (env.CNI_IFNAME ?? '') : '',
    args: env.CNI_ARGS ?? '',
    path: (env.CNI_PATH ?? '').split(':').filter((p) => p !== ''),
    stdin,
    conf,
    cniVersion: version,
    name,
    env,
    plugins: io.plugins,
  };
  switch (cmd) {
    case 'ADD':
      io.stdout(resultText(await plugin.add(req), version));
      return;
    case 'DEL':
      return plugin.del(req);
    case 'CHECK':
      return plugin.check(req);
    case 'STATUS':
      return plugin.status(req);
    case 'GC':
      return plugin.gc(req);
  }
}

function errorVersion(stdin?: Buffer): string {
  if (!stdin) return CURRENT_VERSION;
  try {
    return configVersion(JSON.parse(stdin.toString('utf8')));
  } catch {
    return CURRENT_VERSION;
  }
}

/**
 * Runs one CNI invocation: validates the environment and stdin, dispatches to the handler and
 * prints the result or a CNI error object. Returns the exit status. Never throws.
 */
export async function dispatch(plugin: Plugin, io: PluginIo): Promise<number> {
  const cmdRaw = io.env.CNI_COMMAND ?? '';
  if (cmdRaw === '') {
    io.stderr(aboutText(plugin));
    return 0;
  }
  let stdinSeen: Buffer | undefined;
  const recordingIo: PluginIo = {
    ...io,
    readStdin: async () => (stdinSeen = await io.readStdin()),
  };
  try {
    if (!(COMMANDS as readonly string[]).includes(cmdRaw)) {
      throw new CniError(ErrCode.InvalidEnvironmentVariables, `unknown CNI_COMMAND: ${cmdRaw}`);
    }
    await run(plugin, recordingIo, cmdRaw as Command);
    return 0;
  } catch (err) {
    const e = toCniError(err);
    io.stdout(outputJson(e.toJSON(errorVersion(stdinSeen)), 4));
    if (!(err instanceof CniError) && err instanceof Error && err.stack && io.env.CNI_TS_DEBUG) io.stderr(`${err.stack}\n`);
    return 1;
  }
}
