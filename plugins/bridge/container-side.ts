import type { Result } from '../../lib/cni/result';
import { configureIface } from '../../lib/kit/configure-iface';
import type { Netns } from '../../lib/net';
import type { BridgeConf } from './config';
import { stepFailed } from '../../lib/kit/errors';

/**
 * L3: the container interface's sysctls (DAD off unless enabledad, gratuitous ARP on), its
 * addresses, link up and routes, all in one process inside the container namespace.
 */
export async function configureContainer(ctr: Netns, conf: BridgeConf, ifName: string, result: Result): Promise<void> {
  const batch = ctr.batch();
  if (conf.enableDad) {
    batch.sysctl(`net/ipv6/conf/${ifName}/enhanced_dad`, 1, { ignoreErrors: true });
    batch.sysctl(`net/ipv6/conf/${ifName}/accept_dad`, 1, { ignoreErrors: true });
  } else {
    batch.sysctl(`net/ipv6/conf/${ifName}/accept_dad`, 0, { ignoreErrors: true });
  }
  batch.sysctl(`net/ipv4/conf/${ifName}/arp_notify`, 1, { ignoreErrors: true });
  try {
    configureIface(batch, ifName, result);
    await batch.run();
  } catch (e) {
    throw stepFailed(`configure ${ifName} in ${ctr}`, e);
  }
}

/** L2: the container interface only comes up. */
export async function bringUpContainer(ctr: Netns, ifName: string): Promise<void> {
  await ctr
    .batch()
    .setUp(ifName)
    .run()
    .catch((e: unknown) => {
      throw stepFailed(`set ${ifName} up in ${ctr}`, e);
    });
}
