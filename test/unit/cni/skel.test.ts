import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CniError } from '../../../lib/cni/errors';
import type { Command, Env } from '../../../lib/cni/plugin';
import { dispatch } from '../../../lib/cni/skel';
import { ALL_VERSIONS } from '../../../lib/cni/version';
import { fakePlugin, memoryIo, type FakePlugin } from './helpers';

// The dispatcher, driven like Go's skel tests drive theirs: an in-memory environment, stdin and
// stdout, and a fake plugin that records what reached its handlers.
//
// A valid CNI_NETNS for ADD must be a real network namespace that is not our own; a unit test
// cannot create one, so the baseline uses our own (/proc/self/ns/net) with
// CNI_NETNS_OVERRIDE=1, the escape hatch Go's skel offers for exactly this.

const OWN_NETNS = '/proc/self/ns/net';
const CONF = { cniVersion: '1.1.0', name: 'skel-test', type: 'fake', some: 'config' };

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-skel-unit-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function env(command: string, extra: Env = {}): Env {
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: 'some-container-id',
    CNI_NETNS: OWN_NETNS,
    CNI_NETNS_OVERRIDE: '1',
    CNI_IFNAME: 'eth0',
    CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=web',
    CNI_PATH: '/opt/cni/bin:/usr/libexec/cni',
    ...extra,
  };
}

async function run(plugin: FakePlugin, e: Env, stdin: unknown = CONF) {
  const mem = memoryIo(e, typeof stdin === 'string' || Buffer.isBuffer(stdin) || stdin instanceof Error ? stdin : JSON.stringify(stdin));
  const status = await dispatch(plugin, mem.io);
  return { status, stdout: mem.stdout(), stderr: mem.stderr(), reads: mem.stdinReads(), calls: plugin.calls };
}

/** The error object on stdout; also checks it is the only thing there and has the right form. */
function errorOut(stdout: string): { cniVersion: string; code: number; msg: string; details?: string } {
  const e = JSON.parse(stdout);
  expect(Object.keys(e).slice(0, 3)).toEqual(['cniVersion', 'code', 'msg']);
  expect(stdout).toBe(JSON.stringify(e, null, 4));
  return e;
}

