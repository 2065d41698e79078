import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { hexDigest, randomBytes } from '../../../lib/net/digest';

// lib/net/digest.ts takes Bun.CryptoHasher in the executable and node:crypto under Node: both
// branches must give node:crypto's digests (the masquerade chain names must stay the Go plugin's).

const ROOT = path.resolve(__dirname, '../../..');
const BUN = path.join(ROOT, 'node_modules/@oven/bun-linux-x64/bin/bun');
const INPUTS = ['', 'abc', 'name: "net" id: "ctr"', 'c1\0eth0', 'ünïcödé-网络'];

const expected = (algorithm: 'sha256' | 'sha512') => INPUTS.map((t) => crypto.createHash(algorithm).update(t, 'utf8').digest('hex'));

test('under Node: the digests of node:crypto', () => {
  expect(INPUTS.map((t) => hexDigest('sha512', t))).toEqual(expected('sha512'));
  expect(INPUTS.map((t) => hexDigest('sha256', t))).toEqual(expected('sha256'));
});

test('under Bun (Bun.CryptoHasher): the same digests', () => {
  const script = `const d = require(${JSON.stringify(path.join(ROOT, 'lib/net/digest.ts'))});
const inputs = JSON.parse(process.argv[process.argv.length - 1]);
console.log(JSON.stringify({ bun: typeof Bun, sha512: inputs.map((t) => d.hexDigest('sha512', t)), sha256: inputs.map((t) => d.hexDigest('sha256', t)) }));`;
  const r = spawnSync(BUN, ['-e', script, JSON.stringify(INPUTS)], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toEqual({ bun: 'object', sha512: expected('sha512'), sha256: expected('sha256') });
});

test('random bytes: the length asked for, not constant', () => {
  const a = randomBytes(16);
  const b = randomBytes(16);
  expect(a).toHaveLength(16);
  expect(a.equals(b)).toBe(false);
  expect(randomBytes(0)).toHaveLength(0);
});
