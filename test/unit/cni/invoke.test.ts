import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CniError } from '../../../lib/cni/errors';
import { delegate, errorFromOutput, execPlugin, findInPath } from '../../../lib/cni/invoke';
import type { Env, Request } from '../../../lib/cni/plugin';
import { fakePlugin } from './helpers';

// IPAM delegation the way the spec and Go's pkg/invoke do it: the plugin named by ipam.type is
// found in CNI_PATH and exec'd with the caller's whole environment (CNI_COMMAND overridden) and
// the exact stdin bytes. The delegates here are tiny shell scripts in a temp dir that record
// what they received under $FAKE_IPAM_LOG and answer what the test asks for.

let root: string;
let bin: string;
let bin2: string;
let log: string;

function script(dir: string, name: string, body: string, mode = 0o755): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode });
  return file;
}

const RECORD = 'cat > "$FAKE_IPAM_LOG/stdin"; env > "$FAKE_IPAM_LOG/env"';

const RESULT_040 = {
  cniVersion: '0.4.0',
  ips: [
    { version: '4', address: '10.1.0.5/16', gateway: '10.1.0.1' },
    { version: '6', address: '2001:db8::5/64', gateway: '2001:db8::1' },
  ],
  routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }],
  dns: {},
};

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-invoke-unit-'));
  bin = path.join(root, 'bin');
  bin2 = path.join(root, 'bin2');
  log = path.join(root, 'log');
  for (const d of [bin, bin2, log]) fs.mkdirSync(d);

  script(bin, 'ipam-ok', `${RECORD}\necho "ipam-ok: $CNI_COMMAND on stderr" >&2\nprintf '%s' '${JSON.stringify(RESULT_040)}'`);
  script(bin, 'ipam-noversion', `${RECORD}\nprintf '%s' '{"ips":[{"address":"10.1.0.9/16"}]}'`);
  script(bin, 'ipam-legacy', `${RECORD}\nprintf '%s' '{"ip4":{"ip":"10.1.0.7/16","gateway":"10.1.0.1"}}'`);
  script(
    bin,
    'ipam-fail',
    `${RECORD}\necho "some log line" >&2\nprintf '%s' '{"cniVersion":"1.0.0","code":11,"msg":"no free address","details":"range 10.1.0.0/16 is full"}'\nexit 1`,
  );
  script(bin, 'ipam-fail-nodetails', `${RECORD}\nprintf '%s' '{"code":107,"msg":"plugin specific"}'\nexit 3`);
  script(bin, 'ipam-crash', `${RECORD}\necho "panic: runtime error: index out of range" >&2\nexit 2`);
  script(bin, 'ipam-silent-fail', `${RECORD}\nexit 1`);
  script(bin, 'ipam-garbage-fail', `${RECORD}\necho "this is not JSON"\nexit 1`);
  script(bin, 'ipam-garbage', `${RECORD}\necho "this is not JSON"`);
  script(bin, 'ipam-empty', `${RECORD}`);
  script(bin, 'ipam-killed', `${RECORD}\nkill -9 $$`);
  script(bin, 'ipam-noexec', 'echo never runs', 0o644);
  fs.mkdirSync(path.join(bin, 'a-directory'));
  script(bin2, 'a-directory', `${RECORD}\nprintf '%s' '{"cniVersion":"1.0.0"}'`);
  script(bin2, 'ipam-ok', 'echo "this is the ipam-ok of bin2" >&2; exit 1');
  script(bin2, 'only-in-second', `${RECORD}\nprintf '%s' '{"cniVersion":"1.0.0"}'`);
  fs.symlinkSync(path.join(bin, 'ipam-ok'), path.join(bin2, 'ipam-link'));
  fs.symlinkSync(path.join(root, 'nowhere'), path.join(bin, 'dangling'));
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

let stderrWrites: string[];
beforeEach(() => {
  for (const f of fs.readdirSync(log)) fs.rmSync(path.join(log, f));
  stderrWrites = [];
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderrWrites.push(chunk.toString());
    return true;
  });
});

afterEach(() => {
  jest.restoreAllMocks();
});

