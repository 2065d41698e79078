import { ConfigReader, type JsonObject } from '../../lib/cni/config';
import { CniError, ErrCode } from '../../lib/cni/errors';
import type { Reservation } from './store';

/** The attachments a GC must keep: container ids, and "<id>\r\n<ifname>" pairs. */
export interface ValidAttachments {
  containers: Set<string>;
  pairs: Set<string>;
}

// The spec's v1.1.0 tag named the key cni.dev/attachments; libcni sends both. Entries of either
// are kept, so a runtime sending only one of them loses nothing.
const KEYS = ['cni.dev/valid-attachments', 'cni.dev/attachments'];

function pair(containerId: string, ifName: string): string {
  return `${containerId}\r\n${ifName}`;
}

export function parseValidAttachments(conf: JsonObject): ValidAttachments {
  const top = new ConfigReader(conf, 'host-local');
  const lists = KEYS.map((k) => ({ key: k, list: top.optArray(k) })).filter((l) => l.list !== undefined);
  // Without the list every reservation would look stale: refuse rather than release them all.
  if (lists.length === 0) throw new CniError(ErrCode.InvalidNetworkConfig, `host-local: GC needs the list of attachments to keep in '${KEYS[0]}'`);
  const valid: ValidAttachments = { containers: new Set(), pairs: new Set() };
  for (const { key, list } of lists) {
    (list as unknown[]).forEach((entry, i) => {
      const a = ConfigReader.of(entry, `host-local: ${key}[${i}]`);
      const containerId = a.optString('containerID');
      if (!containerId) throw a.fail('containerID', 'is required');
      valid.containers.add(containerId.trim());
      valid.pairs.add(pair(containerId.trim(), a.optString('ifname') ?? ''));
    });
  }
  return valid;
}

/** Legacy reservations name only a container, so any attachment of it keeps them. */
export function isValid(valid: ValidAttachments, r: Reservation): boolean {
  if (r.ifName === undefined) return valid.containers.has(r.containerId);
  return valid.pairs.has(pair(r.containerId, r.ifName));
}
