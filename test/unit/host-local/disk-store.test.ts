import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ip } from '../../../lib/ip';
import { DiskStore, ipOfName } from '../../../plugins/host-local/store/disk-store';
import { networkDir } from '../../../plugins/host-local/store/state-dir';
import { flockWaiters, until } from '../../helpers/proc-locks';

const key = { containerId: 'ctr1', ifName: 'eth0' };
let dataDir: string;
let dir: string;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-hl-disk-'));
  dir = path.join(dataDir, 'net1');
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

async function withStore<T>(fn: (s: DiskStore) => T): Promise<T> {
  const store = (await DiskStore.open(dataDir, 'net1', true, 4)) as DiskStore;
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

const ip = (t: string) => Ip.parse(t);
const names = () => fs.readdirSync(dir).sort();

describe('host-local disk store: the Go file format', () => {
  it('writes "<id>\\r\\n<ifname>" (mode 0600, no newline), last_reserved_ip.<set> and lock', async () => {
    expect(await withStore((s) => s.reserve(key, ip('10.1.0.2'), 3))).toBe(true);
    expect(fs.readFileSync(path.join(dir, '10.1.0.2'), 'latin1')).toBe('ctr1\r\neth0');
    expect(fs.statSync(path.join(dir, '10.1.0.2')).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(dir, 'last_reserved_ip.3'), 'latin1')).toBe('10.1.0.2');
    expect(fs.statSync(dir).mode & 0o777).toBe(0o755 & ~process.umask());
    expect(names()).toEqual(['10.1.0.2', 'last_reserved_ip.3', 'lock']);
  });

  it('names IPv6 files the way Go prints addresses', async () => {
    await withStore((s) => s.reserve(key, ip('FD00:0:0::0A'), 0));
    expect(names()).toContain('fd00::a');
  });

  it('refuses an address whose file exists, without touching it', async () => {
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, '10.1.0.2'), 'other\r\neth0');
    expect(await withStore((s) => s.reserve(key, ip('10.1.0.2'), 0))).toBe(false);
    expect(fs.readFileSync(path.join(dir, '10.1.0.2'), 'latin1')).toBe('other\r\neth0');
    expect(names()).toEqual(['10.1.0.2', 'lock']);
  });

  it('takes a reservation back when its last_reserved_ip cannot be written', async () => {
    fs.mkdirSync(path.join(dir, 'last_reserved_ip.0'), { recursive: true });
    await expect(withStore((s) => s.reserve(key, ip('10.1.0.2'), 0))).rejects.toThrow(/cannot record the last reserved address/);
    expect(names()).toEqual(['last_reserved_ip.0', 'lock']);
  });

  it('reads the last reservation back, tolerating a trailing newline and garbage', async () => {
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'last_reserved_ip.0'), '10.1.0.9\n');
    fs.writeFileSync(path.join(dir, 'last_reserved_ip.1'), 'garbage');
    expect(await withStore((s) => [s.lastReservedIp(0)?.toString(), s.lastReservedIp(1), s.lastReservedIp(2)])).toEqual([
      '10.1.0.9',
      undefined,
      undefined,
    ]);
  });

  it('finds and releases by (id, ifname), falling back to legacy id-only files', async () => {
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, '10.1.0.2'), 'ctr1\r\neth0');
    fs.writeFileSync(path.join(dir, 'fd00::2'), 'ctr1\r\neth0\n');
    fs.writeFileSync(path.join(dir, '10.1.0.3'), 'ctr1\r\neth1');
    fs.writeFileSync(path.join(dir, '10.1.0.4'), ' ctr1 ');
    fs.writeFileSync(path.join(dir, '10.1.0.5'), 'ctr2');
    await withStore((s) => {
      expect(s.findByAttachment(key).map(String).sort()).toEqual(['10.1.0.2', '10.1.0.4', 'fd00::2']);
      expect(s.releaseByAttachment(key).map(String).sort()).toEqual(['10.1.0.2', 'fd00::2']);
      expect(s.releaseByAttachment(key).map(String)).toEqual(['10.1.0.4']);
      expect(s.releaseByAttachment(key)).toEqual([]);
      expect(s.findByAttachment({ containerId: 'ctr2', ifName: 'eth9' }).map(String)).toEqual(['10.1.0.5']);
    });
    expect(names()).toEqual(['10.1.0.3', '10.1.0.5', 'lock']);
  });

  it('lists only regular files whose name is a canonical address', async () => {
    fs.mkdirSync(dir);
    for (const n of ['10.1.0.2', '010.1.0.3', 'FD00::2', 'last_reserved_ip.0', 'lock', '.cni-ts-x', 'notes.txt'])
      fs.writeFileSync(path.join(dir, n), 'c\r\neth0');
    fs.mkdirSync(path.join(dir, '10.1.0.9'));
    expect(await withStore((s) => s.reservations().map((r) => r.ip.toString()))).toEqual(['10.1.0.2']);
    expect([ipOfName('10.1.0.2')?.toString(), ipOfName('fd00::02'), ipOfName('::ffff:10.1.0.2')]).toEqual([
      '10.1.0.2',
      undefined,
      undefined,
    ]);
  });
});