const STDIN = Buffer.from(
  '{"cniVersion":"1.0.0", "name":"mynet","type":"bridge",\n  "ipam":{"type":"ipam-ok","ranges":[[{"subnet":"10.1.0.0/16"}]]},\n  "runtimeConfig":{"ips":["10.1.0.5"]}, "x":"caf\u00e9 \u{1F600}"}\n',
);

function request(over: Partial<Request> = {}, env: Env = {}): Request {
  return {
    command: 'ADD',
    containerId: 'ctr1',
    netns: '/run/netns/pod',
    ifName: 'eth0',
    args: 'IgnoreUnknown=1;K8S_POD_NAME=web',
    path: [bin, bin2],
    stdin: STDIN,
    conf: JSON.parse(STDIN.toString()),
    cniVersion: '1.0.0',
    name: 'mynet',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      FAKE_IPAM_LOG: log,
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'ctr1',
      CNI_NETNS: '/run/netns/pod',
      CNI_IFNAME: 'eth0',
      CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=web',
      CNI_PATH: `${bin}:${bin2}`,
      SOME_OTHER: 'value with spaces',
      ...env,
    },
    ...over,
  };
}

function recordedEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(path.join(log, 'env'), 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

async function rejection(p: Promise<unknown>): Promise<CniError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CniError);
    return e as CniError;
  }
  throw new Error('expected a rejection');
}

describe('findInPath', () => {
  it('returns the first regular file across the directories', () => {
    expect(findInPath('ipam-ok', [bin, bin2])).toBe(path.join(bin, 'ipam-ok'));
    expect(findInPath('ipam-ok', [bin2, bin])).toBe(path.join(bin2, 'ipam-ok'));
    expect(findInPath('only-in-second', [bin, bin2])).toBe(path.join(bin2, 'only-in-second'));
  });

  it('skips directories and missing directories', () => {
    expect(findInPath('a-directory', [bin, bin2])).toBe(path.join(bin2, 'a-directory'));
    expect(findInPath('only-in-second', [path.join(root, 'no-such-dir'), bin2])).toBe(path.join(bin2, 'only-in-second'));
  });

  it('follows symlinks to regular files, ignores dangling ones', () => {
    expect(findInPath('ipam-link', [bin2])).toBe(path.join(bin2, 'ipam-link'));
    expect(() => findInPath('dangling', [bin])).toThrow(/failed to find plugin "dangling"/);
  });

  it('does not check the exec bit (Go does not either; exec fails later)', () => {
    expect(findInPath('ipam-noexec', [bin])).toBe(path.join(bin, 'ipam-noexec'));
  });

  it.each(['../bin/ipam-ok', 'bin/ipam-ok', '/usr/bin/true', 'a/'])('refuses a type with "/": %j', (t) => {
    expect(() => findInPath(t, [bin])).toThrow(`invalid plugin name: ${t}`);
  });

  it('an empty type is "no plugin name provided"', () => {
    expect(() => findInPath('', [bin])).toThrow(new CniError(7, 'no plugin name provided'));
  });

  it('not found lists the directories searched', () => {
    const dirs = [bin, path.join(root, 'other')];
    let err: unknown;
    try {
      findInPath('host-local', dirs);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CniError);
    expect((err as CniError).message).toBe(`failed to find plugin "host-local" in path [${bin} ${path.join(root, 'other')}]`);
  });

  it('with no directories it is not found', () => {
    expect(() => findInPath('host-local', [])).toThrow(/failed to find plugin "host-local"/);
  });
});

