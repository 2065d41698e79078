import { errorFromOutput, execPlugin, type PluginOutcome } from '../cni/invoke';
import type { Env } from '../cni/plugin';
import { parseResult, type Result } from '../cni/result';
import { IMPLICIT_VERSION } from '../cni/version';
import { pluginEnv, type Verb } from './plugin-request';
import type { RuntimeConf } from './runtime-conf';

/** Where the CLI finds plugins and keeps its cache, and where plugin chatter goes. */
export interface CliContext {
  cniPath: string[];
  cacheDir: string;
  /** The environment plugins inherit (the CNI_* variables are set per call). */
  env: Env;
  stderr(text: string): void;
}

/** libcni's wording for a plugin that failed without printing a CNI error object. */
function unstructuredFailure(o: PluginOutcome): Error {
  const status = `exit status ${o.status}`;
  if (o.stdout.trim() !== '')
    return new Error(`netplugin failed but error parsing its diagnostic message ${JSON.stringify(o.stdout.trim())} (${status})`);
  if (o.stderr.trim() !== '') return new Error(`netplugin failed: ${JSON.stringify(o.stderr.trim())}: ${status}`);
  return new Error(`netplugin failed with no error message: ${status}`);
}

/**
 * Runs the plugin at `file` for `verb` and returns its stdout. The plugin's stderr is passed on;
 * a failure is thrown as the CniError it printed (code, msg, details) when it printed one.
 */
export async function runPlugin(ctx: CliContext, file: string, verb: Verb, stdin: string, rt?: RuntimeConf): Promise<string> {
  let outcome: PluginOutcome;
  try {
    outcome = await execPlugin(file, pluginEnv(ctx.env, verb, ctx.cniPath, rt), stdin);
  } catch (e) {
    throw new Error(`failed to run ${file}: ${(e as Error).message}`, { cause: e });
  }
  const failed = outcome.status !== 0;
  // A failure without stdout is reported with its stderr text: do not print that twice.
  if (outcome.stderr && !(failed && outcome.stdout.trim() === '')) ctx.stderr(outcome.stderr);
  if (failed) throw errorFromOutput(outcome.stdout) ?? unstructuredFailure(outcome);
  return outcome.stdout;
}

/**
 * An ADD result as libcni reads it: a result without cniVersion is taken to be in the config's
 * version (cni#895), not the spec's literal 0.1.0.
 */
export function parseAddOutput(stdout: string, configVersion: string): Result {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch (e) {
    throw new Error(`failed to unmarshal raw result: ${(e as Error).message}`, { cause: e });
  }
  return parseResult(json ?? {}, configVersion || IMPLICIT_VERSION);
}
