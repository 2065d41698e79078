import type { Result } from './result';
import type { JsonObject } from './config';

export type Command = 'ADD' | 'DEL' | 'CHECK' | 'STATUS' | 'GC' | 'VERSION';

export type Env = Record<string, string | undefined>;

/** One invocation, validated by the dispatcher before any handler sees it. */
export interface Request {
  command: Command;
  containerId: string;
  /** '' when the runtime sent none (allowed on DEL). */
  netns: string;
  ifName: string;
  /** Raw CNI_ARGS; each plugin parses the keys it knows with parseCniArgs. */
  args: string;
  /** CNI_PATH split on ':'. */
  path: string[];
  /** The exact stdin bytes: IPAM delegates must receive them unchanged. */
  stdin: Buffer;
  /** stdin parsed as a JSON object. */
  conf: JsonObject;
  /** The version the config is used at (cniVersion, or negotiated from cniVersions). */
  cniVersion: string;
  /** The network name (already validated). */
  name: string;
  env: Env;
  /** The plugins compiled into this executable, for the in-process IPAM fast path. */
  plugins?: PluginLookup;
}

/** Finds a plugin compiled into this executable by its name (the entry passes the registry's). */
export type PluginLookup = (name: string) => Plugin | undefined;

export interface Plugin {
  name: string;
  supportedVersions: readonly string[];
  add(req: Request): Promise<Result>;
  del(req: Request): Promise<void>;
  check(req: Request): Promise<void>;
  status(req: Request): Promise<void>;
  gc(req: Request): Promise<void>;
}

/** Where a dispatch reads from and writes to: the process, or memory for in-process delegation. */
export interface PluginIo {
  env: Env;
  readStdin(): Promise<Buffer>;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Handed on to the request: which plugins can run in-process when delegated to. */
  plugins?: PluginLookup;
}
