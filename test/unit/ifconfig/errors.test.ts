import { CniError } from '../../../lib/cni/errors';
import { kernelError, withKernelErrors } from '../../../lib/kit/errors';
import { NetError, NetValidationError } from '../../../lib/net';

describe('kernel failures as CNI errors', () => {
  it('a NetError says what failed and why, prefixed with the plugin', () => {
    const e = kernelError('macvlan', new NetError('add route 10.0.0.0/8 via 10.9.0.1', 'Network is unreachable', 'other')) as CniError;
    expect(e).toBeInstanceOf(CniError);
    expect(e.code).toBe(999);
    expect(e.message).toBe('macvlan: failed to add route 10.0.0.0/8 via 10.9.0.1: Network is unreachable');
  });

  it('a name lib/net refuses came from the environment (code 4)', () => {
    const e = kernelError('dummy', new NetValidationError('invalid interface name "a@b": only letters...')) as CniError;
    expect(e.code).toBe(4);
    expect(e.message).toBe('dummy: invalid interface name "a@b": only letters...');
  });

  it('anything else passes through unchanged', async () => {
    const original = new CniError(7, 'x');
    expect(kernelError('dummy', original)).toBe(original);
    await expect(
      withKernelErrors('dummy', async () => {
        throw original;
      })(),
    ).rejects.toBe(original);
    await expect(withKernelErrors('dummy', async (n: number) => n + 1)(1)).resolves.toBe(2);
  });
});
