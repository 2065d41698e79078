import { Rollback } from '../../../lib/cni/rollback';

describe('Rollback', () => {
  it('undoes recorded steps newest first when the body throws, and rethrows', async () => {
    const done: string[] = [];
    await expect(
      Rollback.guard(async (rb) => {
        rb.push('a', async () => done.push('undo a'));
        rb.push('b', async () => done.push('undo b'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(done).toEqual(['undo b', 'undo a']);
  });

  it('does nothing when the body succeeds', async () => {
    const done: string[] = [];
    await expect(Rollback.guard(async (rb) => (rb.push('a', async () => done.push('undo a')), 42))).resolves.toBe(42);
    expect(done).toEqual([]);
  });

  it('keeps going past a failing undo, reports it on stderr, and keeps the original error', async () => {
    const done: string[] = [];
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await expect(
        Rollback.guard(async (rb) => {
          rb.push('release the address', async () => done.push('released'));
          rb.push('delete eth0', async () => {
            throw new Error('busy');
          });
          throw new Error('original');
        }),
      ).rejects.toThrow('original');
      expect(done).toEqual(['released']);
      expect(write).toHaveBeenCalledWith('rollback: could not delete eth0: busy\n');
    } finally {
      write.mockRestore();
    }
  });
});
