import type { Result } from '../cni/result';
import { versionAtLeast } from '../cni/version';
import { currentNs, nsAt, type Netns } from '../net';

/** `interfaces[].mtu` exists in results from 1.1.0 on; older configs get results without it. */
export function resultHasInterfaceMtu(cniVersion: string): boolean {
  return versionAtLeast(cniVersion, '1.1.0');
}

/**
 * Fills `interfaces[].mtu` with the MTU the kernel reports for each interface of the result
 * (host-side ones in `host`, container-side ones in their sandbox), one link dump per namespace.
 * Read back rather than taken from the config: without an `mtu` option the kernel chooses
 * (a macvlan its master's, a bridge the smallest of its ports'). Only for configs at 1.1.0 or
 * later, so that older results stay byte-identical to the reference's and cost no extra read.
 */
export async function fillInterfaceMtu(result: Result, cniVersion: string, host: Netns = currentNs()): Promise<void> {
  const interfaces = result.interfaces ?? [];
  if (!resultHasInterfaceMtu(cniVersion) || interfaces.length === 0) return;
  const places = [...new Set(interfaces.map((i) => i.sandbox ?? ''))];
  const mtus = await Promise.all(
    places.map(async (sandbox) => {
      const links = await (sandbox === '' ? host : nsAt(sandbox)).links();
      return new Map(links.map((l) => [l.name, l.mtu]));
    }),
  );
  for (const intf of interfaces) {
    const mtu = mtus[places.indexOf(intf.sandbox ?? '')].get(intf.name);
    if (mtu) intf.mtu = mtu;
  }
}
