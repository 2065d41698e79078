import { CniError, ErrCode } from '../../lib/cni/errors';

/**
 * An ADD/DEL/CHECK step that failed, saying which step and on what: "failed to set up veth pair
 * for eth0: create veth vethd1e2f3a4 with peer eth0 in /run/netns/x: File exists". CNI errors
 * (an IPAM plugin's, with its own code) pass through unchanged.
 */
export function stepFailed(what: string, cause: unknown): CniError {
  if (cause instanceof CniError) return cause;
  const why = cause instanceof Error ? cause.message : String(cause);
  return new CniError(ErrCode.Internal, `failed to ${what}: ${why}`);
}
