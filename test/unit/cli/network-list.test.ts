import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigFileError, loadNetworkList, negotiateVersion, parseNetworkList } from '../../../lib/cli/network-list';

const EXAMPLES = path.resolve(__dirname, '../../../conf-examples');

let dir: string;
let warnings: string[];
const warn = (m: string) => warnings.push(m);
const write = (file: string, content: unknown) => {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), typeof content === 'string' ? content : JSON.stringify(content));
};
const bridgeList = (name: string, extra: Record<string, unknown> = {}) => ({
  cniVersion: '1.0.0',
  name,
  plugins: [{ type: 'bridge' }],
  ...extra,
});

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-netconf-'));
  warnings = [];
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('loading a network from NETCONFPATH', () => {
  it('finds a conflist by its name, keeping its bytes and settings', () => {
    write('10-a.conflist', bridgeList('a'));
    write('20-b.conflist', bridgeList('b', { disableCheck: true, disableGC: 'TRUE' }));
    const list = loadNetworkList(dir, 'b', warn);
    expect(list).toMatchObject({
      name: 'b',
      cniVersion: '1.0.0',
      disableCheck: true,
      disableGC: true,
      source: path.join(dir, '20-b.conflist'),
    });
    expect(list.plugins.map((p) => p.type)).toEqual(['bridge']);
    expect(list.bytes.toString()).toBe(fs.readFileSync(path.join(dir, '20-b.conflist'), 'utf8'));
    expect(warnings).toEqual([]);
  });

  it('prefers conflists over single configs, and earlier file names over later ones', () => {
    write('00-single.conf', { cniVersion: '0.4.0', name: 'n', type: 'macvlan' });
    write('30-late.conflist', bridgeList('n', { cniVersion: '0.3.1' }));
    write('20-early.conflist', bridgeList('n'));
    expect(loadNetworkList(dir, 'n', warn)).toMatchObject({ cniVersion: '1.0.0', source: path.join(dir, '20-early.conflist') });
  });

  it('upgrades a single-plugin .conf to a one-plugin list like libcni', () => {
    write('10-old.conf', { cniVersion: '0.3.1', name: 'old', type: 'bridge', bridge: 'br9', capabilities: { ips: true } });
    const list = loadNetworkList(dir, 'old', warn);
    expect(list).toMatchObject({ name: 'old', cniVersion: '0.3.1', disableCheck: false });
    expect(list.plugins).toHaveLength(1);
    expect(list.plugins[0]).toMatchObject({ type: 'bridge', name: 'old', capabilities: ['ips'] });
    // The cached "config" of such a network is the generated list, keys sorted like Go writes them.
    expect(list.bytes.toString()).toBe(
      '{"cniVersion":"0.3.1","name":"old","plugins":[{"bridge":"br9","capabilities":{"ips":true},"cniVersion":"0.3.1","name":"old","type":"bridge"}]}',
    );
  });

  it('reads *.json files as single-plugin configs too', () => {
    write('10-x.json', { cniVersion: '0.4.0', name: 'x', type: 'host-local' });
    expect(loadNetworkList(dir, 'x', warn).plugins[0].type).toBe('host-local');
  });

  it('skips files it cannot parse, with a warning naming the file', () => {
    write('01-broken.conflist', '{"name": "n", ');
    write('02-notype.conflist', { name: 'n', cniVersion: '1.0.0', plugins: [{ bridge: 'x' }] });
    write('03-bad-caps.conflist', { name: 'n', plugins: [{ type: 'bridge', capabilities: { ips: 'yes' } }] });
    write('04-empty.conflist', { name: 'n', plugins: [] });
    write('05-good.conflist', bridgeList('n'));
    write('06-list-in-conf.conf', bridgeList('other'));
    expect(loadNetworkList(dir, 'n', warn).source).toBe(path.join(dir, '05-good.conflist'));
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toMatch(/01-broken\.conflist: error parsing configuration list/);
    expect(warnings[1]).toMatch(/02-notype\.conflist: plugin config 0: missing 'type'/);
    expect(warnings[2]).toMatch(/capability 'ips' must be true or false/);
    expect(warnings[3]).toMatch(/no plugins in list/);
  });

  it('says which network is missing, or that the directory holds none', () => {
    write('10-a.conflist', bridgeList('a'));
    expect(() => loadNetworkList(dir, 'zzz', warn)).toThrow(`no net configuration with name "zzz" in ${dir}`);
    expect(() => loadNetworkList(path.join(dir, 'nope'), 'a', warn)).toThrow(ConfigFileError);
    expect(() => loadNetworkList(path.join(dir, 'nope'), 'a', warn)).toThrow(/no net configurations found in/);
  });

  it('ignores other extensions and directories', () => {
    write('10-a.conflist.bak', bridgeList('a'));
    write('README.md', '# not a config');
    fs.mkdirSync(path.join(dir, 'sub.conflist'));
    expect(() => loadNetworkList(dir, 'a', warn)).toThrow(/no net configurations found/);
  });

  it('appends plugin files from <dir>/<network>/*.conf unless loadOnlyInlinedPlugins', () => {
    write('10-a.conflist', bridgeList('a'));
    write('a/20-tuning.conf', { type: 'tuning' });
    write('a/10-portmap.conf', { type: 'portmap', capabilities: { portMappings: true } });
    expect(loadNetworkList(dir, 'a', warn).plugins.map((p) => p.type)).toEqual(['bridge', 'portmap', 'tuning']);
    write('10-a.conflist', bridgeList('a', { loadOnlyInlinedPlugins: true }));
    expect(loadNetworkList(dir, 'a', warn).plugins.map((p) => p.type)).toEqual(['bridge']);
  });

  it('accepts a conflist without inline plugins when its directory provides them', () => {
    write('10-a.conflist', { cniVersion: '1.1.0', name: 'a' });
    write('a/10-bridge.conf', { type: 'bridge' });
    expect(loadNetworkList(dir, 'a', warn).plugins.map((p) => p.type)).toEqual(['bridge']);
    fs.rmSync(path.join(dir, 'a'), { recursive: true });
    expect(() => loadNetworkList(dir, 'a', warn)).toThrow(/no net configuration with name "a"/);
    expect(warnings.pop()).toMatch(/no plugin configs found/);
  });

  it('rejects loadOnlyInlinedPlugins without plugins, and bad list flags', () => {
    expect(() => parseNetworkList(Buffer.from(JSON.stringify({ name: 'a', loadOnlyInlinedPlugins: true })), 'x')).toThrow(
      /no 'plugins' key/,
    );
    expect(() => parseNetworkList(Buffer.from(JSON.stringify(bridgeList('a', { disableCheck: 'yes' }))), 'x')).toThrow(
      /invalid value "yes" for disableCheck/,
    );
    expect(() => parseNetworkList(Buffer.from(JSON.stringify(bridgeList('a', { disableGC: 1 }))), 'x')).toThrow(
      /invalid type number for disableGC/,
    );
    expect(() => parseNetworkList(Buffer.from(JSON.stringify({ plugins: [{ type: 'x' }] })), 'x')).toThrow(/no name/);
  });

  it('lists only capabilities declared true, and matches keys like Go (case-insensitively)', () => {
    const list = parseNetworkList(
      Buffer.from(
        JSON.stringify({ name: 'a', plugins: [{ Type: 'bridge', Capabilities: { ips: true, mac: false, portMappings: true } }] }),
      ),
      'x',
    );
    expect(list.plugins[0]).toMatchObject({ type: 'bridge', capabilities: ['ips', 'portMappings'] });
  });
});

