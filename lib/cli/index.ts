import { netnsState } from '../cni/netns-path';
import type { Env } from '../cni/plugin';
import { resultText } from '../cni/result';
import { parseArgv, UsageError, USAGE_EXIT, type Invocation } from './args';
import { describeFailure, PluginFailure } from './failure';
import { help, usage, versionText } from './help';
import { runInstaller } from './installer';
import type { CliContext } from './invoke-plugin';
import { loadNetworkList } from './network-list';
import { addNetworkList, checkNetworkList, delNetworkList, gcNetworkList, statusNetworkList } from './network-ops';
import { DEFAULT_CACHE_DIR } from './result-cache';
import { runtimeConfFromEnv } from './runtime-conf';

// The cnitool-compatible client built into the cni-ts binary (`cni-ts add <net> <netns>`).

export const DEFAULT_NETCONF_PATH = '/etc/cni/net.d';
export const DEFAULT_CNI_PATH = '/opt/cni/bin';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

async function execute(inv: Extract<Invocation, { kind: 'run' }>, env: Env, io: CliIo): Promise<void> {
  const netconfPath = env.NETCONFPATH || DEFAULT_NETCONF_PATH;
  const ctx: CliContext = {
    cniPath: (env.CNI_PATH || DEFAULT_CNI_PATH).split(':').filter((d) => d !== ''),
    cacheDir: env.CNI_CACHE_DIR || DEFAULT_CACHE_DIR,
    env,
    stderr: io.stderr,
  };
  const list = loadNetworkList(netconfPath, inv.network, (msg) => io.stderr(`cni-ts: warning: ${msg}\n`));
  const rt = () => runtimeConfFromEnv(env, inv.netns ?? '', inv.ifName);

  switch (inv.command) {
    case 'add': {
      const result = await addNetworkList(ctx, list, rt());
      io.stdout(`${resultText(result, result.cniVersion)}\n`);
      return;
    }
    case 'check':
      if ((await checkNetworkList(ctx, list, rt())) === 'disabled') {
        io.stderr(`cni-ts: network "${list.name}" sets disableCheck: nothing checked\n`);
      }
      return;
    case 'del':
      return delNetworkList(ctx, list, rt());
    case 'status':
      if ((await statusNetworkList(ctx, list)) === 'unsupported') {
        io.stderr(
          `cni-ts: network "${list.name}" is cniVersion ${list.cniVersion || '0.1.0'}; STATUS needs 1.1.0 or later: nothing asked\n`,
        );
      }
      return;
    case 'gc': {
      // Without a runtime to ask, an attachment is valid while its network namespace exists.
      const report = await gcNetworkList(ctx, list, (a) => a.netns !== '' && ['ok', 'own'].includes(netnsState(a.netns)));
      if (report.disabled) io.stderr(`cni-ts: network "${list.name}" sets disableGC: nothing collected\n`);
      for (const a of report.removed)
        io.stderr(`cni-ts: removed stale attachment ${a.containerId} ${a.ifName} (namespace ${a.netns || '(none)'} is gone)\n`);
      if (!report.disabled && !report.pluginsCalled) {
        io.stderr(
          `cni-ts: network "${list.name}" is cniVersion ${list.cniVersion || '0.1.0'}; plugin GC needs 1.1.0 or later: only cached attachments were checked\n`,
        );
      }
      return;
    }
  }
}

/**
 * Runs one CLI command line; returns the exit status (0 ok, 1 failed, 2 wrong usage). Never throws.
 * `plugins` are the names this executable answers to (the entry passes the plugin registry's).
 */
export async function runCli(argv: readonly string[], env: Env, plugins: readonly string[], io: CliIo = processIo): Promise<number> {
  let inv: Invocation;
  try {
    inv = parseArgv(argv);
  } catch (e) {
    io.stderr(
      `cni-ts: ${e instanceof UsageError ? e.message : String(e)}\n\n${usage(plugins)}\nRun "cni-ts --help" for the environment variables it reads.\n`,
    );
    return USAGE_EXIT;
  }
  if (inv.kind === 'help') {
    io.stdout(help(plugins));
    return 0;
  }
  if (inv.kind === 'plugins') {
    io.stdout(`${plugins.join('\n')}\n`);
    return 0;
  }
  if (inv.kind === 'version') {
    io.stdout(versionText());
    return 0;
  }
  if (inv.kind === 'install') {
    return runInstaller(
      inv.options,
      env,
      plugins,
      (line) => io.stdout(`cni-ts install: ${line}\n`),
      (line) => io.stderr(`cni-ts install: ${line}\n`),
    );
  }
  try {
    await execute(inv, env, io);
    return 0;
  } catch (e) {
    io.stderr(describeFailure(e));
    if (e instanceof PluginFailure && e.operation === 'add' && e.afterPluginRan) {
      io.stderr(`cni-ts: the chain may have left a partial attachment; "cni-ts del ${inv.network} ${inv.netns}" removes it\n`);
    }
    if (env.CNI_TS_DEBUG && e instanceof Error && e.stack) io.stderr(`${e.stack}\n`);
    return 1;
  }
}
