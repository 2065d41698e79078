import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { requireRoot } from '../../helpers/netns';
import { BIN, NOTHING_LEFT, requireBinaries, rng, shapeProblem, sleep, withEnv, type Env, type Plugin } from './harness';

// Faults: the plugin SIGKILLed at random points of ADD, DEL twice / concurrently / while ADD
// is still running, a read-only or full dataDir. After each, one DEL must leave nothing and
// the next ADD must succeed.

jest.setTimeout(240_000);

const KILLS = Number(process.env.FAULT_KILLS ?? 12);

beforeAll(() => {
  requireRoot();
  requireBinaries();
});

async function killDuringAdd(e: Env, plugin: Plugin, seed: number): Promise<string> {
  const r = rng(seed);
  const conf = e.conf(plugin);
  let killedEarly = 0;
  for (let i = 0; i < KILLS; i++) {
    const delay = r.int(61);
    const add = e.start({ plugin, command: 'ADD', conf });
    await sleep(delay);
    add.kill();
    const res = await add.done;
    if (res.signal === 'SIGKILL') killedEarly++;
    const del = e.run({ plugin, command: 'DEL', conf });
    expect(shapeProblem(del)).toBeUndefined();
    expect({ delay, del: del.status, left: e.leftovers() }).toEqual({ delay, del: 0, left: NOTHING_LEFT });
    e.ok({ plugin, command: 'ADD', conf });
    e.ok({ plugin, command: 'DEL', conf });
    expect({ delay, left: e.leftovers() }).toEqual({ delay, left: NOTHING_LEFT });
  }
  return `${KILLS} kills (${killedEarly} before the plugin finished)`;
}

describe('reliability: kill -9 during ADD', () => {
  test.each(['bridge', 'host-local'] as Plugin[])('%s: DEL after a SIGKILLed ADD cleans everything; the next ADD succeeds', (plugin) =>
    withEnv(async (e) => {
      console.log(`faults: ${plugin} ${await killDuringAdd(e, plugin, 7 + plugin.length)}, 0 unclean`);
    }),
  );

  test('macvlan: DEL after a SIGKILLed ADD cleans everything; the next ADD succeeds', () =>
    withEnv(async (e) => {
      console.log(`faults: macvlan ${await killDuringAdd(e, 'macvlan', 99)}, 0 unclean`);
    }));
});

describe('reliability: DEL twice, concurrently, during ADD', () => {
  test.each(['bridge', 'host-local', 'macvlan'] as Plugin[])('%s: DEL twice succeeds and leaves nothing', (plugin) =>
    withEnv((e) => {
      const conf = e.conf(plugin);
      e.ok({ plugin, command: 'ADD', conf });
      e.ok({ plugin, command: 'DEL', conf });
      e.ok({ plugin, command: 'DEL', conf });
      // A DEL with no netns at all (the runtime lost it) after that is still fine.
      e.ok({ plugin, command: 'DEL', conf, netns: '' });
      expect(e.leftovers()).toEqual(NOTHING_LEFT);
    }),
  );

  test.each(['bridge', 'host-local', 'macvlan'] as Plugin[])('%s: two concurrent DELs both succeed and leave nothing', (plugin) =>
    withEnv(async (e) => {
      const conf = e.conf(plugin);
      for (let i = 0; i < 5; i++) {
        e.ok({ plugin, command: 'ADD', conf });
        const [a, b] = await Promise.all([e.start({ plugin, command: 'DEL', conf }).done, e.start({ plugin, command: 'DEL', conf }).done]);
        expect([a.status, b.status, a.stdout, b.stdout]).toEqual([0, 0, '', '']);
        expect(e.leftovers()).toEqual(NOTHING_LEFT);
      }
    }),
  );

  test.each(['bridge', 'host-local', 'macvlan'] as Plugin[])(
    '%s: DEL arriving while ADD still runs; one more DEL leaves nothing, the next ADD works',
    (plugin) =>
      withEnv(async (e) => {
        const conf = e.conf(plugin);
        const r = rng(plugin.length);
        for (let i = 0; i < 6; i++) {
          const add = e.start({ plugin, command: 'ADD', conf });
          await sleep(r.int(40));
          const del = e.start({ plugin, command: 'DEL', conf });
          const [ra, rd] = await Promise.all([add.done, del.done]);
          expect(shapeProblem(ra)).toBeUndefined();
          expect({ del: rd.status, out: rd.stdout }).toEqual({ del: 0, out: '' });
          e.ok({ plugin, command: 'DEL', conf });
          expect(e.leftovers()).toEqual(NOTHING_LEFT);
          e.ok({ plugin, command: 'ADD', conf });
          e.ok({ plugin, command: 'DEL', conf });
        }
      }),
  );
});

