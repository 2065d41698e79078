import { ConfigReader, type JsonObject } from '../../lib/cni/config';
import { invalidConfig } from '../../lib/cni/errors';
import type { LiveAttachment } from '../../lib/net/masq';

// GC's list of attachments to keep. The spec's v1.1.0 tag called it cni.dev/attachments and
// libcni sends both keys: entries of either are kept.
const KEYS = ['cni.dev/valid-attachments', 'cni.dev/attachments'];

export function parseLiveAttachments(conf: JsonObject): LiveAttachment[] {
  const top = new ConfigReader(conf, 'bridge');
  const lists = KEYS.map((key) => ({ key, list: top.optArray(key) })).filter((l) => l.list !== undefined);
  // Without the list every rule would look stale: refuse rather than remove them all.
  if (lists.length === 0) throw invalidConfig(`bridge: GC needs the list of attachments to keep in '${KEYS[0]}'`);
  return lists.flatMap(({ key, list }) =>
    (list ?? []).map((entry, i) => {
      const a = ConfigReader.of(entry, `bridge: ${key}[${i}]`);
      const containerId = a.optString('containerID');
      if (!containerId) throw a.fail('containerID', 'is required');
      return { containerId, ifName: a.optString('ifname') ?? '' };
    }),
  );
}
