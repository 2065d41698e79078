import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from '../../../lib/net/exec';
import { toolPath } from '../../../lib/net/tools';

// Issue 15 item 1: helpers get an environment built from scratch, and tools come from the system
// directories before anything in the runtime's PATH.

const saved = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

test('a helper sees only PATH (system directories) and LC_ALL=C', async () => {
  Object.assign(process.env, {
    LD_LIBRARY_PATH: '/x:',
    LD_PRELOAD: '/nonexistent.so',
    'BASH_FUNC_ip%%': '() { :; }',
    BASH_ENV: '/tmp/x',
    ENV: '/tmp/x',
    SHELLOPTS: 'xtrace',
    NODE_OPTIONS: '--inspect',
    BUN_CONFIG: 'x',
    CNI_COMMAND: 'ADD',
    CNI_ARGS: 'K8S_POD_NAME=x',
    LANG: 'de_DE.UTF-8',
    PATH: './bin::/tmp',
  });
  const r = await execFile('/usr/bin/env', []);
  expect(r.status).toBe(0);
  expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual([
    'LC_ALL=C',
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/run/current-system/sw/bin',
  ]);
});

test('a tool is found in the system directories before a PATH entry that has one too', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-tools-'));
  try {
    fs.writeFileSync(path.join(dir, 'ip'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'cnits-only-here'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    process.env.PATH = `${dir}:/usr/sbin:/usr/bin:/sbin:/bin`;
    expect(path.dirname(toolPath('ip'))).not.toBe(dir);
    expect(['/usr/sbin', '/usr/bin', '/sbin', '/bin']).toContain(path.dirname(toolPath('ip')));
    // A tool only the PATH has is still found there (an absolute entry, as a fallback).
    expect(toolPath('cnits-only-here')).toBe(path.join(dir, 'cnits-only-here'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
