import fs from 'node:fs';
import path from 'node:path';
import { runCli } from '../../../lib/cli';
import { PLUGIN_NAMES } from '../../../plugins/registry';
import { containerIdFor } from '../../../lib/cli/runtime-conf';
import { captureIo, FakePlugins } from './fake-plugins';

// The CLI driving a chain of fake plugins (shell scripts that record their stdin and env).

const NETNS = '/run/netns/cnits-fake-pod';
const CID = containerIdFor(NETNS);

const R1 = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'eth0', sandbox: NETNS }],
  ips: [{ address: '10.9.0.2/24', gateway: '10.9.0.1', interface: 0 }],
};
const R2 = { ...R1, routes: [{ dst: '0.0.0.0/0' }] };
// The last plugin prints no cniVersion: libcni takes the config's version (cni#895).
const R3 = { interfaces: R1.interfaces, ips: R1.ips, routes: R2.routes, dns: { nameservers: ['10.9.0.1'] } };

let fake: FakePlugins;

function chainConf(extra: Record<string, unknown> = {}) {
  return {
    cniVersion: '1.0.0',
    name: 'chain',
    plugins: [
      { type: 'first', capabilities: { ips: true } },
      { type: 'second', capabilities: { mac: true, ips: false } },
      { type: 'third' },
    ],
    ...extra,
  };
}

async function cli(args: string[], env: Record<string, string> = {}) {
  const out = captureIo();
  const status = await runCli(args, fake.env(env), PLUGIN_NAMES, out.io);
  return { status, stdout: out.stdout, stderr: out.stderr };
}

const cacheFile = (net = 'chain', cid = CID, ifname = 'eth0') => path.join(fake.cache, 'results', `${net}-${cid}-${ifname}`);

beforeEach(() => {
  fake = new FakePlugins(['first', 'second', 'third']);
  fake.writeConf('10-chain.conflist', chainConf());
  fake.answer('first', 'ADD', R1);
  fake.answer('second', 'ADD', R2);
  fake.answer('third', 'ADD', R3);
});
afterEach(() => fake.remove());

