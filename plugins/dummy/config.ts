import { CniError, ErrCode } from '../../lib/cni/errors';
import { parseNetConf, type NetConf } from '../../lib/cni/netconf';
import type { Request } from '../../lib/cni/plugin';

/** A dummy config: nothing of its own beyond the common keys; IPAM is what gives it addresses. */
export interface DummyConf {
  net: NetConf;
  ipamType: string;
}

/**
 * ADD and CHECK need IPAM: a dummy link without addresses is useless (it has no lower device
 * and no L2-only mode). DEL accepts a config without it so cleanup never fails on it.
 */
export function parseDummyConf(req: Request, opts: { requireIpam: boolean }): DummyConf {
  const net = parseNetConf(req, 'dummy');
  if (opts.requireIpam && net.ipamType === '') {
    throw new CniError(
      ErrCode.InvalidNetworkConfig,
      'dummy: an \'ipam\' section with a type is required (e.g. "ipam": {"type": "host-local", ...}); a dummy interface gets its addresses only from IPAM',
    );
  }
  return { net, ipamType: net.ipamType };
}
