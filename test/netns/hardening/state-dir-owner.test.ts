import fs from 'node:fs';
import path from 'node:path';
import { requireRoot } from '../../helpers/netns';
import { cni, netConf, ok, requireBinary, tempDataDir } from '../host-local/harness';

// Issue 15 item 11: host-local refuses a dataDir or network directory that another user owns or
// that group or others may write (a dataDir another local user pre-created under /tmp), with a
// clear error and without creating anything in it.

const NOBODY = 65534;
let base: string;

beforeAll(() => {
  requireRoot();
  requireBinary();
});
beforeEach(() => (base = tempDataDir()));
afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

const conf = (dataDir: string) => netConf(dataDir, { ranges: [[{ subnet: '10.1.0.0/24' }]] });

async function refused(dataDir: string, pattern: RegExp, command: 'ADD' | 'DEL' = 'ADD'): Promise<void> {
  const r = await cni({ command, conf: conf(dataDir) });
  expect(r.status).toBe(1);
  expect(r.json).toMatchObject({ code: 999 });
  expect(r.json.msg).toMatch(pattern);
  expect(r.json.msg).toMatch(/refused/);
}

test('a dataDir owned by another user is refused and nothing is created in it', async () => {
  const dataDir = path.join(base, 'data');
  fs.mkdirSync(dataDir, { mode: 0o755 });
  fs.chownSync(dataDir, NOBODY, NOBODY);
  await refused(dataDir, /dataDir .*data belongs to uid 65534, neither this user \(uid 0\) nor root/);
  expect(fs.readdirSync(dataDir)).toEqual([]);
  const status = await cni({ command: 'STATUS', conf: { ...conf(dataDir), cniVersion: '1.1.0' } });
  expect(status.json).toMatchObject({ code: 50 });
  expect(status.json.msg).toMatch(/belongs to uid 65534/);
  expect(fs.readdirSync(dataDir)).toEqual([]);
});

test.each(['0777', '1777', '0775'])('a dataDir with mode %s is refused', async (mode) => {
  const dataDir = path.join(base, 'data');
  fs.mkdirSync(dataDir);
  fs.chmodSync(dataDir, parseInt(mode, 8));
  await refused(dataDir, /dataDir .* is writable by (its group|others) .*chmod go-w/);
  expect(fs.readdirSync(dataDir)).toEqual([]);
});

test('a network directory another user made, or one group-writable, is refused, for DEL too', async () => {
  const netDir = path.join(base, 'hlnet');
  fs.mkdirSync(netDir, { mode: 0o755 });
  fs.chownSync(netDir, NOBODY, NOBODY);
  await refused(base, /network directory .*hlnet belongs to uid 65534/);
  await refused(base, /network directory .*hlnet belongs to uid 65534/, 'DEL');
  expect(fs.readdirSync(netDir)).toEqual([]);
  fs.chownSync(netDir, 0, 0);
  fs.chmodSync(netDir, 0o775);
  await refused(base, /network directory .*hlnet is writable by its group \(mode 0775\)/);
});

test('a dataDir symlink another user planted is refused; one root made is followed', async () => {
  const target = path.join(base, 'real');
  fs.mkdirSync(target, { mode: 0o755 });
  const link = path.join(base, 'link');
  fs.symlinkSync(target, link);
  fs.lchownSync(link, NOBODY, NOBODY);
  await refused(link, /dataDir \(a symbolic link\) .*link belongs to uid 65534/);
  fs.lchownSync(link, 0, 0);
  await ok({ command: 'ADD', conf: conf(link) });
  expect(fs.readdirSync(path.join(target, 'hlnet'))).toContain('10.1.0.2');
});

test('a 0755 root-owned dataDir (as the Go plugin creates /var/lib/cni/networks) works', async () => {
  const dataDir = path.join(base, 'networks');
  fs.mkdirSync(dataDir, { mode: 0o755 });
  await ok({ command: 'ADD', conf: conf(dataDir) });
  await ok({ command: 'DEL', conf: conf(dataDir) });
  expect(fs.statSync(path.join(dataDir, 'hlnet')).mode & 0o7777).toBe(0o755);
});