describe('VERSION', () => {
  it('prints compact JSON and a newline with all seven versions, exit 0', async () => {
    const r = await run(fakePlugin(), { CNI_COMMAND: 'VERSION' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('{"cniVersion":"1.1.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}\n');
    expect(r.stderr).toBe('');
  });

  it('lists what the plugin supports', async () => {
    const r = await run(fakePlugin(['0.3.1', '0.4.0']), { CNI_COMMAND: 'VERSION' });
    expect(JSON.parse(r.stdout)).toEqual({ cniVersion: '1.1.0', supportedVersions: ['0.3.1', '0.4.0'] });
  });

  it('never reads stdin (libcni sends a config, old runtimes send nothing)', async () => {
    const r = await run(fakePlugin(), { CNI_COMMAND: 'VERSION' }, new Error('stdin must not be read'));
    expect(r.status).toBe(0);
    expect(r.reads).toBe(0);
    const garbage = await run(fakePlugin(), { CNI_COMMAND: 'VERSION' }, 'not json at all');
    expect(garbage.status).toBe(0);
  });

  it('needs no other variable and ignores invalid ones (libcni sets dummy values)', async () => {
    const r = await run(fakePlugin(), {
      CNI_COMMAND: 'VERSION',
      CNI_NETNS: 'dummy',
      CNI_IFNAME: 'bad/name',
      CNI_CONTAINERID: '-x',
      CNI_PATH: 'dummy',
    });
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([]);
  });
});

describe('no CNI_COMMAND', () => {
  it.each([undefined, ''])('prints the about text on stderr and exits 0 (CNI_COMMAND=%j)', async (cmd) => {
    const e = env('');
    e.CNI_COMMAND = cmd;
    const r = await run(fakePlugin(), e);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n');
    expect(lines[0]).toMatch(/^CNI fake plugin/);
    expect(lines[1]).toBe('CNI protocol versions supported: 0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0');
    expect(lines[2]).toBe('');
    expect(lines).toHaveLength(3);
    expect(r.calls).toEqual([]);
    expect(r.reads).toBe(0);
  });
});

describe('unknown CNI_COMMAND', () => {
  it.each(['FOO', 'add', 'Add', 'VERSIONS', ' ADD'])('%j is code 4 "unknown CNI_COMMAND"', async (cmd) => {
    const r = await run(fakePlugin(), env(cmd));
    expect(r.status).toBe(1);
    expect(errorOut(r.stdout)).toMatchObject({ code: 4, msg: `unknown CNI_COMMAND: ${cmd}` });
    expect(r.calls).toEqual([]);
  });
});

describe('environment variables', () => {
  // The table of cni-reference.md §1.3 (and Go's skel tests).
  const TABLE: [Command, string, boolean][] = [
    ['ADD', 'CNI_CONTAINERID', true],
    ['ADD', 'CNI_NETNS', true],
    ['ADD', 'CNI_IFNAME', true],
    ['ADD', 'CNI_ARGS', false],
    ['ADD', 'CNI_PATH', true],
    ['CHECK', 'CNI_CONTAINERID', true],
    ['CHECK', 'CNI_NETNS', true],
    ['CHECK', 'CNI_IFNAME', true],
    ['CHECK', 'CNI_ARGS', false],
    ['CHECK', 'CNI_PATH', true],
    ['DEL', 'CNI_CONTAINERID', true],
    ['DEL', 'CNI_NETNS', false],
    ['DEL', 'CNI_IFNAME', true],
    ['DEL', 'CNI_ARGS', false],
    ['DEL', 'CNI_PATH', true],
    ['STATUS', 'CNI_CONTAINERID', false],
    ['STATUS', 'CNI_NETNS', false],
    ['STATUS', 'CNI_IFNAME', false],
    ['STATUS', 'CNI_ARGS', false],
    ['STATUS', 'CNI_PATH', true],
    ['GC', 'CNI_CONTAINERID', false],
    ['GC', 'CNI_NETNS', false],
    ['GC', 'CNI_IFNAME', false],
    ['GC', 'CNI_ARGS', false],
    ['GC', 'CNI_PATH', true],
  ];

  it.each(TABLE)('%s without %s: required=%s', async (cmd, name, required) => {
    for (const value of [undefined, '']) {
      const p = fakePlugin();
      const e = env(cmd);
      e[name] = value;
      const r = await run(p, e);
      if (required) {
        expect(r.status).toBe(1);
        expect(errorOut(r.stdout)).toEqual({ cniVersion: '1.1.0', code: 4, msg: `required env variables [${name}] missing` });
        expect(r.calls).toEqual([]);
      } else {
        expect(r.stdout).toEqual(cmd === 'ADD' ? expect.any(String) : '');
        expect(r.status).toBe(0);
        expect(r.calls.map((c) => c.command)).toEqual([cmd]);
      }
    }
  });

  it.each([
    ['ADD', 'CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH'],
    ['CHECK', 'CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH'],
    ['DEL', 'CNI_CONTAINERID,CNI_IFNAME,CNI_PATH'],
    ['STATUS', 'CNI_PATH'],
    ['GC', 'CNI_PATH'],
  ])('%s lists every missing variable, in Go’s order', async (cmd, list) => {
    const r = await run(fakePlugin(), { CNI_COMMAND: cmd });
    expect(errorOut(r.stdout)).toMatchObject({ code: 4, msg: `required env variables [${list}] missing` });
    expect(r.reads).toBe(0);
  });

  it.each(['ADD', 'DEL', 'CHECK'])('%s: a bad container id is code 4 with the id as details', async (cmd) => {
    const r = await run(fakePlugin(), env(cmd, { CNI_CONTAINERID: '../etc' }));
    expect(r.status).toBe(1);
    expect(errorOut(r.stdout)).toEqual({ cniVersion: '1.1.0', code: 4, msg: 'invalid characters in containerID', details: '../etc' });
  });

  it.each([
    ['a/b', 'interface name contains / or : or whitespace characters'],
    ['eth0:1', 'interface name contains / or : or whitespace characters'],
    ['eth 0', 'interface name contains / or : or whitespace characters'],
    ['eth0\nlink del', 'interface name contains / or : or whitespace characters'],
    ['.', 'interface name is . or ..'],
    ['..', 'interface name is . or ..'],
    ['abcdefghijklmnop', 'interface name is too long'],
  ])('a bad ifname %j is code 4 (%s)', async (ifname, msg) => {
    for (const cmd of ['ADD', 'DEL', 'CHECK']) {
      const p = fakePlugin();
      const r = await run(p, env(cmd, { CNI_IFNAME: ifname }));
      expect(r.status).toBe(1);
      expect(errorOut(r.stdout)).toMatchObject({ code: 4, msg });
      expect(p.calls).toEqual([]);
    }
  });

  it.each(['STATUS', 'GC'])('%s ignores container id and ifname (not its parameters), and passes them as ""', async (cmd) => {
    const p = fakePlugin();
    const r = await run(p, env(cmd, { CNI_CONTAINERID: 'bad id', CNI_IFNAME: 'bad/name' }));
    expect(r.status).toBe(0);
    expect(p.calls[0].req.containerId).toBe('');
    expect(p.calls[0].req.ifName).toBe('');
  });
});

describe('the request a handler receives', () => {
  it('carries the validated environment, the exact stdin bytes and the parsed config', async () => {
    const p = fakePlugin();
    const bytes = Buffer.from('{ "cniVersion":"1.0.0",\n\t"name":"skel-test", "x":"caf\u00e9" }\n');
    const e = env('ADD', { CNI_PATH: '/opt/cni/bin::/usr/libexec/cni:', OTHER: 'kept' });
    const r = await run(p, e, bytes);
    expect(r.status).toBe(0);
    const req = p.calls[0].req;
    expect(req).toMatchObject({
      command: 'ADD',
      containerId: 'some-container-id',
      netns: OWN_NETNS,
      ifName: 'eth0',
      args: 'IgnoreUnknown=1;K8S_POD_NAME=web',
      path: ['/opt/cni/bin', '/usr/libexec/cni'],
      conf: { cniVersion: '1.0.0', name: 'skel-test', x: 'caf\u00e9' },
      cniVersion: '1.0.0',
      name: 'skel-test',
    });
    expect(req.stdin.equals(bytes)).toBe(true);
    expect(req.env).toBe(e);
  });

  it('DEL without CNI_NETNS gets netns ""', async () => {
    const p = fakePlugin();
    const e = env('DEL');
    delete e.CNI_NETNS;
    expect((await run(p, e)).status).toBe(0);
    expect(p.calls[0].req.netns).toBe('');
  });

  it('no CNI_ARGS gives args ""', async () => {
    const p = fakePlugin();
    const e = env('ADD');
    delete e.CNI_ARGS;
    await run(p, e);
    expect(p.calls[0].req.args).toBe('');
  });
});

describe('stdin', () => {
  it.each(['', 'not json', '{"name":', '{"name":"a"} trailing'])('%j (not JSON) is code 6', async (stdin) => {
    const r = await run(fakePlugin(), env('ADD'), stdin);
    expect(r.status).toBe(1);
    const e = errorOut(r.stdout);
    expect(e.code).toBe(6);
    expect(e.msg).toMatch(/^error unmarshall network config: /);
    expect(e.cniVersion).toBe('1.1.0');
  });

  it.each(['[]', '"str"', '5', 'null'])('%s (JSON but not an object) is code 6', async (stdin) => {
    const r = await run(fakePlugin(), env('ADD'), stdin);
    expect(errorOut(r.stdout).code).toBe(6);
  });

  it('a read failure is code 5', async () => {
    const r = await run(fakePlugin(), env('ADD'), new Error('EIO: i/o error'));
    expect(r.status).toBe(1);
    expect(errorOut(r.stdout)).toMatchObject({ code: 5, msg: 'error reading from stdin: EIO: i/o error' });
  });

  it.each([
    [{ cniVersion: '1.0.0' }, 'missing'],
    [{ cniVersion: '1.0.0', name: '' }, 'empty'],
    [{ cniVersion: '1.0.0', name: null }, 'null'],
  ])('a %j network name (%s) is code 7 "missing network name"', async (conf, _what) => {
    const p = fakePlugin();
    const r = await run(p, env('ADD'), conf);
    expect(errorOut(r.stdout)).toMatchObject({ code: 7, msg: 'missing network name' });
    expect(p.calls).toEqual([]);
  });

  it.each(['../../etc', 'te%%st', 'my net', '.hidden'])('an invalid network name %j is code 7 with the name as details', async (name) => {
    const r = await run(fakePlugin(), env('DEL'), { cniVersion: '1.0.0', name });
    expect(errorOut(r.stdout)).toMatchObject({ code: 7, msg: 'invalid characters found in network name', details: name });
  });

  it('a non-string name is a decoding error (code 6), as Go’s json.Unmarshal', async () => {
    const r = await run(fakePlugin(), env('ADD'), { cniVersion: '1.0.0', name: 5 });
    expect(errorOut(r.stdout).code).toBe(6);
  });

  it('finds name and cniVersion case-insensitively, as Go’s decoder', async () => {
    const p = fakePlugin();
    const r = await run(p, env('ADD'), { CNIVersion: '0.4.0', Name: 'upper' });
    expect(r.status).toBe(0);
    expect(p.calls[0].req).toMatchObject({ name: 'upper', cniVersion: '0.4.0' });
    expect(JSON.parse(r.stdout).cniVersion).toBe('0.4.0');
  });
});

describe('version checks', () => {
  it('a config version the plugin does not support is code 1 with Go’s details', async () => {
    const p = fakePlugin(['0.3.1', '0.4.0']);
    const r = await run(p, env('ADD'), { cniVersion: '1.0.0', name: 'n' });
    expect(r.status).toBe(1);
    expect(errorOut(r.stdout)).toEqual({
      cniVersion: '1.0.0',
      code: 1,
      msg: 'incompatible CNI versions',
      details: 'config is "1.0.0", plugin supports ["0.3.1" "0.4.0"]',
    });
    expect(p.calls).toEqual([]);
  });

  it.each(['9.8.7', '0.5.0', '1.0', 'adsfsadf'])('ADD with cniVersion %j is code 1', async (v) => {
    const r = await run(fakePlugin(), env('ADD'), { cniVersion: v, name: 'n' });
    expect(errorOut(r.stdout)).toMatchObject({ code: 1, msg: 'incompatible CNI versions' });
  });

  it('a cniVersion that is not a string is code 6', async () => {
    const r = await run(fakePlugin(), env('ADD'), { cniVersion: 1.0, name: 'n' });
    expect(errorOut(r.stdout).code).toBe(6);
  });

  it('a config without cniVersion is 0.1.0', async () => {
    const p = fakePlugin();
    const r = await run(p, env('ADD'), { name: 'n' });
    expect(r.status).toBe(0);
    expect(p.calls[0].req.cniVersion).toBe('0.1.0');
    expect(JSON.parse(r.stdout)).toEqual({ cniVersion: '0.1.0', ip4: { ip: '10.1.0.5/16', gateway: '10.1.0.1' }, dns: {} });

    const modern = await run(fakePlugin(['1.0.0']), env('ADD'), { name: 'n' });
    expect(errorOut(modern.stdout)).toMatchObject({ code: 1, details: 'config is "0.1.0", plugin supports ["1.0.0"]' });
  });

  it('negotiates from cniVersions when cniVersion is absent', async () => {
    const p = fakePlugin();
    const r = await run(p, env('ADD'), { cniVersions: ['0.4.0', '1.0.0', '9.0.0'], name: 'n' });
    expect(p.calls[0].req.cniVersion).toBe('1.0.0');
    expect(JSON.parse(r.stdout).cniVersion).toBe('1.0.0');
  });

  it.each(ALL_VERSIONS)('ADD and DEL are allowed at %s', async (v) => {
    for (const cmd of ['ADD', 'DEL']) {
      const r = await run(fakePlugin(), env(cmd), { cniVersion: v, name: 'n' });
      expect(r.status).toBe(0);
    }
  });

  it.each(['0.1.0', '0.2.0', '0.3.0', '0.3.1'])('CHECK with a %s config is code 1 "config version does not allow CHECK"', async (v) => {
    const p = fakePlugin();
    const r = await run(p, env('CHECK'), { cniVersion: v, name: 'n' });
    expect(r.status).toBe(1);
    expect(errorOut(r.stdout)).toMatchObject({ cniVersion: v, code: 1, msg: 'config version does not allow CHECK' });
    expect(p.calls).toEqual([]);
  });

  it('CHECK with no cniVersion (0.1.0) is refused too', async () => {
    const r = await run(fakePlugin(), env('CHECK'), { name: 'n' });
    expect(errorOut(r.stdout)).toMatchObject({ code: 1, msg: 'config version does not allow CHECK' });
  });

  it.each(['0.4.0', '1.0.0', '1.1.0'])('CHECK with a %s config reaches the handler', async (v) => {
    const p = fakePlugin();
    const r = await run(p, env('CHECK'), { cniVersion: v, name: 'n' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(p.calls.map((c) => c.command)).toEqual(['CHECK']);
  });

  it('CHECK with a malformed version is code 6 (Go: the version compare fails)', async () => {
    const r = await run(fakePlugin(), env('CHECK'), { cniVersion: 'adsfsadf', name: 'n' });
    expect(errorOut(r.stdout).code).toBe(6);
  });

  it('CHECK on a plugin that stops below 0.4.0 is code 1', async () => {
    const r = await run(fakePlugin(['0.1.0', '0.2.0', '0.3.0']), env('CHECK'), { cniVersion: '0.4.0', name: 'n' });
    expect(errorOut(r.stdout).code).toBe(1);
  });

  it.each(
    (['STATUS', 'GC'] as const).flatMap((cmd) => ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0'].map((v) => [cmd, v] as const)),
  )('%s with a %s config is code 1', async (cmd, v) => {
    const p = fakePlugin();
    const r = await run(p, env(cmd), { cniVersion: v, name: 'n' });
    expect(r.status).toBe(1);
    expect(errorOut(r.stdout)).toMatchObject({ code: 1, msg: `config version does not allow ${cmd}` });
    expect(p.calls).toEqual([]);
  });

  it.each(['STATUS', 'GC'])('%s with a 1.1.0 config reaches the handler and prints nothing', async (cmd) => {
    const p = fakePlugin();
    const r = await run(p, env(cmd), { cniVersion: '1.1.0', name: 'n', 'cni.dev/valid-attachments': [] });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(p.calls.map((c) => c.command)).toEqual([cmd]);
  });
});

describe('handler outcomes', () => {
  it('ADD prints the result in the config version, 4-space indent, no trailing newline', async () => {
    const p = fakePlugin();
    p.addAnswer = {
      cniVersion: '1.1.0',
      interfaces: [{ name: 'eth0', mac: '0a:58:0a:01:00:05', mtu: 1500, sandbox: OWN_NETNS }],
      ips: [{ address: '10.1.0.5/16', gateway: '10.1.0.1', interface: 0 }],
      routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }],
    };
    const r = await run(p, env('ADD'), { cniVersion: '0.4.0', name: 'n' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        '{',
        '    "cniVersion": "0.4.0",',
        '    "interfaces": [',
        '        {',
        '            "name": "eth0",',
        '            "mac": "0a:58:0a:01:00:05",',
        `            "sandbox": "${OWN_NETNS}"`,
        '        }',
        '    ],',
        '    "ips": [',
        '        {',
        '            "version": "4",',
        '            "interface": 0,',
        '            "address": "10.1.0.5/16",',
        '            "gateway": "10.1.0.1"',
        '        }',
        '    ],',
        '    "routes": [',
        '        {',
        '            "dst": "0.0.0.0/0",',
        '            "gw": "10.1.0.1"',
        '        }',
        '    ],',
        '    "dns": {}',
        '}',
      ].join('\n'),
    );
    expect(r.stderr).toBe('');
  });

  it.each(ALL_VERSIONS)('ADD output is labelled with the config version %s', async (v) => {
    const r = await run(fakePlugin(), env('ADD'), { cniVersion: v, name: 'n' });
    expect(JSON.parse(r.stdout).cniVersion).toBe(v);
  });

  it.each(['0.1.0', '0.2.0'])('ADD of an IP-less result under a %s config is an error, not a broken result', async (v) => {
    const p = fakePlugin();
    p.addAnswer = { cniVersion: '1.1.0', interfaces: [{ name: 'cni0' }] };
    const r = await run(p, env('ADD'), { cniVersion: v, name: 'n' });
    expect(r.status).toBe(1);
    expect(errorOut(r.stdout).msg).toMatch(/no valid IP addresses/);
  });

  it.each(['DEL', 'CHECK', 'STATUS', 'GC'])('%s success prints nothing', async (cmd) => {
    const r = await run(fakePlugin(), env(cmd));
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
  });

  it.each(['ADD', 'DEL', 'CHECK', 'STATUS', 'GC'] as const)(
    '%s: a plain Error becomes code 999 with its message, no stack anywhere',
    async (cmd) => {
      const p = fakePlugin();
      const err = new Error('failed to set up bridge "cni0": operation not permitted');
      if (cmd === 'ADD') p.addAnswer = err;
      else p.failWith = err;
      const r = await run(p, env(cmd), { cniVersion: '1.1.0', name: 'n' });
      expect(r.status).toBe(1);
      expect(errorOut(r.stdout)).toEqual({
        cniVersion: '1.1.0',
        code: 999,
        msg: 'failed to set up bridge "cni0": operation not permitted',
      });
      expect(r.stdout).not.toMatch(/\bat .*\(|\.ts:\d+|Error:/);
      expect(r.stderr).toBe('');
    },
  );

  it('a thrown non-Error becomes code 999 with its text', async () => {
    const p = fakePlugin();
    p.failWith = 'just a string';
    const r = await run(p, env('DEL'));
    expect(errorOut(r.stdout)).toMatchObject({ code: 999, msg: 'just a string' });
  });

  it('CNI_TS_DEBUG puts the stack of an unexpected error on stderr, never on stdout', async () => {
    const p = fakePlugin();
    p.failWith = new TypeError('boom');
    const r = await run(p, env('DEL', { CNI_TS_DEBUG: '1' }));
    expect(errorOut(r.stdout)).toMatchObject({ code: 999, msg: 'boom' });
    expect(r.stderr).toMatch(/^TypeError: boom\n\s+at /);
  });

  it('a CniError passes through with its code, message and details', async () => {
    const p = fakePlugin();
    p.addAnswer = new CniError(11, 'address pool locked', 'try again in a second');
    const r = await run(p, env('ADD'), { cniVersion: '0.4.0', name: 'n' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(
      JSON.stringify({ cniVersion: '0.4.0', code: 11, msg: 'address pool locked', details: 'try again in a second' }, null, 4),
    );
  });

  it('a CniError from STATUS keeps its code (50/51)', async () => {
    const p = fakePlugin();
    p.failWith = new CniError(50, 'plugin not available');
    const r = await run(p, env('STATUS'));
    expect(errorOut(r.stdout)).toEqual({ cniVersion: '1.1.0', code: 50, msg: 'plugin not available' });
  });

  it('the error is labelled with the config version once the config is read, 1.1.0 before', async () => {
    const early = await run(fakePlugin(), { CNI_COMMAND: 'ADD' }, { cniVersion: '0.3.1', name: 'n' });
    expect(errorOut(early.stdout).cniVersion).toBe('1.1.0');
    const late = await run(fakePlugin(), env('ADD', { CNI_NETNS: path.join(os.tmpdir(), 'cnits-no-such-netns') }), {
      cniVersion: '0.3.1',
      name: 'n',
    });
    expect(errorOut(late.stdout).cniVersion).toBe('0.3.1');
  });
});

describe('CNI_NETNS', () => {
  const missing = () => path.join(tmp, 'gone');
  const regular = () => {
    const f = path.join(tmp, 'regular-file');
    fs.writeFileSync(f, '');
    return f;
  };

  it.each(['ADD', 'CHECK'])('%s: a path that does not exist is code 3 and the handler is not called', async (cmd) => {
    const p = fakePlugin();
    const r = await run(p, env(cmd, { CNI_NETNS: missing() }));
    expect(r.status).toBe(1);
    expect(errorOut(r.stdout)).toMatchObject({ code: 3, msg: expect.stringContaining(missing()) });
    expect(p.calls).toEqual([]);
  });

  it.each(['ADD', 'CHECK'])('%s: a regular file is code 4', async (cmd) => {
    const p = fakePlugin();
    const r = await run(p, env(cmd, { CNI_NETNS: regular() }));
    expect(errorOut(r.stdout)).toMatchObject({ code: 4, msg: expect.stringContaining('is not a network namespace') });
    expect(p.calls).toEqual([]);
  });

  it.each(['ADD', 'CHECK', 'DEL'])('%s: our own namespace is code 8, checked before the handler runs', async (cmd) => {
    const p = fakePlugin();
    const r = await run(p, env(cmd, { CNI_NETNS_OVERRIDE: undefined }));
    expect(r.status).toBe(1);
    expect(errorOut(r.stdout)).toMatchObject({ code: 8, msg: "plugin's netns and netns from CNI_NETNS should not be the same" });
    expect(p.calls).toEqual([]);
  });

  it.each(['1', 'true', 'TRUE', 'True'])('CNI_NETNS_OVERRIDE=%s allows our own namespace', async (v) => {
    for (const cmd of ['ADD', 'DEL', 'CHECK']) {
      const r = await run(fakePlugin(), env(cmd, { CNI_NETNS_OVERRIDE: v }));
      expect(r.status).toBe(0);
    }
  });

  it.each(['0', 'false', 'yes', ''])('CNI_NETNS_OVERRIDE=%j does not', async (v) => {
    const r = await run(fakePlugin(), env('ADD', { CNI_NETNS_OVERRIDE: v }));
    expect(errorOut(r.stdout).code).toBe(8);
  });

  it('DEL: a namespace that is gone (or not a namespace) still reaches the handler (DEL must be idempotent)', async () => {
    for (const netns of [missing(), regular()]) {
      const p = fakePlugin();
      const r = await run(p, env('DEL', { CNI_NETNS: netns }));
      expect(r.status).toBe(0);
      expect(p.calls[0].req.netns).toBe(netns);
    }
  });

  it.each(['STATUS', 'GC'])('%s does not look at CNI_NETNS (it is not one of its parameters)', async (cmd) => {
    for (const netns of [missing(), OWN_NETNS]) {
      const r = await run(fakePlugin(), env(cmd, { CNI_NETNS: netns, CNI_NETNS_OVERRIDE: undefined }));
      expect(r.status).toBe(0);
    }
  });
});
