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

// Issue 15 item 8: temporary files get unpredictable names and are created with
// O_EXCL|O_NOFOLLOW, so a symlink planted in the directory is never written through; uninstall
// puts back only what install kept, unchanged.
describe('installer hardening', () => {
  afterEach(() => jest.restoreAllMocks());

  test('temporary names are unpredictable: never .<name>.tmp-<pid>, never the same twice', () => {
    const renamed: string[] = [];
    const rename = fs.renameSync;
    jest.spyOn(fs, 'renameSync').mockImplementation((from, to) => {
      renamed.push(path.basename(String(from)));
      rename(from, to);
    });
    const dir = path.join(tmp, 'bin');
    installBinary(source('v1'), dir, PLUGIN_NAMES, log);
    writeFileAtomic(path.join(dir, 'x.conf'), 'a');
    writeFileAtomic(path.join(dir, 'x.conf'), 'b');
    expect(renamed.length).toBeGreaterThan(5);
    for (const name of renamed) {
      expect(name).toMatch(new RegExp(`^\\..+\\.tmp-${process.pid}-[0-9a-f]{16}$`));
    }
    expect(new Set(renamed).size).toBe(renamed.length);
  });

  test('a symlink planted at a temporary name just before it is created is not written through', () => {
    const victim = path.join(tmp, 'victim');
    fs.writeFileSync(victim, 'precious');
    const open = fs.openSync;
    jest.spyOn(fs, 'openSync').mockImplementation((file, flags, mode) => {
      if (String(file).includes('.tmp-') && typeof flags === 'number' && flags & fs.constants.O_CREAT) fs.symlinkSync(victim, file);
      return open(file, flags, mode);
    });
    const dir = path.join(tmp, 'bin');
    expect(() => installBinary(source('v1'), dir, PLUGIN_NAMES, log)).toThrow(/EEXIST/);
    expect(() => writeFileAtomic(path.join(dir, 'x.conf'), 'evil')).toThrow(/EEXIST/);
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious');
  });

  function installedOverGoBridge(sub = 'bin'): { dir: string; kept: string } {
    const dir = path.join(tmp, sub);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'bridge'), 'go bridge', { mode: 0o755 });
    installBinary(source('v1'), dir, PLUGIN_NAMES, log);
    return { dir, kept: path.join(dir, '.cni-ts-replaced', 'bridge') };
  }

  test('uninstall does not put back a kept plugin that was swapped for a symlink', () => {
    const { dir, kept } = installedOverGoBridge();
    fs.rmSync(kept);
    fs.symlinkSync('/etc/shadow', kept);
    uninstallBinary(dir, PLUGIN_NAMES, log);
    expect(fs.existsSync(path.join(dir, 'bridge'))).toBe(false);
    expect(logged.join('\n')).toMatch(/did not put back .*bridge: .* changed since/);
  });

  test('uninstall does not put back a kept plugin whose content changed, nor a hard link to another file', () => {
    const { dir, kept } = installedOverGoBridge();
    fs.writeFileSync(kept, 'not the go bridge');
    uninstallBinary(dir, PLUGIN_NAMES, log);
    expect(fs.existsSync(path.join(dir, 'bridge'))).toBe(false);
    expect(logged.join('\n')).toMatch(/did not put back .*bridge: .* changed since/);

    const again = installedOverGoBridge('bin2');
    fs.rmSync(again.kept);
    fs.linkSync(source('other'), again.kept);
    uninstallBinary(again.dir, PLUGIN_NAMES, log);
    expect(logged.join('\n')).toMatch(/did not put back .*bridge: .* has 2 names/);
  });

  test('a kept directory that is a symlink or writable by others is refused by install and uninstall', () => {
    const dir = path.join(tmp, 'bin');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'bridge'), 'go bridge', { mode: 0o755 });
    const elsewhere = path.join(tmp, 'elsewhere');
    fs.mkdirSync(elsewhere);
    fs.symlinkSync(elsewhere, path.join(dir, '.cni-ts-replaced'));
    expect(() => installBinary(source('v1'), dir, PLUGIN_NAMES, log)).toThrow(/is not a directory/);
    expect(fs.readdirSync(elsewhere)).toEqual([]);

    const { dir: dir2, kept } = installedOverGoBridge('bin2');
    fs.chmodSync(path.dirname(kept), 0o777);
    uninstallBinary(dir2, PLUGIN_NAMES, log);
    expect(fs.existsSync(path.join(dir2, 'bridge'))).toBe(false);
    expect(logged.join('\n')).toMatch(/did not put back .*writable by group or others/);
  });

  test('a plugin that was a symlink (as distributions ship them) is kept and put back as that symlink', () => {
    const dir = path.join(tmp, 'bin');
    fs.mkdirSync(dir);
    fs.symlinkSync('/usr/lib/cni/bridge', path.join(dir, 'bridge'));
    installBinary(source('v1'), dir, PLUGIN_NAMES, log);
    uninstallBinary(dir, PLUGIN_NAMES, log);
    expect(fs.readlinkSync(path.join(dir, 'bridge'))).toBe('/usr/lib/cni/bridge');
    expect(fs.readdirSync(dir)).toEqual(['bridge']);
  });
});
