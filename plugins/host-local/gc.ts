import type { JsonObject } from '../../lib/cni/config';
import { parseGcAttachments } from '../../lib/cni/gc-attachments';
import type { Reservation } from './store/store';

/** The attachments a GC must keep: container ids, and "<id>\r\n<ifname>" pairs. */
export interface ValidAttachments {
  containers: Set<string>;
  pairs: Set<string>;
}

function pair(containerId: string, ifName: string): string {
  return `${containerId}\r\n${ifName}`;
}

/** undefined: the request carries no list, so nothing can be told stale. */
export function parseValidAttachments(conf: JsonObject): ValidAttachments | undefined {
  const attachments = parseGcAttachments(conf, 'host-local');
  if (!attachments) return undefined;
  const valid: ValidAttachments = { containers: new Set(), pairs: new Set() };
  for (const a of attachments) {
    valid.containers.add(a.containerId.trim());
    valid.pairs.add(pair(a.containerId.trim(), a.ifName));
  }
  return valid;
}

/** Legacy reservations name only a container, so any attachment of it keeps them. */
export function isValid(valid: ValidAttachments, r: Reservation): boolean {
  if (r.ifName === undefined) return valid.containers.has(r.containerId);
  return valid.pairs.has(pair(r.containerId, r.ifName));
}
