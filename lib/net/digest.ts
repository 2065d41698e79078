// Random bytes and hex digests without node:crypto where the runtime has lighter means: in the Bun
// executable node:crypto costs ~2.8 MiB of resident memory and ~2 ms per call that loads it,
// Web Crypto's getRandomValues ~0.2 MiB and Bun.CryptoHasher ~0.9 MiB. Under Node (unit tests,
// test helpers) node:crypto is loaded on first use. The bytes and digests are the same either way.

/** `n` bytes from the kernel's CSPRNG (Web Crypto, in Node 20 and Bun alike). */
export function randomBytes(n: number): Buffer {
  const bytes = Buffer.alloc(n);
  globalThis.crypto.getRandomValues(bytes);
  return bytes;
}

interface BunHasher {
  update(data: string): BunHasher;
  digest(encoding: 'hex'): string;
}
type BunGlobal = { CryptoHasher: new (algorithm: string) => BunHasher };

/** Lower-case hex digest of the UTF-8 text (`sha256`, `sha512`). */
export function hexDigest(algorithm: 'sha256' | 'sha512', text: string): string {
  const bun = (globalThis as { Bun?: BunGlobal }).Bun;
  if (bun) return new bun.CryptoHasher(algorithm).update(text).digest('hex');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  return createHash(algorithm).update(text, 'utf8').digest('hex');
}
