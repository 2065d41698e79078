import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';

// processIo wires the dispatcher to the real process: stdin read to the end from fd 0, results on
// stdout, the exit status from dispatch. Checked on a tiny bundled plugin run as a child process
// with real pipes.

const LIB = path.resolve(__dirname, '../../../lib/cni');
let tmp: string;
let bundle: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-process-io-unit-'));
  const entry = path.join(tmp, 'entry.ts');
  fs.writeFileSync(
    entry,
    `
import { dispatch } from ${JSON.stringify(path.join(LIB, 'skel'))};
import { processIo } from ${JSON.stringify(path.join(LIB, 'process-io'))};
import type { Plugin } from ${JSON.stringify(path.join(LIB, 'plugin'))};
const ok = async () => undefined;
const plugin: Plugin = {
  name: 'echo',
  supportedVersions: ['1.0.0'],
  add: async (req) => ({ cniVersion: '1.0.0', ips: [{ address: String(req.conf.addr) }], dns: { search: [String(req.stdin.length)] } }),
  del: ok, check: ok, status: ok, gc: ok,
};
dispatch(plugin, processIo()).then((status) => { process.exitCode = status; });
`,
  );
  bundle = path.join(tmp, 'plugin.js');
  buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: bundle, logLevel: 'silent' });
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function runPlugin(env: Record<string, string>, input: string) {
  return spawnSync(process.execPath, [bundle], { env: { PATH: process.env.PATH ?? '', ...env }, input, encoding: 'utf8' });
}

const ENV = {
  CNI_COMMAND: 'ADD',
  CNI_CONTAINERID: 'ctr',
  CNI_NETNS: '/proc/self/ns/net',
  CNI_NETNS_OVERRIDE: '1',
  CNI_IFNAME: 'eth0',
  CNI_PATH: '/opt/cni/bin',
};

describe('processIo', () => {
  it('reads all of a large stdin from the pipe and prints the result on stdout, exit 0', () => {
    const conf = JSON.stringify({ cniVersion: '1.0.0', name: 'n', addr: '10.1.0.5/16', padding: 'x'.repeat(4 << 20) });
    const r = runPlugin(ENV, conf);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      cniVersion: '1.0.0',
      ips: [{ address: '10.1.0.5/16' }],
      dns: { search: [String(Buffer.byteLength(conf))] },
    });
  });

  it('prints an error object on stdout and exits 1', () => {
    const r = runPlugin(ENV, '{"cniVersion":"0.4.0","name":"n"}');
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 1, msg: 'incompatible CNI versions' });
  });

  it('VERSION with no stdin at all', () => {
    const r = runPlugin({ CNI_COMMAND: 'VERSION' }, '');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('{"cniVersion":"1.1.0","supportedVersions":["1.0.0"]}\n');
  });

  it('the about text goes to stderr', () => {
    const r = runPlugin({}, '');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('CNI protocol versions supported: 1.0.0');
  });
});
