import { CniError, ErrCode } from '../cni/errors';
import { findInPath } from '../cni/invoke';
import { formatResult, type Result } from '../cni/result';
import { validateContainerId, validateIfName, validateNetworkName } from '../cni/validate';
import { IMPLICIT_VERSION, versionAtLeast } from '../cni/version';
import { Failures, PluginFailure, WrappedFailure } from './failure';
import { parseAddOutput, runPlugin, type CliContext } from './invoke-plugin';
import type { NetworkList } from './network-list';
import { describePlugin, pluginStdin, type GcAttachment } from './plugin-request';
import { cachedAttachments, deleteCachedResult, readCachedResult, writeCachedResult, type CachedAttachment } from './result-cache';
import type { RuntimeConf } from './runtime-conf';

/** Codes a plugin answers with when it rejects its input, before changing anything. */
const INPUT_ERRORS: ReadonlySet<number> = new Set([
  ErrCode.IncompatibleCniVersion,
  ErrCode.UnsupportedField,
  ErrCode.InvalidEnvironmentVariables,
  ErrCode.DecodingFailure,
  ErrCode.InvalidNetworkConfig,
]);

// What libcni does for a network list (api.go: AddNetworkList, CheckNetworkList, DelNetworkList,
// GCNetworkList, GetStatusNetworkList), step for step.

function listVersionAtLeast(list: NetworkList, min: string): boolean {
  try {
    return versionAtLeast(list.cniVersion || IMPLICIT_VERSION, min);
  } catch {
    throw new Error(`network "${list.name}" has an invalid cniVersion "${list.cniVersion}" (expected X.Y.Z)`);
  }
}

/** ADD through the chain in order, each plugin getting the previous one's result; caches the last. */
export async function addNetworkList(ctx: CliContext, list: NetworkList, rt: RuntimeConf): Promise<Result> {
  validateContainerId(rt.containerId);
  validateNetworkName(list.name);
  validateIfName(rt.ifName);
  let result: Result | undefined;
  for (const plugin of list.plugins) {
    let executed = false;
    try {
      const file = findInPath(plugin.type, ctx.cniPath);
      const prevResult = result && formatResult(result, result.cniVersion);
      executed = true;
      const stdout = await runPlugin(ctx, file, 'ADD', pluginStdin(list, plugin, { prevResult, rt }), rt);
      result = parseAddOutput(stdout, list.cniVersion);
    } catch (e) {
      // Something may be half made when an earlier plugin succeeded, or when this one failed
      // other than by rejecting its input (which plugins do before acting).
      const rejectedInput = e instanceof CniError && INPUT_ERRORS.has(e.code);
      throw new PluginFailure(describePlugin(plugin), 'add', e, result !== undefined || (executed && !rejectedInput));
    }
  }
  if (!result) throw new Error(`network "${list.name}" has no plugins`);
  try {
    writeCachedResult(ctx.cacheDir, list, rt, result);
  } catch (e) {
    throw new WrappedFailure(`failed to set network "${list.name}" cached result`, e);
  }
  return result;
}

export type CheckOutcome = 'checked' | 'disabled';

/** CHECK through the chain in order against the cached result; skipped when the list says disableCheck. */
export async function checkNetworkList(ctx: CliContext, list: NetworkList, rt: RuntimeConf): Promise<CheckOutcome> {
  if (!listVersionAtLeast(list, '0.4.0')) throw new Error(`configuration version "${list.cniVersion}" does not support the CHECK command`);
  if (list.disableCheck) return 'disabled';
  let prevResult;
  try {
    prevResult = readCachedResult(ctx.cacheDir, list, rt);
  } catch (e) {
    throw new WrappedFailure(`failed to get network "${list.name}" cached result`, e);
  }
  for (const plugin of list.plugins) {
    try {
      const file = findInPath(plugin.type, ctx.cniPath);
      await runPlugin(ctx, file, 'CHECK', pluginStdin(list, plugin, { prevResult, rt }), rt);
    } catch (e) {
      throw new PluginFailure(describePlugin(plugin), 'check', e);
    }
  }
  return 'checked';
}

