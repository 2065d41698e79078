import type { Plugin } from '../lib/cni/plugin';
import { flushStdout, processIo } from '../lib/cni/process-io';
import { dispatch } from '../lib/cni/skel';
import { ALL_VERSIONS } from '../lib/cni/version';
import { isPluginName, lookupPlugin, PLUGIN_NAMES } from './registry';

// The binary's entry, the top of the import graph: the only file that sees the plugin registry
// and the CLI. It dispatches on the name the runtime executed (a link named after a plugin).

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
  const invokedAs = baseName(process.argv0);
  const command = process.env.CNI_COMMAND;
  if (isPluginName(invokedAs) && (command === 'VERSION' || !command)) {
    process.exitCode = await dispatch(versionOnly(invokedAs), processIo());
    return;
  }
  const plugin = lookupPlugin(invokedAs);
  if (!plugin) {
    // A runtime executing this file (no arguments, CNI_COMMAND set) under a name that is no
    // plugin: say so instead of printing CLI usage.
    const args = process.argv.slice(2);
    if (process.env.CNI_COMMAND && args.length === 0) {
      process.stderr.write(
        `cni-ts: invoked as "${invokedAs}"; run it through one of its plugin names (${PLUGIN_NAMES.join(', ')}), e.g. a link /opt/cni/bin/bridge -> cni-ts\n`,
      );
      process.exitCode = 2;
      return;
    }
    // Any other name (cni-ts itself) is the cnitool-style CLI, loaded only on this path.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runCli } = require('../lib/cli') as typeof import('../lib/cli');
    process.exitCode = await runCli(args, process.env, PLUGIN_NAMES);
    return;
  }
  const started = process.env.CNI_TS_TRACE ? performance.now() : 0;
  process.exitCode = await dispatch(plugin, { ...processIo(), plugins: lookupPlugin });
  if (process.env.CNI_TS_TRACE) traceTimes(invokedAs, started);
  // Once the result is written nothing is left running: exit now rather than through Node's
  // full teardown (~1.4 ms per call measured).
  await flushStdout();
  process.exit();
}

/** path.basename without node:path, which alone adds ~1-3 MiB to every call of the executable. */
function baseName(file: string): string {
  const trimmed = file.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
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
