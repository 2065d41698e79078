import { CniError, ErrCode } from '../cni/errors';

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** One plugin of the chain failed: which one, in which operation, and what it said. */
export class PluginFailure extends Error {
  constructor(
    readonly plugin: string,
    readonly operation: 'add' | 'check' | 'delete' | 'status' | 'gc',
    cause: unknown,
    /** A plugin of the chain did run, so an ADD may have left an attachment half made. */
    readonly afterPluginRan = false,
  ) {
    super(`plugin ${plugin} failed (${operation}): ${messageOf(cause)}`, { cause });
  }
}

/** Several independent failures (GC goes on past each one, like libcni). */
export class Failures extends Error {
  constructor(readonly failures: readonly unknown[]) {
    super(failures.map(messageOf).join('; '));
  }
}

/** A failure with a context prefix, keeping the original error (and its CNI code) for display. */
export class WrappedFailure extends Error {
  constructor(prefix: string, cause: unknown) {
    super(`${prefix}: ${messageOf(cause)}`, { cause });
  }
}

const MEANING: Record<number, string> = {
  [ErrCode.IncompatibleCniVersion]: 'incompatible CNI version',
  [ErrCode.UnsupportedField]: 'unsupported field in network configuration',
  [ErrCode.UnknownContainer]: 'container unknown or does not exist',
  [ErrCode.InvalidEnvironmentVariables]: 'invalid necessary environment variables',
  [ErrCode.IoFailure]: 'I/O failure',
  [ErrCode.DecodingFailure]: 'failed to decode content',
  [ErrCode.InvalidNetworkConfig]: 'invalid network config',
  [ErrCode.InvalidNetns]: 'invalid network namespace',
  [ErrCode.TryAgainLater]: 'try again later',
  [ErrCode.PluginNotAvailable]: 'plugin not available',
  [ErrCode.PluginNotAvailableLimitedConnectivity]: 'plugin not available, existing containers may have limited connectivity',
  [ErrCode.Internal]: 'unclassified plugin error',
};

export function codeMeaning(code: number): string {
  return MEANING[code] ?? (code >= 100 ? 'plugin-specific error' : 'reserved code');
}

function cniErrorIn(e: unknown): CniError | undefined {
  for (let cur = e; cur; cur = (cur as { cause?: unknown }).cause) {
    if (cur instanceof CniError) return cur;
  }
  return undefined;
}

/** The lines printed on stderr for a failed command: the message, then the CNI code and details. */
export function describeFailure(e: unknown): string {
  if (e instanceof Failures) return e.failures.map(describeFailure).join('');
  let text = `cni-ts: ${messageOf(e)}\n`;
  const cni = cniErrorIn(e);
  if (cni) {
    text += `  CNI error code ${cni.code} (${codeMeaning(cni.code)})\n`;
    if (cni.details) text += `  details: ${cni.details}\n`;
  }
  return text;
}