describe('delegate (exec)', () => {
  it('ADD: a 0.4.0 result is read into the common (1.x) shape', async () => {
    const r = await delegate('ADD', 'ipam-ok', request());
    expect(r).toEqual({
      cniVersion: '0.4.0',
      ips: [
        { address: '10.1.0.5/16', gateway: '10.1.0.1' },
        { address: '2001:db8::5/64', gateway: '2001:db8::1' },
      ],
      routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }],
    });
  });

  it('the delegate receives the exact stdin bytes', async () => {
    await delegate('ADD', 'ipam-ok', request());
    expect(fs.readFileSync(path.join(log, 'stdin')).equals(STDIN)).toBe(true);
  });

  it.each(['ADD', 'DEL', 'CHECK', 'STATUS', 'GC'] as const)(
    '%s: the delegate gets the whole environment with only CNI_COMMAND overridden',
    async (cmd) => {
      const req = request({}, { CNI_COMMAND: 'ADD' });
      await delegate(cmd, 'ipam-ok', req);
      const seen = recordedEnv();
      expect(seen.CNI_COMMAND).toBe(cmd);
      for (const [k, v] of Object.entries(req.env)) if (k !== 'CNI_COMMAND') expect(seen[k]).toBe(v);
    },
  );

  it('does not modify the caller’s request or environment', async () => {
    const req = request();
    await delegate('DEL', 'ipam-ok', req);
    expect(req.env.CNI_COMMAND).toBe('ADD');
  });

  it('passes the delegate’s stderr through to ours', async () => {
    await delegate('ADD', 'ipam-ok', request());
    expect(stderrWrites.join('')).toBe('ipam-ok: ADD on stderr\n');
  });

  it.each(['DEL', 'CHECK', 'STATUS', 'GC'] as const)('%s returns no result', async (cmd) => {
    expect(await delegate(cmd, 'ipam-ok', request())).toBeUndefined();
  });

  it('a result without cniVersion takes the config’s version', async () => {
    expect(await delegate('ADD', 'ipam-noversion', request())).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.1.0.9/16' }] });
    // ...and is read in that version’s shape
    expect(await delegate('ADD', 'ipam-legacy', request({ cniVersion: '0.2.0' }))).toEqual({
      cniVersion: '0.2.0',
      ips: [{ address: '10.1.0.7/16', gateway: '10.1.0.1' }],
    });
    expect(await delegate('ADD', 'ipam-legacy', request({ cniVersion: '1.0.0' }))).toEqual({ cniVersion: '1.0.0' });
  });

  it('an error object on stdout with a non-zero exit becomes the same CniError', async () => {
    const e = await rejection(delegate('ADD', 'ipam-fail', request()));
    expect(e.code).toBe(11);
    expect(e.message).toBe('no free address');
    expect(e.details).toBe('range 10.1.0.0/16 is full');
    // the delegate’s log lines still reach our stderr
    expect(stderrWrites.join('')).toBe('some log line\n');
  });

  it('a plugin-specific code (100+) and no details pass through too, whatever the exit status', async () => {
    const e = await rejection(delegate('DEL', 'ipam-fail-nodetails', request()));
    expect(e.code).toBe(107);
    expect(e.message).toBe('plugin specific');
    expect(e.details).toBeUndefined();
  });

  it('a failure without JSON takes its message from stderr', async () => {
    const e = await rejection(delegate('ADD', 'ipam-crash', request()));
    expect(e.code).toBe(999);
    expect(e.message).toBe('IPAM plugin ipam-crash failed: panic: runtime error: index out of range');
  });

  it('a failure with non-JSON stdout quotes stdout', async () => {
    const e = await rejection(delegate('ADD', 'ipam-garbage-fail', request()));
    expect(e.code).toBe(999);
    expect(e.message).toContain('this is not JSON');
  });

  it('a silent failure gives the exit status', async () => {
    const e = await rejection(delegate('CHECK', 'ipam-silent-fail', request()));
    expect(e.message).toBe('IPAM plugin ipam-silent-fail failed: exit status 1');
  });

  it('a delegate killed by a signal is a failure', async () => {
    const e = await rejection(delegate('ADD', 'ipam-killed', request()));
    expect(e.code).toBe(999);
    expect(e.message).toMatch(/^IPAM plugin ipam-killed failed: exit status \d+/);
  });

  it('ADD: stdout that is not a result is code 6', async () => {
    expect((await rejection(delegate('ADD', 'ipam-garbage', request()))).code).toBe(6);
    expect((await rejection(delegate('ADD', 'ipam-empty', request()))).code).toBe(6);
  });

  it('DEL ignores what a successful delegate printed', async () => {
    expect(await delegate('DEL', 'ipam-garbage', request())).toBeUndefined();
  });

  it('ADD: a result in an unknown version is code 6', async () => {
    script(bin, 'ipam-future', 'cat >/dev/null; printf \'%s\' \'{"cniVersion":"7.0.0","ips":[]}\'');
    const e = await rejection(delegate('ADD', 'ipam-future', request()));
    expect(e.code).toBe(6);
    expect(e.message).toContain('7.0.0');
  });

  it('a file that cannot be executed is code 999 naming it', async () => {
    const e = await rejection(delegate('ADD', 'ipam-noexec', request()));
    expect(e.code).toBe(999);
    expect(e.message).toContain(`failed to run IPAM plugin ${path.join(bin, 'ipam-noexec')}`);
  });

  it('a type that is not in CNI_PATH fails before anything runs', async () => {
    const e = await rejection(delegate('ADD', 'host-local', request()));
    expect(e.message).toBe(`failed to find plugin "host-local" in path [${bin} ${bin2}]`);
  });

  it('searches the request’s CNI_PATH directories in order', async () => {
    const e = await rejection(delegate('ADD', 'ipam-ok', request({ path: [bin2, bin] })));
    expect(e.message).toBe('IPAM plugin ipam-ok failed: this is the ipam-ok of bin2');
  });

  it('retries a binary that is busy being written (ETXTBSY), like libcni', async () => {
    const file = script(bin, 'ipam-busy', `${RECORD}\nprintf '%s' '{"cniVersion":"1.0.0","ips":[{"address":"10.1.0.8/16"}]}'`);
    const writer = fs.openSync(file, 'r+');
    const release = setTimeout(() => fs.closeSync(writer), 200);
    try {
      expect(await delegate('ADD', 'ipam-busy', request())).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.1.0.8/16' }] });
    } finally {
      clearTimeout(release);
      try {
        fs.closeSync(writer);
      } catch {
        // already closed by the timer
      }
    }
  });

  it('the in-process plugins of a request do not take effect outside the single-executable build', async () => {
    // The in-process fast path applies only when the delegate file is this very executable,
    // which the code checks with node:sea isSea(); under jest that is false, so the registered
    // plugin must not be used and the script in CNI_PATH runs. The build's own tests (the SEA
    // binary delegating to itself) cover the fast path.
    const inProcess = fakePlugin();
    const r = await delegate('ADD', 'ipam-ok', request({ plugins: (type) => (type === 'ipam-ok' ? inProcess : undefined) }));
    expect(inProcess.calls).toEqual([]);
    expect(r?.cniVersion).toBe('0.4.0');
    expect(fs.existsSync(path.join(log, 'stdin'))).toBe(true);
  });
});

