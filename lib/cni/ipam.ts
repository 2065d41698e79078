import { CniError, ErrCode } from './errors';
import { delegate } from './invoke';
import type { Request } from './plugin';
import type { IpConfig, Result } from './result';
import type { Rollback } from './rollback';

/**
 * IPAM ADD for a main plugin: delegates, records the IPAM DEL that undoes it should the ADD
 * fail later (the spec requires it), and insists on at least one address.
 */
export async function ipamAdd(type: string, req: Request, rollback: Rollback): Promise<Result & { ips: IpConfig[] }> {
  const result = await delegate('ADD', type, req);
  rollback.push(`release the addresses from IPAM plugin ${type}`, () => delegate('DEL', type, req));
  if (!result?.ips?.length) throw new CniError(ErrCode.Internal, `IPAM plugin ${type} returned missing IP config`);
  return result as Result & { ips: IpConfig[] };
}
