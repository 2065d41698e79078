import type { Netns } from '../../lib/net';
import { stepFailed } from './errors';

/**
 * Deletes the container interface (its host peer goes with it). Nothing to do when the namespace
 * is gone — or only an unmounted placeholder file is left at its path — or the interface is.
 */
export async function removeContainerLink(ctr: Netns, ifName: string): Promise<void> {
  if (ctr.status() !== 'netns') return;
  try {
    await ctr.deleteLink(ifName);
  } catch (e) {
    throw stepFailed(`delete ${ifName} in ${ctr}`, e);
  }
}
