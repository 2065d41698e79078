import { ConfigReader, type JsonObject } from './config';
import { invalidConfig } from './errors';

/** One attachment a GC must keep. */
export interface GcAttachment {
  containerId: string;
  ifName: string;
}

// The spec's v1.1.0 tag named the key cni.dev/attachments (cni#1101); libcni sends both. Entries
// of either are kept, so a runtime sending only one of them loses nothing.
export const GC_ATTACHMENT_KEYS = ['cni.dev/valid-attachments', 'cni.dev/attachments'] as const;

/**
 * The attachments a GC request says to keep. Without the list everything would look stale: the
 * request is refused rather than everything removed.
 */
export function parseGcAttachments(conf: JsonObject, plugin: string): GcAttachment[] {
  const top = new ConfigReader(conf, plugin);
  const lists = GC_ATTACHMENT_KEYS.map((key) => ({ key, list: top.optArray(key) })).filter((l) => l.list !== undefined);
  if (lists.length === 0) throw invalidConfig(`${plugin}: GC needs the list of attachments to keep in '${GC_ATTACHMENT_KEYS[0]}'`);
  return lists.flatMap(({ key, list }) =>
    (list ?? []).map((entry, i) => {
      const a = ConfigReader.of(entry, `${plugin}: ${key}[${i}]`);
      const containerId = a.optString('containerID');
      if (!containerId) throw a.fail('containerID', 'is required');
      return { containerId, ifName: a.optString('ifname') ?? '' };
    }),
  );
}
