import type { JsonObject } from '../cni/config';
import type { Env } from '../cni/plugin';
import { canonicalJson, type NetworkList, type PluginConf } from './network-list';
import { runtimeConfigFor, type RuntimeConf } from './runtime-conf';
import { GC_ATTACHMENT_KEYS } from '../cni/gc-attachments';

export type Verb = 'ADD' | 'CHECK' | 'DEL' | 'GC' | 'STATUS';

export interface GcAttachment {
  containerID: string;
  ifname: string;
}

/**
 * A plugin's stdin, built like libcni: the plugin object with the list's `name` and
 * `cniVersion` put in, the previous result, and runtimeConfig holding only the capability
 * args the plugin declares `true` (none at all when nothing matches, so a runtimeConfig
 * written in the file stays). Keys end up sorted, as Go's encoder writes a decoded object.
 */
export function pluginStdin(
  list: NetworkList,
  plugin: PluginConf,
  extra: { prevResult?: JsonObject; rt?: RuntimeConf; validAttachments?: GcAttachment[] },
): string {
  const conf: JsonObject = { ...plugin.conf, name: list.name, cniVersion: list.cniVersion };
  if (extra.prevResult) conf.prevResult = extra.prevResult;
  if (extra.validAttachments) {
    // Under both keys, as libcni sends it (see GC_ATTACHMENT_KEYS).
    for (const key of GC_ATTACHMENT_KEYS) conf[key] = extra.validAttachments;
  }
  const rc = extra.rt && runtimeConfigFor(plugin.capabilities, extra.rt.capabilityArgs);
  if (rc) conf.runtimeConfig = rc;
  return canonicalJson(conf);
}

/** The CNI_* variables for one call; commands without an attachment send them empty, as libcni does. */
export function pluginEnv(base: Env, verb: Verb, cniPath: readonly string[], rt?: RuntimeConf): Env {
  return {
    ...base,
    CNI_COMMAND: verb,
    CNI_CONTAINERID: rt?.containerId ?? '',
    CNI_NETNS: rt?.netns ?? '',
    CNI_ARGS: (rt?.args ?? []).map(([k, v]) => `${k}=${v}`).join(';'),
    CNI_IFNAME: rt?.ifName ?? '',
    CNI_PATH: cniPath.join(':'),
  };
}

/** How libcni names a plugin in its messages. */
export function describePlugin(plugin: PluginConf): string {
  return `type=${JSON.stringify(plugin.type)}${plugin.name ? ` name=${JSON.stringify(plugin.name)}` : ''}`;
}
