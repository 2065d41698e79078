import { Netns } from '../net';

/**
 * DEL's removal of the container interface, idempotent as the spec wants: a namespace that is
 * gone (or a leftover path that is no namespace any more) and a link that is gone are all done.
 * Any path and any name the kernel accepts: the attachment may have been made by another
 * implementation, and DEL must still be able to remove it.
 */
export async function deleteContainerLink(netnsPath: string, ifName: string): Promise<'deleted' | 'absent' | 'no-netns'> {
  const container = Netns.atAnyPath(netnsPath);
  if (container.status() !== 'netns') return 'no-netns';
  const r = await container.deleteLink(ifName);
  if (r.netnsGone) return 'no-netns';
  return r.deleted ? 'deleted' : 'absent';
}

/** The MAC the kernel gave a link, for the result's interface entry. */
export async function readMac(ns: Netns, ifName: string): Promise<string | undefined> {
  return (await ns.link(ifName))?.mac;
}
