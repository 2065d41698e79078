import { CniError, ErrCode } from '../../lib/cni/errors';
import type { Request } from '../../lib/cni/plugin';
import {
  findContainerInterface,
  seenState,
  validateContainerLink,
  validateExpectedAddresses,
  validateExpectedRoutes,
} from '../../lib/kit/validate';
import type { Netns } from '../../lib/net';
import type { MacvlanConf } from './config';

/**
 * CHECK against prevResult, as the reference: the container interface it lists is in this
 * namespace, is a macvlan in the configured mode with the recorded MAC, and carries the
 * recorded addresses and routes.
 */
export async function validateMacvlanAttachment(conf: MacvlanConf, req: Request, container: Netns): Promise<void> {
  const prev = conf.net.prevResult;
  if (!prev) throw new CniError(ErrCode.InvalidNetworkConfig, 'macvlan: required prevResult missing');
  const expected = findContainerInterface(prev, req.ifName, req.netns);
  const snap = await container.inspect(req.ifName);
  const link = validateContainerLink(snap.link, expected, 'macvlan');
  if (link.macvlanMode !== conf.mode) {
    throw new CniError(
      ErrCode.Internal,
      `container macvlan mode ${link.macvlanMode ?? 'unknown'} does not match expected value: ${conf.mode}`,
    );
  }
  const { onLink, routes } = seenState(snap);
  validateExpectedAddresses(req.ifName, prev.ips ?? [], onLink, routes);
  validateExpectedRoutes(prev.routes ?? [], routes);
}
