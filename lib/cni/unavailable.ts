import { CniError, ErrCode } from './errors';
import type { Plugin } from './plugin';
import { ALL_VERSIONS } from './version';

/** A plugin name this build does not implement yet: VERSION works, everything else says so. */
export function unavailablePlugin(name: string): Plugin {
  const fail = async (): Promise<never> => {
    throw new CniError(ErrCode.Internal, `${name}: plugin is not available in this build of cni-ts`);
  };
  return { name, supportedVersions: ALL_VERSIONS, add: fail, del: fail, check: fail, status: fail, gc: fail };
}
