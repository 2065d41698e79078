import { createHash } from 'node:crypto';
import path from 'node:path';
import { isJsonObject, type JsonObject } from '../cni/config';
import type { Env } from '../cni/plugin';

/** What the runtime says about one attachment (libcni's RuntimeConf). */
export interface RuntimeConf {
  containerId: string;
  netns: string;
  ifName: string;
  /** CNI_ARGS as ordered pairs, sent to plugins joined as `K=V;K2=V2`. */
  args: Array<[string, string]>;
  /** CAP_ARGS; each plugin receives only the capabilities it declares. */
  capabilityArgs: JsonObject;
}

/** The CLI's input is wrong in a way the user can fix (not a plugin failure). */
export class InputError extends Error {}

/**
 * cnitool has no container to name, so it derives the id from the namespace path: "cnitool-"
 * and the first 10 bytes of the path's SHA-512 in hex. Using the same rule lets cnitool and
 * cni-ts undo each other's attachments (same cache file, same host-local reservations).
 */
export function containerIdFor(netnsPath: string): string {
  return `cnitool-${createHash('sha512').update(netnsPath).digest('hex').slice(0, 20)}`;
}

/** cnitool's CNI_ARGS rule: `K=V` pairs separated by ';', neither side empty. */
export function parseCniArgsPairs(raw: string): Array<[string, string]> {
  if (raw === '') return [];
  return raw.split(';').map((pair): [string, string] => {
    const kv = pair.split('=');
    if (kv.length !== 2 || kv[0] === '' || kv[1] === '')
      throw new InputError(`invalid CNI_ARGS pair "${pair}" (expected KEY=VALUE;KEY2=VALUE2)`);
    return [kv[0], kv[1]];
  });
}

export function parseCapabilityArgs(raw: string): JsonObject {
  if (raw === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new InputError(`CAP_ARGS is not valid JSON: ${(e as Error).message}`);
  }
  if (!isJsonObject(v)) throw new InputError('CAP_ARGS must be a JSON object, e.g. {"ips":["10.201.0.50/24"]}');
  return v;
}

export function runtimeConfFromEnv(env: Env, netnsArg: string, ifNameFlag?: string): RuntimeConf {
  const netns = path.resolve(netnsArg);
  return {
    containerId: containerIdFor(netns),
    netns,
    ifName: ifNameFlag || env.CNI_IFNAME || 'eth0',
    args: parseCniArgsPairs(env.CNI_ARGS ?? ''),
    capabilityArgs: parseCapabilityArgs(env.CAP_ARGS ?? ''),
  };
}

/** The runtimeConfig a plugin receives: the capability args it declares, nothing else. */
export function runtimeConfigFor(capabilities: readonly string[], capabilityArgs: JsonObject): JsonObject | undefined {
  const rc: JsonObject = {};
  for (const cap of capabilities) {
    if (Object.prototype.hasOwnProperty.call(capabilityArgs, cap)) rc[cap] = capabilityArgs[cap];
  }
  return Object.keys(rc).length > 0 ? rc : undefined;
}