/**
 * Runs one ADD with dataDir on a private tmpfs (`unshare -m`, so the mount exists only for this
 * call), prepared by `prepare` (shell), and returns the plugin's answer plus a listing of the
 * tmpfs afterwards (every file with its size).
 */

function addOnTmpfs(
  e: Env,
  plugin: Plugin,
  mountOpts: string,
  prepare: string,
): { status: number; json: any; stdout: string; files: string[] } {
  const mnt = path.join(e.tmp, 'mnt');
  fs.mkdirSync(mnt, { recursive: true });
  const conf = e.conf(plugin);
  conf.ipam.dataDir = mnt;
  const script = [
    'set -e',
    // mode=0755: a tmpfs root is 1777 by default, which host-local refuses as a dataDir.
    `mount -t tmpfs -o mode=0755,${mountOpts} cnits-tmpfs "$MNT"`,
    prepare,
    'set +e',
    `ip netns exec "$HOSTNS" "$BIN" > "$OUT"`,
    'echo $? > "$OUT.rc"',
    'find "$MNT" -mindepth 1 -printf "%P %s %y\\n" > "$OUT.files"',
  ].join('\n');
  const out = path.join(e.tmp, `out-${Date.now()}`);
  const env = {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
    MNT: mnt,
    HOSTNS: e.host.name,
    BIN: path.join(BIN, plugin),
    OUT: out,
    CNI_COMMAND: 'ADD',
    CNI_CONTAINERID: 'ctr1',
    CNI_NETNS: e.ctr.path,
    CNI_IFNAME: 'eth0',
    CNI_PATH: BIN,
  };
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
    env,
    input: JSON.stringify(conf),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`tmpfs sandbox failed: ${r.stderr}`);
  const stdout = fs.readFileSync(out, 'utf8');
  let json: any;
  try {
    json = JSON.parse(stdout);
  } catch {
    json = undefined;
  }
  return {
    status: Number(fs.readFileSync(`${out}.rc`, 'utf8')),
    json,
    stdout,
    files: fs.readFileSync(`${out}.files`, 'utf8').split('\n').filter(Boolean),
  };
}

describe('reliability: read-only and full dataDir', () => {
  test.each(['host-local', 'bridge', 'macvlan'] as Plugin[])('%s: read-only dataDir -> clear error, nothing created', (plugin) =>
    withEnv((e) => {
      const r = addOnTmpfs(e, plugin, 'ro,size=64k', ':');
      expect(r.status).toBe(1);
      expect(Number.isInteger(r.json?.code)).toBe(true);
      expect(r.json.msg).toMatch(/read-only|EROFS/i);
      expect(r.files).toEqual([]);
      expect(e.leftovers()).toEqual(NOTHING_LEFT);
    }),
  );

  test.each(['host-local', 'bridge'] as Plugin[])('%s: full dataDir (no space) -> clear error, no half-written reservation', (plugin) =>
    withEnv((e) => {
      // The network directory exists (a node that ran before); then the disk fills up.
      const r = addOnTmpfs(
        e,
        plugin,
        'size=16k',
        'mkdir -m 0755 "$MNT/relnet"; dd if=/dev/zero of="$MNT/fill" bs=4k count=64 2>/dev/null || true',
      );
      expect(r.status).toBe(1);
      expect(Number.isInteger(r.json?.code)).toBe(true);
      expect(r.json.msg).toMatch(/space|ENOSPC/i);
      // Only the filler, the directory and (maybe) the lock: no address file, empty or not.
      const names = r.files.map((l) => l.split(' ')[0]);
      expect(names.filter((n) => /^relnet\/[0-9a-f.:]+$/.test(n))).toEqual([]);
      expect(e.leftovers()).toEqual(NOTHING_LEFT);
    }),
  );

  test.each(['host-local', 'bridge'] as Plugin[])('%s: no free inodes in dataDir -> clear error, nothing created', (plugin) =>
    withEnv((e) => {
      const r = addOnTmpfs(e, plugin, 'size=1m,nr_inodes=3', 'mkdir -m 0755 "$MNT/relnet"');
      expect(r.status).toBe(1);
      expect(Number.isInteger(r.json?.code)).toBe(true);
      const names = r.files.map((l) => l.split(' ')[0]);
      expect(names.filter((n) => /^relnet\/[0-9a-f.:]+$/.test(n))).toEqual([]);
      expect(e.leftovers()).toEqual(NOTHING_LEFT);
    }),
  );
});