describe('version negotiation (cniVersions, spec 1.1)', () => {
  it('uses cniVersion as written when there is no cniVersions', () => {
    expect(negotiateVersion('0.4.0', undefined)).toBe('0.4.0');
    expect(negotiateVersion('', undefined)).toBe('');
  });

  it('picks the highest version up to 1.1.0 from cniVersions and cniVersion', () => {
    expect(negotiateVersion('', ['0.4.0', '1.0.0'])).toBe('1.0.0');
    expect(negotiateVersion('0.3.1', ['1.0.0', '0.4.0'])).toBe('1.0.0');
    expect(negotiateVersion('1.1.0', ['0.4.0'])).toBe('1.1.0');
    expect(negotiateVersion('1.0.0', ['1.1.0', '2.0.0', '1.5.0'])).toBe('1.1.0');
  });

  it('keeps cniVersion when every listed version is newer than it implements', () => {
    expect(negotiateVersion('1.0.0', ['9.0.0'])).toBe('1.0.0');
  });

  it('rejects malformed cniVersions', () => {
    expect(() => negotiateVersion('', '1.0.0')).toThrow(/must be a list/);
    expect(() => negotiateVersion('', [1])).toThrow(/must be a string/);
    expect(() => negotiateVersion('', ['one'])).toThrow(/invalid cniVersions entry at index 0/);
  });

  it('applies to loaded lists', () => {
    write('10-a.conflist', { cniVersion: '1.0.0', cniVersions: ['1.0.0', '1.1.0'], name: 'a', plugins: [{ type: 'bridge' }] });
    expect(loadNetworkList(dir, 'a', warn).cniVersion).toBe('1.1.0');
  });
});

describe('conf-examples', () => {
  const files = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.conflist'));

  it('has the seven documented examples with distinct names, bridges and subnets', () => {
    expect(files).toHaveLength(7);
    const confs = files.map((f) => JSON.parse(fs.readFileSync(path.join(EXAMPLES, f), 'utf8')));
    expect(new Set(confs.map((c) => c.name)).size).toBe(files.length);
    const bridges = confs.flatMap((c) =>
      c.plugins.filter((p: { type: string }) => p.type === 'bridge').map((p: { bridge: string }) => p.bridge),
    );
    expect(new Set(bridges).size).toBe(bridges.length);
    const subnets = confs.flatMap((c) =>
      c.plugins.flatMap((p: { ipam?: { ranges?: Array<Array<{ subnet: string }>> } }) =>
        (p.ipam?.ranges ?? []).flat().map((r) => r.subnet),
      ),
    );
    expect(new Set(subnets).size).toBe(subnets.length);
  });

  it.each(files)('%s loads by its name with cniVersion 1.0.0 and plugins of cni-ts', (file) => {
    const name = JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')).name as string;
    const list = loadNetworkList(EXAMPLES, name, warn);
    expect(list.source).toBe(path.join(EXAMPLES, file));
    expect(list.cniVersion).toBe('1.0.0');
    for (const p of list.plugins) expect(['bridge', 'macvlan', 'dummy', 'host-local']).toContain(p.type);
    expect(warnings).toEqual([]);
  });
});
