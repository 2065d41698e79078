import { spawnSync } from 'node:child_process';
import { CniError, ErrCode } from '../../../lib/cni/errors';
import { dispatch } from '../../../lib/cni/skel';
import { fakePlugin, memoryIo } from './helpers';

// Issue 15 item 7: what a plugin prints is UTF-8 JSON strict parsers (jq 1.6, serde_json) read: a
// lone surrogate from the input (JSON allows "\ud800" escapes) is printed as U+FFFD, never as an
// escape of an unpaired surrogate.

const ENV = {
  CNI_COMMAND: 'ADD',
  CNI_CONTAINERID: 'c1',
  CNI_NETNS: '/proc/self/ns/net',
  CNI_NETNS_OVERRIDE: '1',
  CNI_IFNAME: 'eth0',
  CNI_PATH: '/opt/cni/bin',
};
const CONF = '{"cniVersion":"1.0.0","name":"net","type":"fake","subnet":"\\ud800x\\udc00"}';
const LONE_ESCAPE = /\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}/;

function strictParse(text: string): unknown {
  // jq 1.6 refuses escaped lone surrogates; the check below needs no jq.
  expect(text).not.toMatch(LONE_ESCAPE);
  expect(Buffer.from(text, 'utf8').toString('utf8')).toBe(text);
  return JSON.parse(text);
}

test('an error quoting a lone surrogate of the input prints U+FFFD', async () => {
  const plugin = fakePlugin();
  plugin.addAnswer = new CniError(ErrCode.InvalidNetworkConfig, `invalid subnet "\ud800x\udc00"`, 'detail \udfff');
  const m = memoryIo(ENV, CONF);
  expect(await dispatch(plugin, m.io)).toBe(1);
  const err = strictParse(m.stdout()) as { msg: string; details: string };
  expect(err.msg).toBe('invalid subnet "\ufffdx\ufffd"');
  expect(err.details).toBe('detail \ufffd');
});

test('a result carrying lone surrogates prints U+FFFD, and keeps real pairs', async () => {
  const plugin = fakePlugin();
  plugin.addAnswer = {
    cniVersion: '1.0.0',
    ips: [{ address: '10.1.0.5/16' }],
    dns: { domain: 'a\ud800b', search: ['\udc00', 'ok \ud83d\ude00'] },
  };
  const m = memoryIo(ENV, CONF);
  expect(await dispatch(plugin, m.io)).toBe(0);
  const r = strictParse(m.stdout()) as { dns: { domain: string; search: string[] } };
  expect(r.dns).toEqual({ domain: 'a\ufffdb', search: ['\ufffd', 'ok \ud83d\ude00'] });
});

test('jq 1.6 reads the error', async () => {
  const plugin = fakePlugin();
  plugin.addAnswer = new CniError(ErrCode.InvalidNetworkConfig, `invalid subnet "\ud800"`);
  const m = memoryIo(ENV, CONF);
  await dispatch(plugin, m.io);
  const jq = spawnSync('jq', ['-r', '.msg'], { input: m.stdout(), encoding: 'utf8' });
  if (jq.error) return; // no jq on this machine: the checks above stand
  expect({ status: jq.status, out: jq.stdout.trim() }).toEqual({ status: 0, out: 'invalid subnet "\ufffd"' });
});
