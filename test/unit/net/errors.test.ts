import { isNetError, NetError } from '../../../lib/net';
import { kindOf, reasonOf } from '../../../lib/net/errors';

test.each([
  ['File exists', 'exists'],
  ['ipv4: Address already assigned', 'exists'],
  ['Cannot find device "eth9"', 'notfound'],
  ['Device "eth9" does not exist', 'notfound'],
  ['No such process', 'notfound'],
  ['No such device', 'notfound'],
  ['ipv4: Address not found', 'notfound'],
  ['Cannot assign requested address', 'notfound'],
  ['no such network namespace', 'other'],
  ['Device or resource busy', 'busy'],
  ['Operation not supported', 'other'],
  ['Network is unreachable', 'other'],
])('%s -> %s', (reason, kind) => expect(kindOf(reason)).toBe(kind));

test('reasonOf strips iproute2 framing and joins lines', () => {
  expect(reasonOf(['RTNETLINK answers: File exists'], 'x')).toBe('File exists');
  expect(reasonOf(['Error: mtu greater than device maximum.', ''], 'x')).toBe('mtu greater than device maximum');
  expect(reasonOf(['a', 'b'], 'x')).toBe('a; b');
  expect(reasonOf([], 'fallback')).toBe('fallback');
  expect(reasonOf(['y'.repeat(1000)], 'x')).toHaveLength(400);
});

test('NetError', () => {
  const e = new NetError('add address 10.1.0.5/24 to eth0', 'File exists', 'exists', {
    stderr: 'RTNETLINK answers: File exists',
    stepIndex: 2,
  });
  expect(e.message).toBe('add address 10.1.0.5/24 to eth0: File exists');
  expect(e).toBeInstanceOf(Error);
  expect(e.name).toBe('NetError');
  expect(e.stepIndex).toBe(2);
  expect(e.netnsGone).toBe(false);
  expect(isNetError(e)).toBe(true);
  expect(isNetError(e, 'exists')).toBe(true);
  expect(isNetError(e, 'notfound')).toBe(false);
  expect(isNetError(new Error('x'))).toBe(false);
});
