import fs from 'node:fs';
import path from 'node:path';
import { lockFile } from '../../../lib/net/file-lock';
import { requireRoot } from '../../helpers/netns';
import { flockWaiters, until } from '../../helpers/proc-locks';
import { requireBinaries, withSandbox, type Sandbox } from '../bridge/harness';
import { cni, leases, netConf, ok, tempDataDir } from '../host-local/harness';

// Issue 15 item 2: a runtime's valid list is a snapshot taken before its GC, so an ADD under way
// (or another runtime's attachment) is missing from it. GC never releases a reservation written,
// nor removes masquerade rules found stale, less than gcGracePeriod (default 60 s) ago, and
// host-local's GC runs under the lock ADD takes.

beforeAll(() => {
  requireRoot();
  requireBinaries();
});

const HOUR_AGO = new Date(Date.now() - 3600_000);

/** Moves the write time of every reservation file back an hour, as if written long ago. */
function ageReservations(dataDir: string, network: string): void {
  const dir = path.join(dataDir, network);
  for (const name of fs.readdirSync(dir)) fs.utimesSync(path.join(dir, name), HOUR_AGO, HOUR_AGO);
}

describe('host-local GC', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = tempDataDir()));
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const conf = (extra: Record<string, unknown> = {}) =>
    netConf(dataDir, { ranges: [[{ subnet: '10.1.0.0/24' }]], ...extra }, { cniVersion: '1.1.0', 'cni.dev/valid-attachments': [] });

  test('keeps a reservation younger than the grace period, releases it once older', async () => {
    await ok({ command: 'ADD', conf: conf() });
    await ok({ command: 'GC', conf: conf() });
    expect(leases(dataDir)).toEqual(['10.1.0.2']);
    ageReservations(dataDir, 'hlnet');
    await ok({ command: 'GC', conf: conf() });
    expect(leases(dataDir)).toEqual([]);
  });

  test('gcGracePeriod sets the period: 0 releases at once, a longer one keeps an hour-old reservation', async () => {
    await ok({ command: 'ADD', conf: conf() });
    ageReservations(dataDir, 'hlnet');
    await ok({ command: 'GC', conf: conf({ gcGracePeriod: 7200 }) });
    expect(leases(dataDir)).toEqual(['10.1.0.2']);
    await ok({ command: 'ADD', conf: conf(), containerId: 'ctr2' });
    await ok({ command: 'GC', conf: conf({ gcGracePeriod: 0 }) });
    expect(leases(dataDir)).toEqual([]);
    expect((await cni({ command: 'GC', conf: conf({ gcGracePeriod: -1 }) })).json).toMatchObject({ code: 7 });
  });

  test('waits for the lock an ADD holds', async () => {
    await ok({ command: 'ADD', conf: conf() });
    ageReservations(dataDir, 'hlnet');
    const lockPath = path.join(dataDir, 'hlnet', 'lock');
    const held = await lockFile(lockPath);
    let gc: ReturnType<typeof ok> | undefined;
    try {
      gc = ok({ command: 'GC', conf: conf() });
      await until(() => flockWaiters(lockPath) === 1, 'GC waiting for the lock');
      expect(leases(dataDir)).toEqual(['10.1.0.2']);
    } finally {
      held.release();
    }
    await gc;
    expect(leases(dataDir)).toEqual([]);
  });
});

/** Where the bridge records when it first found rules of the sandbox's network stale. */
function marksFile(s: Sandbox): string {
  return `/run/cni-ts/masq-gc-${fs.statSync(s.host.path).ino}-testnet.json`;
}

describe('bridge masquerade GC', () => {
  test.each(['iptables', 'nftables'])('%s: rules go only once found stale for the grace period', async (backend) => {
    await withSandbox((s) => {
      const conf = s.conf({ cniVersion: '1.1.0', ipMasq: true, ipMasqBackend: backend });
      const gc = { ...conf, 'cni.dev/valid-attachments': [{ containerID: 'keep', ifname: 'eth0' }] };
      const rules = () => (backend === 'iptables' ? s.natRules() : s.nftMasqRules());
      s.ok({ command: 'ADD', conf, containerId: 'keep', ifName: 'eth0' });
      s.ok({ command: 'ADD', conf, containerId: 'gone', ifName: 'eth1' });
      const before = rules();
      try {
        s.ok({ command: 'GC', conf: gc });
        expect(rules()).toEqual(before);
        expect(s.reservations().sort()).toEqual(['10.99.0.2', '10.99.0.3']);
        const marks = JSON.parse(fs.readFileSync(marksFile(s), 'utf8')) as Record<string, number>;
        expect(Object.keys(marks)).toHaveLength(1);
        // As if that GC had run an hour ago.
        fs.writeFileSync(marksFile(s), JSON.stringify(Object.fromEntries(Object.keys(marks).map((k) => [k, HOUR_AGO.getTime()]))));
        ageReservations(s.dataDir, 'testnet');
        s.ok({ command: 'GC', conf: gc });
        const after = rules();
        expect(after.length).toBeLessThan(before.length);
        expect(after.join('\n')).toContain('keep');
        expect(after.join('\n')).not.toContain('gone');
        expect(s.reservations()).toEqual(['10.99.0.2']);
        expect(fs.existsSync(marksFile(s))).toBe(false);
      } finally {
        fs.rmSync(marksFile(s), { force: true });
      }
    });
  });

  test('a rule found stale once and live again is no longer marked', async () => {
    await withSandbox((s) => {
      const conf = s.conf({ cniVersion: '1.1.0', ipMasq: true });
      s.ok({ command: 'ADD', conf });
      try {
        s.ok({ command: 'GC', conf: { ...conf, 'cni.dev/valid-attachments': [] } });
        expect(fs.existsSync(marksFile(s))).toBe(true);
        s.ok({ command: 'GC', conf: { ...conf, 'cni.dev/valid-attachments': [{ containerID: 'ctr1', ifname: 'eth0' }] } });
        expect(fs.existsSync(marksFile(s))).toBe(false);
        expect(s.natRules()).toHaveLength(4);
      } finally {
        fs.rmSync(marksFile(s), { force: true });
      }
    });
  });
});