describe('host-local disk store: safety', () => {
  it('never follows a symlink planted under an address name, nor deletes through it', async () => {
    fs.mkdirSync(dir);
    const outside = path.join(dataDir, 'outside');
    fs.writeFileSync(outside, 'ctr1\r\neth0');
    fs.symlinkSync(outside, path.join(dir, '10.1.0.2'));
    await withStore((s) => {
      expect(s.findByAttachment(key)).toEqual([]);
      expect(s.releaseByAttachment(key)).toEqual([]);
      expect(s.reserve(key, ip('10.1.0.2'), 0)).toBe(false);
    });
    expect(fs.readFileSync(outside, 'latin1')).toBe('ctr1\r\neth0');
  });

  it('replaces a symlinked last_reserved_ip instead of writing through it', async () => {
    fs.mkdirSync(dir);
    const outside = path.join(dataDir, 'outside');
    fs.writeFileSync(outside, 'keep');
    fs.symlinkSync(outside, path.join(dir, 'last_reserved_ip.0'));
    await withStore((s) => {
      expect(s.lastReservedIp(0)).toBeUndefined();
      s.reserve(key, ip('10.1.0.2'), 0);
    });
    expect(fs.readFileSync(outside, 'latin1')).toBe('keep');
    expect(fs.lstatSync(path.join(dir, 'last_reserved_ip.0')).isFile()).toBe(true);
  });

  it('refuses a lock file that is a symlink', async () => {
    fs.mkdirSync(dir);
    fs.symlinkSync(path.join(dataDir, 'elsewhere'), path.join(dir, 'lock'));
    await expect(DiskStore.open(dataDir, 'net1', true, 4)).rejects.toThrow(/cannot open the lock/);
    expect(fs.existsSync(path.join(dataDir, 'elsewhere'))).toBe(false);
  });

  it('refuses a state directory that is a symlink', async () => {
    fs.mkdirSync(path.join(dataDir, 'real'));
    fs.symlinkSync(path.join(dataDir, 'real'), dir);
    await expect(DiskStore.open(dataDir, 'net1', true, 4)).rejects.toThrow(/is not a directory \(a symbolic link, refused\)/);
  });

  it.each(['..', '.', 'a/b', '../net1', ''])('refuses network name %j as a path', (name) => {
    expect(() => networkDir(dataDir, name)).toThrow(/cannot name a directory inside/);
  });

  it('creates nothing when asked not to', async () => {
    expect(await DiskStore.open(dataDir, 'net1', false, 4)).toBeUndefined();
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('removes temporaries a crashed run left behind', async () => {
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, '.cni-ts-reserve.tmp'), 'ctr9\r\neth0');
    fs.writeFileSync(path.join(dir, '.cni-ts-last.tmp'), '10.1.0.9');
    await withStore(() => undefined);
    expect(names()).toEqual(['lock']);
  });
});

describe('host-local disk store: locking', () => {
  it('holds the network lock from open to close', async () => {
    const first = (await DiskStore.open(dataDir, 'net1', true, 4)) as DiskStore;
    let secondOpened = false;
    const second = DiskStore.open(dataDir, 'net1', true, 4).then((s) => {
      secondOpened = true;
      return s as DiskStore;
    });
    await until(() => flockWaiters(path.join(dir, 'lock')) === 1, 'the second open to block on the lock');
    expect(secondOpened).toBe(false);
    first.close();
    (await second).close();
    expect(secondOpened).toBe(true);
  });
});
