import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { installBinary, installedStamp, uninstallBinary, writeFileAtomic } from '../../../lib/cli/install-files';
import { PLUGIN_NAMES } from '../../../plugins/registry';

let tmp: string;
const logged: string[] = [];
const log = (l: string) => logged.push(l);

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-install-'));
  logged.length = 0;
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function source(content: string): string {
  const file = path.join(tmp, 'src');
  fs.writeFileSync(file, content);
  return file;
}

test('installs the binary 0755 with the four names as hard links, then skips an identical install', () => {
  const dir = path.join(tmp, 'bin');
  expect(installBinary(source('v1'), dir, PLUGIN_NAMES, log)).toBe(true);
  const stamp = installedStamp(dir, PLUGIN_NAMES);
  expect(stamp).not.toBeNull();
  expect(fs.statSync(path.join(dir, 'cni-ts')).mode & 0o777).toBe(0o755);
  for (const name of PLUGIN_NAMES) expect(fs.statSync(path.join(dir, name)).ino).toBe(stamp!.ino);
  expect(installBinary(path.join(tmp, 'src'), dir, PLUGIN_NAMES, log)).toBe(false);
  expect(installedStamp(dir, PLUGIN_NAMES)).toEqual(stamp);
  expect(fs.readdirSync(dir).sort()).toEqual(['bridge', 'cni-ts', 'dummy', 'host-local', 'macvlan']);
});

test('replaces a changed binary, relinks a missing name, and reports foreign plugins it replaced', () => {
  const dir = path.join(tmp, 'bin');
  installBinary(source('v1'), dir, PLUGIN_NAMES, log);
  fs.unlinkSync(path.join(dir, 'dummy'));
  expect(installedStamp(dir, PLUGIN_NAMES)).toBeNull();
  expect(installBinary(path.join(tmp, 'src'), dir, PLUGIN_NAMES, log)).toBe(true);
  expect(fs.readFileSync(path.join(dir, 'dummy'), 'utf8')).toBe('v1');

  fs.writeFileSync(path.join(dir, 'macvlan.new'), 'go plugin');
  fs.renameSync(path.join(dir, 'macvlan.new'), path.join(dir, 'macvlan'));
  expect(installBinary(source('v2'), dir, PLUGIN_NAMES, log)).toBe(true);
  for (const name of ['cni-ts', ...PLUGIN_NAMES]) expect(fs.readFileSync(path.join(dir, name), 'utf8')).toBe('v2');
  expect(logged).toContain(
    `replaced ${path.join(dir, 'macvlan')}, which was not cni-ts (kept in ${path.join(dir, '.cni-ts-replaced')}; uninstall puts it back)`,
  );
});

test('a plugin it replaced (the Go bridge) is kept and put back by uninstall; only the first original is kept', () => {
  const dir = path.join(tmp, 'bin');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'bridge'), 'go bridge', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'portmap'), 'go portmap', { mode: 0o755 });
  installBinary(source('v1'), dir, PLUGIN_NAMES, log);
  expect(fs.readFileSync(path.join(dir, 'bridge'), 'utf8')).toBe('v1');
  installBinary(source('v2'), dir, PLUGIN_NAMES, log);
  expect(fs.readFileSync(path.join(dir, '.cni-ts-replaced', 'bridge'), 'utf8')).toBe('go bridge');
  uninstallBinary(dir, PLUGIN_NAMES, log);
  expect(fs.readdirSync(dir).sort()).toEqual(['bridge', 'portmap']);
  expect(fs.readFileSync(path.join(dir, 'bridge'), 'utf8')).toBe('go bridge');
  expect(fs.statSync(path.join(dir, 'bridge')).mode & 0o777).toBe(0o755);
  expect(logged[logged.length - 1]).toContain('put back the plugins it had replaced: bridge');
});

test('uninstall removes cni-ts and its names, not other plugins', () => {
  const dir = path.join(tmp, 'bin');
  installBinary(source('v1'), dir, PLUGIN_NAMES, log);
  fs.rmSync(path.join(dir, 'bridge'));
  fs.writeFileSync(path.join(dir, 'bridge'), 'go bridge');
  uninstallBinary(dir, PLUGIN_NAMES, log);
  expect(fs.readdirSync(dir)).toEqual(['bridge']);
  expect(fs.readFileSync(path.join(dir, 'bridge'), 'utf8')).toBe('go bridge');
});

test('writeFileAtomic writes by rename, skips unchanged content, and leaves no temp file', () => {
  const file = path.join(tmp, 'net.d', '10-x.conflist');
  expect(writeFileAtomic(file, 'a\n')).toBe(true);
  const ino = fs.statSync(file).ino;
  expect(writeFileAtomic(file, 'a\n')).toBe(false);
  expect(fs.statSync(file).ino).toBe(ino);
  expect(writeFileAtomic(file, 'b\n')).toBe(true);
  expect(fs.readFileSync(file, 'utf8')).toBe('b\n');
  expect(fs.statSync(file).mode & 0o777).toBe(0o644);
  expect(fs.readdirSync(path.dirname(file))).toEqual(['10-x.conflist']);
});