describe('ADD', () => {
  it('runs the chain in order, handing each plugin the previous result, and prints the last one', async () => {
    const r = await cli(['add', 'chain', NETNS], {
      CNI_IFNAME: 'net1',
      CNI_ARGS: 'IgnoreUnknown=1;IP=10.9.0.2',
      CAP_ARGS: JSON.stringify({ ips: ['10.9.0.2/24'], mac: '02:00:00:00:00:09', portMappings: [] }),
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const calls = fake.calls();
    expect(calls.map((c) => `${c.plugin} ${c.command}`)).toEqual(['first ADD', 'second ADD', 'third ADD']);
    expect(calls[0].stdin.prevResult).toBeUndefined();
    expect(calls[1].stdin.prevResult).toEqual(R1);
    expect(calls[2].stdin.prevResult).toEqual(R2);
    // runtimeConfig: only what each plugin declares true
    expect(calls[0].stdin.runtimeConfig).toEqual({ ips: ['10.9.0.2/24'] });
    expect(calls[1].stdin.runtimeConfig).toEqual({ mac: '02:00:00:00:00:09' });
    expect(calls[2].stdin.runtimeConfig).toBeUndefined();
    for (const c of calls) {
      expect(c.stdin).toMatchObject({ name: 'chain', cniVersion: '1.0.0' });
      expect(c.env).toMatchObject({
        CNI_COMMAND: 'ADD',
        CNI_CONTAINERID: CID,
        CNI_NETNS: NETNS,
        CNI_IFNAME: 'net1',
        CNI_ARGS: 'IgnoreUnknown=1;IP=10.9.0.2',
        CNI_PATH: fake.bin,
      });
    }
    expect(JSON.parse(r.stdout)).toEqual({ cniVersion: '1.0.0', ...R3 });
    const cached = JSON.parse(fs.readFileSync(cacheFile('chain', CID, 'net1'), 'utf8'));
    expect(cached).toMatchObject({
      kind: 'cniCacheV1',
      containerId: CID,
      ifName: 'net1',
      networkName: 'chain',
      netns: NETNS,
      result: { cniVersion: '1.0.0', ...R3 },
    });
    expect(cached.cniArgs).toEqual([
      ['IgnoreUnknown', '1'],
      ['IP', '10.9.0.2'],
    ]);
  });

  it('stops at a failing plugin and prints its CNI code, message and details', async () => {
    fake.fail('second', 'ADD', { cniVersion: '1.0.0', code: 7, msg: 'bridge "x" is not a bridge', details: 'found a veth' });
    const r = await cli(['add', 'chain', NETNS]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('cni-ts: plugin type="second" failed (add): bridge "x" is not a bridge\n');
    expect(r.stderr).toContain('  CNI error code 7 (invalid network config)\n');
    expect(r.stderr).toContain('  details: found a veth\n');
    expect(r.stderr).toContain(`partial attachment; "cni-ts del chain ${NETNS}" removes it`);
    expect(fake.calls().map((c) => c.plugin)).toEqual(['first', 'second']);
    expect(fs.existsSync(cacheFile())).toBe(false);
  });

  it('hints at a partial attachment only when something may have been made', async () => {
    fake.fail('first', 'ADD', { cniVersion: '1.0.0', code: 7, msg: "bridge: option 'vlan' must be 0-4094, got 5000" });
    expect((await cli(['add', 'chain', NETNS])).stderr).not.toContain('partial attachment');
    fake.fail('first', 'ADD', { cniVersion: '1.0.0', code: 999, msg: 'set up veth pair: Operation not permitted' });
    expect((await cli(['add', 'chain', NETNS])).stderr).toContain('partial attachment');
  });

  it("reports a plugin that fails without a CNI error object in libcni's words", async () => {
    fake.fail('first', 'ADD', '');
    const r = await cli(['add', 'chain', NETNS]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('plugin type="first" failed (add): netplugin failed with no error message: exit status 1');
    fake.fail('first', 'ADD', 'panic: oops');
    expect((await cli(['add', 'chain', NETNS])).stderr).toContain(
      'netplugin failed but error parsing its diagnostic message "panic: oops"',
    );
  });

  it('names a plugin missing from CNI_PATH', async () => {
    fake.writeConf('10-chain.conflist', { ...chainConf(), plugins: [{ type: 'nosuch' }] });
    const r = await cli(['add', 'chain', NETNS]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`plugin type="nosuch" failed (add): failed to find plugin "nosuch" in path [${fake.bin}]`);
    expect(r.stderr).not.toContain('partial attachment');
  });

  it('validates the interface name before running anything', async () => {
    const r = await cli(['add', 'chain', NETNS, '-i', 'eth 0']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^cni-ts: interface name contains .* whitespace/);
    expect(r.stderr).toContain('CNI error code 4');
    expect(fake.calls()).toEqual([]);
  });

  it('rejects malformed CNI_ARGS and CAP_ARGS without running a plugin', async () => {
    expect((await cli(['add', 'chain', NETNS], { CNI_ARGS: 'IP' })).stderr).toContain('invalid CNI_ARGS pair "IP"');
    expect((await cli(['add', 'chain', NETNS], { CAP_ARGS: '[]' })).stderr).toContain('CAP_ARGS must be a JSON object');
    expect(fake.calls()).toEqual([]);
  });

  it('warns about unparsable files and still finds the network', async () => {
    fake.writeConf('05-broken.conflist', '{');
    const r = await cli(['add', 'chain', NETNS]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^cni-ts: warning: skipping .*05-broken\.conflist: error parsing configuration list/);
  });

  it('fails clearly for an unknown network', async () => {
    const r = await cli(['add', 'nosuch', NETNS]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`cni-ts: no net configuration with name "nosuch" in ${fake.netconf}\n`);
  });

  it('runs a single-plugin .conf as a one-plugin list', async () => {
    fake.writeConf('20-single.conf', { cniVersion: '0.4.0', name: 'single', type: 'first' });
    fake.answer('first', 'ADD', { cniVersion: '0.4.0', ips: [{ version: '4', address: '10.9.0.7/24' }] });
    const r = await cli(['add', 'single', NETNS]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ cniVersion: '0.4.0', ips: [{ version: '4', address: '10.9.0.7/24' }], dns: {} });
    expect(fake.calls()[0].stdin).toEqual({ cniVersion: '0.4.0', name: 'single', type: 'first' });
  });
});

describe('CHECK and DEL after ADD', () => {
  beforeEach(async () => {
    expect((await cli(['add', 'chain', NETNS])).status).toBe(0);
    fake.resetCalls();
  });

  it('CHECK runs the chain in order with the cached result as prevResult', async () => {
    const r = await cli(['check', 'chain', NETNS]);
    expect(r).toEqual({ status: 0, stdout: '', stderr: '' });
    const calls = fake.calls();
    expect(calls.map((c) => `${c.plugin} ${c.command}`)).toEqual(['first CHECK', 'second CHECK', 'third CHECK']);
    for (const c of calls) expect(c.stdin.prevResult).toEqual({ cniVersion: '1.0.0', ...R3 });
  });

  it('CHECK converts the cached result when the config changed version', async () => {
    fake.writeConf('10-chain.conflist', chainConf({ cniVersion: '0.4.0' }));
    expect((await cli(['check', 'chain', NETNS])).status).toBe(0);
    expect(fake.calls()[0].stdin.prevResult).toMatchObject({ cniVersion: '0.4.0', ips: [{ version: '4', address: '10.9.0.2/24' }] });
  });

  it('CHECK reports the first failing plugin and stops', async () => {
    fake.fail('second', 'CHECK', { code: 999, msg: 'Failed to match addr 10.9.0.2/24 on interface eth0' });
    const r = await cli(['check', 'chain', NETNS]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('plugin type="second" failed (check): Failed to match addr 10.9.0.2/24 on interface eth0');
    expect(r.stderr).toContain('CNI error code 999 (unclassified plugin error)');
    expect(fake.calls().map((c) => c.plugin)).toEqual(['first', 'second']);
  });

  it('CHECK does nothing when the list sets disableCheck', async () => {
    fake.writeConf('10-chain.conflist', chainConf({ disableCheck: true }));
    const r = await cli(['check', 'chain', NETNS]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('sets disableCheck');
    expect(fake.calls()).toEqual([]);
  });

  it('CHECK is refused below version 0.4.0', async () => {
    fake.writeConf('10-chain.conflist', chainConf({ cniVersion: '0.3.1' }));
    const r = await cli(['check', 'chain', NETNS]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('configuration version "0.3.1" does not support the CHECK command');
  });

  it('DEL runs the chain in reverse with the cached result, then drops the cache entry', async () => {
    const r = await cli(['del', 'chain', NETNS]);
    expect(r).toEqual({ status: 0, stdout: '', stderr: '' });
    const calls = fake.calls();
    expect(calls.map((c) => `${c.plugin} ${c.command}`)).toEqual(['third DEL', 'second DEL', 'first DEL']);
    for (const c of calls) {
      expect(c.stdin.prevResult).toEqual({ cniVersion: '1.0.0', ...R3 });
      expect(c.env).toMatchObject({ CNI_COMMAND: 'DEL', CNI_CONTAINERID: CID, CNI_NETNS: NETNS, CNI_IFNAME: 'eth0' });
    }
    expect(fs.existsSync(cacheFile())).toBe(false);
  });

  it('DEL again succeeds without prevResult', async () => {
    await cli(['del', 'chain', NETNS]);
    fake.resetCalls();
    expect((await cli(['del', 'chain', NETNS])).status).toBe(0);
    expect(fake.calls().map((c) => c.stdin.prevResult)).toEqual([undefined, undefined, undefined]);
  });

  it('DEL stops at a failing plugin and keeps the cache entry for the retry', async () => {
    fake.fail('second', 'DEL', { code: 11, msg: 'busy' });
    const r = await cli(['del', 'chain', NETNS]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('plugin type="second" failed (delete): busy');
    expect(r.stderr).toContain('CNI error code 11 (try again later)');
    expect(fake.calls().map((c) => c.plugin)).toEqual(['third', 'second']);
    expect(fs.existsSync(cacheFile())).toBe(true);
  });

  it('DEL below 0.4.0 sends no prevResult, like libcni', async () => {
    fake.writeConf('10-chain.conflist', chainConf({ cniVersion: '0.3.1' }));
    expect((await cli(['del', 'chain', NETNS])).status).toBe(0);
    expect(fake.calls().map((c) => c.stdin.prevResult)).toEqual([undefined, undefined, undefined]);
    expect(fs.existsSync(cacheFile())).toBe(false);
  });

  it('DEL drops an unreadable cache entry and goes on without prevResult', async () => {
    fs.writeFileSync(cacheFile(), '{"kind":"cniCacheV1","result":{"cniVersion":"1.0.0","ips":[{"address":"nonsense"}]}}');
    expect((await cli(['del', 'chain', NETNS])).status).toBe(0);
    expect(fake.calls().map((c) => c.stdin.prevResult)).toEqual([undefined, undefined, undefined]);
  });
});

describe('STATUS', () => {
  it('asks every plugin in order from version 1.1.0, with no attachment in the environment', async () => {
    fake.writeConf('10-chain.conflist', chainConf({ cniVersion: '1.1.0' }));
    const r = await cli(['status', 'chain']);
    expect(r).toEqual({ status: 0, stdout: '', stderr: '' });
    const calls = fake.calls();
    expect(calls.map((c) => `${c.plugin} ${c.command}`)).toEqual(['first STATUS', 'second STATUS', 'third STATUS']);
    expect(calls[0].env).toMatchObject({ CNI_CONTAINERID: '', CNI_NETNS: '', CNI_IFNAME: '', CNI_PATH: fake.bin });
    expect(calls[0].stdin).toEqual({ type: 'first', capabilities: { ips: true }, name: 'chain', cniVersion: '1.1.0' });
  });

  it('stops at the first plugin that is not ready and shows its code', async () => {
    fake.writeConf('10-chain.conflist', chainConf({ cniVersion: '1.1.0' }));
    fake.fail('second', 'STATUS', { code: 50, msg: 'master eth9 is gone' });
    const r = await cli(['status', 'chain', NETNS]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('plugin type="second" failed (status): master eth9 is gone');
    expect(r.stderr).toContain('CNI error code 50 (plugin not available)');
    expect(fake.calls().map((c) => c.plugin)).toEqual(['first', 'second']);
  });

  it('asks nothing below 1.1.0 and says so', async () => {
    const r = await cli(['status', 'chain']);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('STATUS needs 1.1.0');
    expect(fake.calls()).toEqual([]);
  });
});

describe('GC', () => {
  // /proc/self/ns/net always exists (a live attachment); the /run/netns path does not (stale).
  const LIVE = '/proc/self/ns/net';
  const GONE = '/run/netns/cnits-fake-gone';

  beforeEach(async () => {
    fake.writeConf('10-chain.conflist', chainConf({ cniVersion: '1.1.0' }));
    expect((await cli(['add', 'chain', LIVE])).status).toBe(0);
    expect((await cli(['add', 'chain', GONE], { CNI_ARGS: 'K8S_POD_NAME=gone', CAP_ARGS: '{"ips":["10.9.0.3/24"]}' })).status).toBe(0);
    fake.resetCalls();
  });

  it('DELs cached attachments whose namespace is gone, then GCs every plugin with the valid ones', async () => {
    const r = await cli(['gc', 'chain']);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`removed stale attachment ${containerIdFor(GONE)} eth0`);
    const calls = fake.calls();
    expect(calls.map((c) => `${c.plugin} ${c.command}`)).toEqual([
      'third DEL',
      'second DEL',
      'first DEL',
      'first GC',
      'second GC',
      'third GC',
    ]);
    // The stale attachment is deleted with what was cached at ADD time.
    expect(calls[0].env).toMatchObject({ CNI_CONTAINERID: containerIdFor(GONE), CNI_NETNS: GONE, CNI_ARGS: 'K8S_POD_NAME=gone' });
    expect(calls[2].stdin.runtimeConfig).toEqual({ ips: ['10.9.0.3/24'] });
    const valid = [{ containerID: containerIdFor(LIVE), ifname: 'eth0' }];
    for (const c of calls.slice(3)) {
      expect(c.stdin['cni.dev/valid-attachments']).toEqual(valid);
      expect(c.stdin['cni.dev/attachments']).toEqual(valid);
      expect(c.env).toMatchObject({ CNI_COMMAND: 'GC', CNI_CONTAINERID: '', CNI_NETNS: '' });
    }
    expect(fs.existsSync(cacheFile('chain', containerIdFor(GONE)))).toBe(false);
    expect(fs.existsSync(cacheFile('chain', containerIdFor(LIVE)))).toBe(true);
  });

  it('goes on past failures and reports each', async () => {
    fake.fail('first', 'DEL', { code: 11, msg: 'locked' });
    fake.fail('second', 'GC', { code: 999, msg: 'cannot list rules' });
    const r = await cli(['gc', 'chain']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `failed to delete stale attachment ${containerIdFor(GONE)} eth0: plugin type="first" failed (delete): locked`,
    );
    expect(r.stderr).toContain('plugin type="second" failed (gc): cannot list rules');
    expect(fake.calls().map((c) => `${c.plugin} ${c.command}`)).toEqual([
      'third DEL',
      'second DEL',
      'first DEL',
      'first GC',
      'second GC',
      'third GC',
    ]);
  });

  it('does nothing when the list sets disableGC', async () => {
    fake.writeConf('10-chain.conflist', chainConf({ cniVersion: '1.1.0', disableGC: true }));
    const r = await cli(['gc', 'chain']);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('sets disableGC');
    expect(fake.calls()).toEqual([]);
  });

  it('below 1.1.0 only removes stale attachments', async () => {
    fake.writeConf('10-chain.conflist', chainConf({ cniVersion: '1.0.0' }));
    const r = await cli(['gc', 'chain']);
    expect(r.status).toBe(0);
    expect(fake.calls().map((c) => `${c.plugin} ${c.command}`)).toEqual(['third DEL', 'second DEL', 'first DEL']);
  });
});

describe('help and version', () => {
  it('prints help on stdout and exits 0; wrong usage goes to stderr with status 2', async () => {
    const help = await cli(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('cni-ts add    <network-name> <netns-path>');
    expect(help.stdout).toContain('CAP_ARGS');
    const bad = await cli(['frobnicate']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown command "frobnicate"');
    expect(bad.stderr).toContain('Usage:');
  });

  it('prints the version', async () => {
    const r = await cli(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^cni-ts \d+\.\d+\.\d+\nCNI spec 1\.1\.0; protocol versions 0\.1\.0, .*1\.1\.0\n$/);
  });
});
