import { invalidConfig } from '../cni/errors';
import { isAssignableMac, normalizeMac } from '../net/mac-address';

/**
 * The container MAC from the first source that gives one, in the plugin's order of precedence
 * (each source is read only if the ones before gave nothing), in lower-case colon form. A value
 * that is no MAC, or one a link cannot take (multicast, all zeros — the kernel would answer a
 * bare "cannot assign requested address"), is a config error naming its source.
 */
export function pickMac(
  plugin: string,
  sources: ReadonlyArray<readonly [label: string, read: () => string | undefined]>,
): string | undefined {
  for (const [source, read] of sources) {
    const text = read();
    if (text === undefined || text === '') continue;
    const mac = normalizeMac(text);
    if (mac === undefined)
      throw invalidConfig(`${plugin}: ${source}: invalid MAC address ${JSON.stringify(text)} (expected e.g. 02:42:ac:11:00:02)`);
    if (!isAssignableMac(mac)) {
      throw invalidConfig(
        `${plugin}: ${source}: ${mac} is not a unicast MAC address (the lowest bit of the first byte must be 0, and it must not be all zeros)`,
      );
    }
    return mac;
  }
  return undefined;
}
