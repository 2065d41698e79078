import path from 'node:path';
import type { Plugin } from './cni/plugin';
import { processIo } from './cni/process-io';
import { dispatch } from './cni/skel';
import { ALL_VERSIONS } from './cni/version';

// The only file that knows every plugin. Each is required lazily so that an invocation
// initialises just the code of the plugin it runs (start-up time is pod start-up time).
/* eslint-disable @typescript-eslint/no-require-imports */
const PLUGINS: Record<string, () => Plugin> = {
  'host-local': () => (require('../plugins/host-local') as typeof import('../plugins/host-local')).hostLocal,
  bridge: () => (require('../plugins/bridge') as typeof import('../plugins/bridge')).bridge,
  macvlan: () => (require('../plugins/macvlan') as typeof import('../plugins/macvlan')).macvlan,
  dummy: () => (require('../plugins/dummy') as typeof import('../plugins/dummy')).dummy,
};
/* eslint-enable @typescript-eslint/no-require-imports */

function isPluginName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(PLUGINS, name);
}

function pluginFor(name: string): Plugin | undefined {
  return isPluginName(name) ? PLUGINS[name]() : undefined;
}

/**
 * VERSION (podman sends it for every plugin, all the time) and the about text need only a name
 * and the versions, which every plugin here shares: answered without loading any plugin code or
 * the process-spawning modules (~5 ms less per call).
 */
function versionOnly(name: string): Plugin {
  const never = (): never => {
    throw new Error(`${name}: only VERSION is answered here`);
  };
  return { name, supportedVersions: ALL_VERSIONS, add: never, del: never, check: never, status: never, gc: never };
}

async function main(): Promise<void> {
  // argv0 keeps the name the runtime executed (a link named after the plugin); execPath would
  // resolve the link to the single real binary.
  const invokedAs = path.basename(process.argv0);
  const command = process.env.CNI_COMMAND;
  if (isPluginName(invokedAs) && (command === 'VERSION' || !command)) {
    process.exitCode = await dispatch(versionOnly(invokedAs), processIo());
    return;
  }
  const plugin = pluginFor(invokedAs);
  if (!plugin) {
    // A runtime executing this file (no arguments, CNI_COMMAND set) under a name that is no
    // plugin: say so instead of printing CLI usage.
    const args = process.argv.slice(2);
    if (process.env.CNI_COMMAND && args.length === 0) {
      process.stderr.write(
        `cni-ts: invoked as "${invokedAs}"; run it through one of its plugin names (${Object.keys(PLUGINS).join(', ')}), e.g. a link /opt/cni/bin/bridge -> cni-ts\n`,
      );
      process.exitCode = 2;
      return;
    }
    // Any other name (cni-ts itself) is the cnitool-style CLI, loaded only on this path.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runCli } = require('../scripts/cli') as typeof import('../scripts/cli');
    process.exitCode = await runCli(args, process.env);
    return;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('./cni/invoke') as typeof import('./cni/invoke')).registerInProcessPlugins(pluginFor);
  const started = process.env.CNI_TS_TRACE ? performance.now() : 0;
  process.exitCode = await dispatch(plugin, processIo());
  if (process.env.CNI_TS_TRACE) traceTimes(invokedAs, started);
  // Everything is written (stdout/stderr are synchronous for files, pipes and terminals on
  // Linux) and nothing is left running: exit now rather than through Node's full teardown
  // (~1.4 ms per call measured).
  process.exit();
}

/**
 * CNI_TS_TRACE=1: one line on stderr with where the time went (runtimes log a plugin's stderr):
 * start-up until the plugin ran, the plugin's own wall time, and this process's CPU time
 * (children such as ip and iptables-restore not included).
 */
function traceTimes(name: string, started: number): void {
  const cpu = process.cpuUsage();
  const ms = (n: number) => n.toFixed(1);
  process.stderr.write(
    `cni-ts trace: ${name} ${process.env.CNI_COMMAND ?? ''} start-up ${ms(started)} ms, plugin ${ms(performance.now() - started)} ms, ` +
      `process cpu ${ms(cpu.user / 1000)} user + ${ms(cpu.system / 1000)} sys ms\n`,
  );
}

void main();
