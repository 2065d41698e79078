import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../../plugins/host-local/config';
import { Ip } from '../../../lib/ip';
import { DiskStore } from '../../../plugins/host-local/store/disk-store';
import { releaseEarlierBoots, type ReleaseOnReboot } from '../../../plugins/host-local/store/reboot-release';
import { request } from '../../helpers/fake-request';

// Beyond the reference (issue 16, item 1; cni#1167, plugins#252/#697): host-local
// `releaseOnReboot`. A reboot is simulated by rewriting the boot id recorded in cni-ts's index,
// which is exactly what a new boot looks like to the plugin: a boot id different from the
// recorded one. No product code reads a fake boot id.

const BOOT = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
let dataDir: string;
let dir: string;
let indexFile: string;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-hl-reboot-'));
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

/** What a reboot looks like: every boot id recorded so far is another boot's. */
function reboot(): void {
  fs.writeFileSync(indexFile, fs.readFileSync(indexFile, 'utf8').replaceAll(BOOT, 'an-earlier-boot'));
}

const files = () => fs.readdirSync(dir).filter((f) => /^\d/.test(f));
const release = (mode: ReleaseOnReboot) => session((s) => releaseEarlierBoots(s, mode));

describe('boot ids in the index', () => {
  test('every reservation cni-ts makes records this boot; the reservation file stays the Go format', async () => {
    await session((s) => s.reserve(k('ctr1'), ip('10.0.0.2'), 0));
    expect(fs.readFileSync(indexFile, 'utf8')).toContain(`["+","10.0.0.2","ctr1","eth0","${BOOT}"]`);
    expect(fs.readFileSync(path.join(dir, '10.0.0.2'), 'utf8')).toBe('ctr1\r\neth0');
  });

  test('a rebuild of the index (the Go plugin wrote meanwhile) keeps the boot ids of unchanged holders', async () => {
    await session((s) => {
      s.reserve(k('ctr1'), ip('10.0.0.2'), 0);
      s.reserve(k('ctr2'), ip('10.0.0.3'), 0);
    });
    reboot();
    // The Go plugin: a new reservation and last_reserved_ip rewritten (the index goes stale), and
    // 10.0.0.3 released and taken by another container.
    fs.writeFileSync(path.join(dir, '10.0.0.4'), 'goctr\r\neth0');
    fs.writeFileSync(path.join(dir, '10.0.0.3'), 'other\r\neth0');
    fs.writeFileSync(path.join(dir, 'last_reserved_ip.0'), '10.0.0.4');
    const boots = await session((s) => s.reservations().map((r) => [r.ip.toString(), s.bootOf(r.ip)]));
    expect(boots).toEqual(
      expect.arrayContaining([
        ['10.0.0.2', 'an-earlier-boot'],
        ['10.0.0.3', undefined],
        ['10.0.0.4', undefined],
      ]),
    );
  });
});

describe('releaseEarlierBoots', () => {
  test('after a reboot, releases what cni-ts reserved in the earlier boot, once', async () => {
    await session((s) => {
      s.reserve(k('ctr1'), ip('10.0.0.2'), 0);
      s.reserve(k('ctr2', 'net1'), ip('10.0.0.3'), 0);
    });
    reboot();
    expect(await release(true)).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(files()).toEqual([]);
    await session((s) => s.reserve(k('ctr3'), ip('10.0.0.4'), 0));
    // The next ADD of this boot finds the release recorded: no scan, nothing released.
    const scan = jest.spyOn(DiskStore.prototype, 'reservations');
    expect(await release(true)).toEqual([]);
    expect(scan).not.toHaveBeenCalled();
    expect(files()).toEqual(['10.0.0.4']);
  });

  test('also when the Go plugin made the index stale since (the boot ids come from the old journal)', async () => {
    await session((s) => s.reserve(k('ctr1'), ip('10.0.0.2'), 0));
    fs.writeFileSync(path.join(dir, '10.0.0.4'), 'goctr\r\neth0');
    fs.writeFileSync(path.join(dir, 'last_reserved_ip.0'), '10.0.0.4');
    reboot();
    expect(await release(true)).toEqual(['10.0.0.2']);
    expect(files()).toEqual(['10.0.0.4']);
  });

  test('reservations of this boot stay', async () => {
    await session((s) => s.reserve(k('ctr1'), ip('10.0.0.2'), 0));
    expect(await release(true)).toEqual([]);
    expect(files()).toEqual(['10.0.0.2']);
  });

  test('off (the default): nothing is released', async () => {
    await session((s) => s.reserve(k('ctr1'), ip('10.0.0.2'), 0));
    reboot();
    expect(await release(false)).toEqual([]);
    expect(files()).toEqual(['10.0.0.2']);
  });

  test('the Go plugin’s reservations (no boot id) stay with true; with "all" those written before this boot go', async () => {
    await session((s) => s.reserve(k('ctr1'), ip('10.0.0.2'), 0));
    reboot();
    fs.writeFileSync(path.join(dir, '10.0.0.8'), 'gobefore\r\neth0');
    fs.utimesSync(path.join(dir, '10.0.0.8'), 1_000_000, 1_000_000);
    fs.writeFileSync(path.join(dir, '10.0.0.9'), 'gonow\r\neth0');
    expect(await release(true)).toEqual(['10.0.0.2']);
    expect(files().sort()).toEqual(['10.0.0.8', '10.0.0.9']);
    reboot();
    fs.writeFileSync(indexFile, fs.readFileSync(indexFile, 'utf8').replace(/\["B","[^"]*"\]/g, '["B","an-earlier-boot"]'));
    expect(await release('all')).toEqual(['10.0.0.8']);
    expect(files()).toEqual(['10.0.0.9']);
  });

  test('the release record survives compaction of the journal', async () => {
    await session((s) => s.reserve(k('ctr1'), ip('10.0.0.2'), 0));
    reboot();
    await release(true);
    await session((s) => s.reservations()); // rewrites the journal in full
    expect(fs.readFileSync(indexFile, 'utf8')).toContain(`["B","${BOOT}"]`);
    const scan = jest.spyOn(DiskStore.prototype, 'reservations');
    await release(true);
    expect(scan).not.toHaveBeenCalled();
  });
});

describe('config', () => {
  const conf = (releaseOnReboot: unknown) =>
    parseConfig(request({ cniVersion: '1.0.0', name: 'n', ipam: { type: 'host-local', subnet: '10.0.0.0/24', releaseOnReboot } }));

  test.each([
    [undefined, false],
    [false, false],
    [true, true],
    ['all', 'all'],
  ])('releaseOnReboot %j → %j', (v, want) => {
    expect(conf(v).releaseOnReboot).toBe(want);
  });

  test('anything else is refused with code 7, naming the option', () => {
    expect(() => conf('yes')).toThrow(`option 'releaseOnReboot' must be true, false or "all"`);
  });
});
