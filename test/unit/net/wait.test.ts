import { dadStateFromIfInet6, inet6FromHex, OPERSTATE_DELAYS_MS, pollOperstate } from '../../../lib/net/wait';

test('inet6FromHex compresses like RFC 5952', () => {
  expect(inet6FromHex('20010db8000000000000000000000005')).toBe('2001:db8::5');
  expect(inet6FromHex('fe800000000000000000000000000001')).toBe('fe80::1');
  expect(inet6FromHex('00000000000000000000000000000001')).toBe('::1');
  expect(inet6FromHex('00000000000000000000000000000000')).toBe('::');
  expect(inet6FromHex('20010db8000000010000000000000001')).toBe('2001:db8:0:1::1');
  expect(inet6FromHex('20010db8000100010001000100010001')).toBe('2001:db8:1:1:1:1:1:1');
  expect(inet6FromHex('20010000000012340000000000000001')).toBe('2001:0:0:1234::1');
});

describe('dadStateFromIfInet6', () => {
  const line = (addr: string, flags: string, name: string) => `${addr} 02 40 00 ${flags} ${name.padStart(8)}`;
  test('settled, tentative, dadfailed; other links ignored', () => {
    const settled = [line('20010db8000000000000000000000005', '80', 'eth0'), line('fe800000000000000000000000000001', '40', 'eth1')].join(
      '\n',
    );
    expect(dadStateFromIfInet6(settled, 'eth0')).toEqual({ state: 'settled' });
    expect(dadStateFromIfInet6(settled, 'eth1')).toEqual({ state: 'tentative' });
    const failed = [line('fe800000000000000000000000000001', '40', 'eth0'), line('20010db8000000000000000000000005', '48', 'eth0')].join(
      '\n',
    );
    expect(dadStateFromIfInet6(failed, 'eth0')).toEqual({ state: 'dadfailed', address: '2001:db8::5' });
    expect(dadStateFromIfInet6('', 'eth0')).toEqual({ state: 'settled' });
  });
});

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
