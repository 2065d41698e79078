// Well-known CNI error codes (SPEC.md "Error" section, plus the Go library's 8 and 999).
export const ErrCode = {
  IncompatibleCniVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironmentVariables: 4,
  IoFailure: 5,
  DecodingFailure: 6,
  InvalidNetworkConfig: 7,
  InvalidNetns: 8,
  TryAgainLater: 11,
  PluginNotAvailable: 50,
  PluginNotAvailableLimitedConnectivity: 51,
  Internal: 999,
} as const;

export class CniError extends Error {
  constructor(
    readonly code: number,
    msg: string,
    readonly details?: string,
  ) {
    super(msg);
    this.name = 'CniError';
  }

  toJSON(cniVersion: string): Record<string, unknown> {
    const out: Record<string, unknown> = { cniVersion, code: this.code, msg: this.message };
    if (this.details) out.details = this.details;
    return out;
  }
}

/**
 * Anything thrown by a handler that is not already a CniError becomes code 999 with the error's
 * message (what the Go skel does), never a stack trace: runtimes show `msg` to users.
 */
export function toCniError(err: unknown): CniError {
  if (err instanceof CniError) return err;
  if (err instanceof Error) return new CniError(ErrCode.Internal, err.message);
  return new CniError(ErrCode.Internal, String(err));
}

export function invalidConfig(msg: string, details?: string): CniError {
  return new CniError(ErrCode.InvalidNetworkConfig, msg, details);
}
