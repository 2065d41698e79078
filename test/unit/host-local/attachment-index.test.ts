import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ip } from '../../../lib/ip';
import { DiskStore } from '../../../plugins/host-local/store/disk-store';

// The index is a cache: these tests check that it spares the full scan when it may, and that
// nothing it could get wrong changes an answer.
let dataDir: string;
let dir: string;
let indexFile: string;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-hl-index-'));
  dir = path.join(dataDir, 'net1');
  indexFile = path.join(dataDir, '.cni-ts-index', 'net1');
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const k = (containerId: string, ifName = 'eth0') => ({ containerId, ifName });
const ip = (t: string) => Ip.parse(t);

async function session<T>(fn: (s: DiskStore) => T): Promise<T> {
  const store = (await DiskStore.open(dataDir, 'net1', true, 1)) as DiskStore;
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

/** Runs `fn` in a session and tells whether the state directory was listed (a full scan). */
async function scanned<T>(fn: (s: DiskStore) => T): Promise<{ scan: boolean; value: T }> {
  const spy = jest.spyOn(DiskStore.prototype, 'reservations');
  const value = await session(fn);
  const scan = spy.mock.calls.length > 0;
  spy.mockRestore();
  return { scan, value };
}

async function populate(n: number): Promise<void> {
  await session((s) => {
    for (let i = 0; i < n; i++) s.reserve(k(`c${i}`), ip(`10.1.${i >> 8}.${i & 255}`), 0);
  });
}

describe('host-local attachment index', () => {
  it('is built by the first lookup and kept outside the network directory, private', async () => {
    await populate(3);
    expect((await scanned((s) => s.findByAttachment(k('c1')).map(String))).value).toEqual(['10.1.0.1']);
    expect(fs.existsSync(indexFile)).toBe(true);
    expect(fs.statSync(indexFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(indexFile)).mode & 0o777).toBe(0o700);
    expect(fs.readdirSync(dir).sort()).toEqual(['10.1.0.0', '10.1.0.1', '10.1.0.2', 'last_reserved_ip.0', 'lock']);
  });

  it('spares the full scan for DEL, CHECK and the duplicate check once built', async () => {
    await populate(300);
    await session((s) => s.findByAttachment(k('nobody')));
    const del = await scanned((s) => s.releaseByAttachment(k('c7')).map(String));
    expect(del).toEqual({ scan: false, value: ['10.1.0.7'] });
    expect(await scanned((s) => s.findByAttachment(k('c8')).map(String))).toEqual({ scan: false, value: ['10.1.0.8'] });
    expect(await scanned((s) => s.findByAttachment(k('c7')))).toEqual({ scan: false, value: [] });
    expect(await scanned((s) => s.reserve(k('new'), ip('10.1.9.9'), 0) && s.findByAttachment(k('new')).map(String))).toEqual({
      scan: false,
      value: ['10.1.9.9'],
    });
    expect(fs.existsSync(path.join(dir, '10.1.0.7'))).toBe(false);
  });

  it('notices a reservation made by another writer (the Go plugin rewrites last_reserved_ip in place)', async () => {
    await populate(3);
    await session((s) => s.findByAttachment(k('c0')));
    fs.writeFileSync(path.join(dir, '10.1.0.50'), 'go1\r\neth0');
    fs.writeFileSync(path.join(dir, 'last_reserved_ip.0'), '10.1.0.50');
    expect(await scanned((s) => s.findByAttachment(k('go1')).map(String))).toEqual({ scan: true, value: ['10.1.0.50'] });
    expect(await scanned((s) => s.releaseByAttachment(k('go1')).map(String))).toEqual({ scan: false, value: ['10.1.0.50'] });
  });

  it('drops entries whose file another writer removed or gave to someone else', async () => {
    await populate(3);
    await session((s) => s.findByAttachment(k('c0')));
    fs.unlinkSync(path.join(dir, '10.1.0.1'));
    fs.writeFileSync(path.join(dir, '10.1.0.2'), 'other\r\neth0');
    const r = await scanned((s) => [s.findByAttachment(k('c1')), s.findByAttachment(k('c2')), s.findByAttachment(k('other')).map(String)]);
    // The file, not the index, says who holds 10.1.0.2 now.
    expect(r).toEqual({ scan: false, value: [[], [], ['10.1.0.2']] });
  });

  it('still answers from the files for legacy id-only reservations', async () => {
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, '10.1.0.9'), 'old');
    expect((await session((s) => s.findByAttachment(k('old', 'eth3')))).map(String)).toEqual(['10.1.0.9']);
    expect(await scanned((s) => s.releaseByAttachment(k('old', 'eth3')).map(String))).toEqual({ scan: false, value: ['10.1.0.9'] });
  });

  it.each([
    ['an operation that crashed after marking it dirty', '["~"]\n'],
    ['a torn last line', '["+","10.1.0.77","c77","eth'],
  ])('is rebuilt after %s', async (_what, tail) => {
    await populate(3);
    await session((s) => s.findByAttachment(k('c0')));
    fs.writeFileSync(path.join(dir, '10.1.0.77'), 'c77\r\neth0');
    fs.appendFileSync(indexFile, tail);
    expect(await scanned((s) => s.findByAttachment(k('c77')).map(String))).toEqual({ scan: true, value: ['10.1.0.77'] });
  });

  it('is rebuilt when the network directory was recreated', async () => {
    await populate(2);
    await session((s) => s.findByAttachment(k('c0')));
    fs.rmSync(dir, { recursive: true });
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, '10.1.0.1'), 'c1\r\neth0');
    expect(await scanned((s) => [s.findByAttachment(k('c0')), s.findByAttachment(k('c1')).map(String)])).toEqual({
      scan: true,
      value: [[], ['10.1.0.1']],
    });
  });

  it('stays bounded: the journal is compacted', async () => {
    await populate(10);
    await session((s) => s.findByAttachment(k('c0')));
    // About 8 KiB of journal per session: well past the compaction threshold (64 KiB + 2x live).
    for (let round = 0; round < 15; round++) {
      await session((s) => {
        for (let i = 0; i < 100; i++) {
          s.reserve(k(`churn${i}`), ip(`10.1.5.${i}`), 0);
          s.releaseByAttachment(k(`churn${i}`));
        }
      });
    }
    expect(fs.statSync(indexFile).size).toBeLessThan(2 * 1024 + 65536 + 2048);
    expect((await session((s) => s.findByAttachment(k('c9')))).map(String)).toEqual(['10.1.0.9']);
  }, 60_000); // 16 locked sessions of 100 reservations each: seconds on a loaded 2-core machine

  it('is optional: an unusable index location changes nothing', async () => {
    fs.writeFileSync(path.join(dataDir, '.cni-ts-index'), 'not a directory');
    await populate(3);
    expect((await session((s) => s.releaseByAttachment(k('c2')))).map(String)).toEqual(['10.1.0.2']);
    expect((await session((s) => s.findByAttachment(k('c1')))).map(String)).toEqual(['10.1.0.1']);
  });

  it('is rewritten from the scan a GC makes', async () => {
    await populate(2);
    await session((s) => s.findByAttachment(k('c0')));
    fs.writeFileSync(path.join(dir, '10.1.0.60'), 'manual\r\neth0');
    await session((s) => s.reservations());
    expect(await scanned((s) => s.findByAttachment(k('manual')).map(String))).toEqual({ scan: false, value: ['10.1.0.60'] });
  });
});
