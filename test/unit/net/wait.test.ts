import { OPERSTATE_DELAYS_MS, pollOperstate } from '../../../lib/net/wait';

describe('pollOperstate', () => {
  test('the reference schedule', () => {
    expect(OPERSTATE_DELAYS_MS).toEqual([0, 50, 500, 1000, 1000]);
  });
  test('stops at up', async () => {
    const seen = ['down', 'down', 'up', 'up'];
    let calls = 0;
    expect(await pollOperstate(async () => (calls++, seen.shift()), [0, 1, 1, 1, 1])).toBe('up');
    expect(calls).toBe(3);
  });
  test('reports the last state, missing for no link', async () => {
    expect(await pollOperstate(async () => 'lowerlayerdown', [0, 1])).toBe('lowerlayerdown');
    expect(await pollOperstate(async () => undefined, [0])).toBe('missing');
  });
});