/**
 * DEL through the chain in reverse, stopping at the first failure (the cache entry then stays,
 * so a retry still has prevResult). An unreadable cache entry is dropped, not fatal: DEL must
 * work without prevResult.
 */
export async function delNetworkList(ctx: CliContext, list: NetworkList, rt: RuntimeConf): Promise<void> {
  let prevResult;
  if (listVersionAtLeast(list, '0.4.0')) {
    try {
      prevResult = readCachedResult(ctx.cacheDir, list, rt);
    } catch {
      deleteCachedResult(ctx.cacheDir, list.name, rt);
    }
  }
  for (const plugin of [...list.plugins].reverse()) {
    try {
      const file = findInPath(plugin.type, ctx.cniPath);
      await runPlugin(ctx, file, 'DEL', pluginStdin(list, plugin, { prevResult, rt }), rt);
    } catch (e) {
      throw new PluginFailure(describePlugin(plugin), 'delete', e);
    }
  }
  deleteCachedResult(ctx.cacheDir, list.name, rt);
}

export interface GcReport {
  disabled: boolean;
  removed: CachedAttachment[];
  kept: CachedAttachment[];
  /** False when the list's version predates GC, so plugins were not asked. */
  pluginsCalled: boolean;
}

/**
 * libcni's GC: every cached attachment of this network that `isValid` rejects gets a full DEL
 * (with the namespace, CNI_ARGS and capability args cached at ADD time); then, from version
 * 1.1.0, every plugin gets GC with the still-valid attachments under `cni.dev/valid-attachments`
 * (and the older key `cni.dev/attachments`). Goes on past failures and reports them all.
 */
export async function gcNetworkList(ctx: CliContext, list: NetworkList, isValid: (a: CachedAttachment) => boolean): Promise<GcReport> {
  const report: GcReport = { disabled: list.disableGC, removed: [], kept: [], pluginsCalled: false };
  if (list.disableGC) return report;
  const failures: unknown[] = [];
  for (const a of cachedAttachments(ctx.cacheDir)) {
    if (a.network !== list.name) continue;
    if (isValid(a)) {
      report.kept.push(a);
      continue;
    }
    const rt: RuntimeConf = {
      containerId: a.containerId,
      netns: a.netns,
      ifName: a.ifName,
      args: a.args,
      capabilityArgs: a.capabilityArgs,
    };
    try {
      await delNetworkList(ctx, list, rt);
      report.removed.push(a);
    } catch (e) {
      failures.push(new WrappedFailure(`failed to delete stale attachment ${a.containerId} ${a.ifName}`, e));
    }
  }
  if (listVersionAtLeast(list, '1.1.0')) {
    report.pluginsCalled = true;
    const validAttachments: GcAttachment[] = report.kept.map((a) => ({ containerID: a.containerId, ifname: a.ifName }));
    for (const plugin of list.plugins) {
      try {
        const file = findInPath(plugin.type, ctx.cniPath);
        await runPlugin(ctx, file, 'GC', pluginStdin(list, plugin, { validAttachments }));
      } catch (e) {
        failures.push(new PluginFailure(describePlugin(plugin), 'gc', e));
      }
    }
  }
  if (failures.length > 0) throw new Failures(failures);
  return report;
}

export type StatusOutcome = 'ready' | 'unsupported';

/** STATUS to every plugin in order, stopping at the first that is not ready (its code is the answer). */
export async function statusNetworkList(ctx: CliContext, list: NetworkList): Promise<StatusOutcome> {
  if (!listVersionAtLeast(list, '1.1.0')) return 'unsupported';
  for (const plugin of list.plugins) {
    try {
      const file = findInPath(plugin.type, ctx.cniPath);
      await runPlugin(ctx, file, 'STATUS', pluginStdin(list, plugin, {}));
    } catch (e) {
      throw new PluginFailure(describePlugin(plugin), 'status', e);
    }
  }
  return 'ready';
}
