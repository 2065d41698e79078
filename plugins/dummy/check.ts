import { CniError, ErrCode } from '../../lib/cni/errors';
import type { Request } from '../../lib/cni/plugin';
import { findContainerInterface, seenState, validateContainerLink, validateExpectedAddresses } from '../../lib/kit/validate';
import type { Netns } from '../../lib/net';
import type { DummyConf } from './config';

/**
 * CHECK against prevResult, as the reference: the container interface is a dummy link with the
 * recorded MAC, administratively up, carrying the recorded addresses (routes are not compared).
 */
export async function validateDummyAttachment(conf: DummyConf, req: Request, container: Netns): Promise<void> {
  const prev = conf.net.prevResult;
  if (!prev) throw new CniError(ErrCode.InvalidNetworkConfig, 'dummy: required prevResult missing');
  const expected = findContainerInterface(prev, req.ifName, req.netns);
  const snap = await container.inspect(req.ifName);
  const link = validateContainerLink(snap.link, expected, 'dummy');
  if (!link.up) throw new CniError(ErrCode.Internal, `interface ${req.ifName} is down`);
  const { onLink, routes } = seenState(snap);
  validateExpectedAddresses(req.ifName, prev.ips ?? [], onLink, routes);
}
