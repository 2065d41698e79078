import { ConfigReader, type JsonObject } from './config';

/** One attachment a GC must keep. */
export interface GcAttachment {
  containerId: string;
  ifName: string;
}

// The spec's v1.1.0 tag named the key cni.dev/attachments (cni#1101); libcni sends both. Entries
// of either are kept, so a runtime sending only one of them loses nothing.
export const GC_ATTACHMENT_KEYS = ['cni.dev/valid-attachments', 'cni.dev/attachments'] as const;

/**
 * The attachments a GC request says to keep, or undefined when it carries no list (`cnitool gc`
 * sends none; libcni sends `null` for a runtime's nil list, which Go cannot tell from an absent
 * key): a GC that cannot tell live from stale collects nothing and succeeds, as the Go plugins
 * (which ignore GC) do. Only an explicit `[]` means "nothing is live".
 */
export function parseGcAttachments(conf: JsonObject, plugin: string): GcAttachment[] | undefined {
  const top = new ConfigReader(conf, plugin);
  const lists = GC_ATTACHMENT_KEYS.map((key) => ({ key, list: top.optArray(key) })).filter((l) => l.list !== undefined);
  if (lists.length === 0) return undefined;
  return lists.flatMap(({ key, list }) =>
    (list ?? []).map((entry, i) => {
      const a = ConfigReader.of(entry, `${plugin}: ${key}[${i}]`);
      const containerId = a.optString('containerID');
      if (!containerId) throw a.fail('containerID', 'is required');
      return { containerId, ifName: a.optString('ifname') ?? '' };
    }),
  );
}
