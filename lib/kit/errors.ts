// The one error idiom of the plugins: a handler wrapped by withKernelErrors, and stepFailed for
// a step that should say what it was doing. Everything else thrown is already a CniError.
import { CniError, ErrCode } from '../cni/errors';
import { NetError, NetValidationError } from '../net';

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

/**
 * A kernel-layer failure as the CNI error a runtime shows: NetError already says which step
 * failed and why ("create macvlan eth0 on ens3 in /run/netns/x: File exists"); a name refused
 * by lib/net's stricter alphabet comes from the environment (CNI_IFNAME, CNI_NETNS).
 */
export function kernelError(plugin: string, e: unknown): unknown {
  if (e instanceof NetError) return new CniError(ErrCode.Internal, `${plugin}: failed to ${e.message}`);
  if (e instanceof NetValidationError) return new CniError(ErrCode.InvalidEnvironmentVariables, `${plugin}: ${e.message}`);
  return e;
}

/** Runs a command handler with kernel failures translated by kernelError. */
export function withKernelErrors<A extends unknown[], T>(plugin: string, fn: (...args: A) => Promise<T>): (...args: A) => Promise<T> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (e) {
      throw kernelError(plugin, e);
    }
  };
}