describe('execPlugin', () => {
  it('returns status, stdout and stderr and passes exactly the given env', async () => {
    const file = script(root, 'echoer', 'cat; echo "[$ONLY_THIS][$HOME]" >&2; exit 5');
    const o = await execPlugin(file, { PATH: process.env.PATH, ONLY_THIS: 'yes', UNSET: undefined }, 'in\n');
    expect(o).toEqual({ status: 5, stdout: 'in\n', stderr: '[yes][]\n' });
  });

  it('a plugin that exits without reading stdin is fine', async () => {
    const file = script(root, 'noread', 'exit 0');
    expect((await execPlugin(file, {}, Buffer.alloc(1 << 20, 'x'))).status).toBe(0);
  });

  it('rejects when the file cannot be started', async () => {
    await expect(execPlugin(path.join(root, 'nope'), {}, '')).rejects.toThrow();
  });
});

describe('errorFromOutput', () => {
  it('reads a CNI error object', () => {
    const e = errorFromOutput('{"cniVersion":"1.0.0","code":7,"msg":"bad","details":"why"}');
    expect(e).toBeInstanceOf(CniError);
    expect(e).toMatchObject({ code: 7, message: 'bad', details: 'why' });
  });

  it('tolerates surrounding whitespace and Go’s missing cniVersion', () => {
    expect(errorFromOutput('\n  {"code": 4, "msg": "x"}\n')).toMatchObject({ code: 4, message: 'x', details: undefined });
  });

  it.each(['', '   ', 'not json', '{"msg":"no code"}', '{"code":"4","msg":"x"}', '{"code":4}', '[1]', 'null'])(
    'is undefined for %j',
    (out) => {
      expect(errorFromOutput(out)).toBeUndefined();
    },
  );

  it('a non-string details is dropped', () => {
    expect(errorFromOutput('{"code":4,"msg":"x","details":{"a":1}}')?.details).toBeUndefined();
  });
});
