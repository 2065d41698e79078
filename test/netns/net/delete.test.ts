import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { netnsStatus } from '../../../lib/net';
import { nsAt } from './remote';
import { makeNamespace, makeTopology, requireRoot } from '../../helpers/netns';
import { inNetnsOk } from './in-netns';

beforeAll(requireRoot);

test('deleting the container end of a veth takes the host end along and returns the addresses it had', async () => {
  const t = makeTopology();
  await inNetnsOk(
    t.host,
    `await net.currentNs().batch().createVeth('vethd', {}, { name: 'eth0', netns: net.nsAt(arg) }).run();`,
    t.ctr.path,
  );
  const ctr = nsAt(t.ctr.path);
  await ctr.batch().addAddress('eth0', '10.1.0.5/24').addAddress('eth0', '2001:db8::5/64', { noDad: true }).run();
  const r = await ctr.deleteLink('eth0');
  expect(r.deleted).toBe(true);
  expect(r.netnsGone).toBe(false);
  expect(r.addresses.map((a) => a.cidr)).toEqual(expect.arrayContaining(['10.1.0.5/24', '2001:db8::5/64']));
  expect(await ctr.link('eth0')).toBeUndefined();
  expect(t.host.ipJson('link', 'show').map((l: { ifname: string }) => l.ifname)).not.toContain('vethd');
});

test('deleting a link that is not there is "gone", not an error', async () => {
  const ns = makeNamespace('ctr');
  expect(await nsAt(ns.path).deleteLink('eth0')).toEqual({ deleted: false, addresses: [], netnsGone: false });
  // In a batch the delete step tolerates it and the batch goes on.
  const outcome = await nsAt(ns.path).batch().deleteLink('eth0').setUp('lo').run();
  expect(outcome.tolerated.map((x) => [x.what, x.error.kind])).toEqual([['delete link eth0', 'notfound']]);
});

test('acting in a namespace whose path is gone', async () => {
  const ns = makeNamespace('ctr');
  const handle = nsAt(ns.path);
  ns.delete();
  expect(handle.status()).toBe('missing');
  expect(await handle.deleteLink('eth0')).toEqual({ deleted: false, addresses: [], netnsGone: true });
  const err = await handle
    .batch()
    .setUp('lo')
    .run()
    .catch((e) => e);
  expect(err).toMatchObject({ name: 'NetError' });
  expect(err).toMatchObject({
    kind: 'notfound',
    netnsGone: true,
    message: `enter network namespace ${ns.path}: no such network namespace`,
  });
  await expect(handle.link('lo')).rejects.toMatchObject({ netnsGone: true });
  // A /proc path of a process that has exited.
  const gone = makeNamespace('ctr2');
  const sleeper = await gone.background('sleep', ['60']);
  const procNs = nsAt(sleeper.nsPath);
  sleeper.kill();
  for (let i = 0; i < 200 && procNs.status() !== 'missing'; i++) await new Promise((r) => setTimeout(r, 10));
  expect(await procNs.deleteLink('eth0')).toMatchObject({ deleted: false, netnsGone: true });
});

test('netnsStatus tells a namespace from a missing path and from a plain file', async () => {
  const ns = makeNamespace('ctr');
  expect(netnsStatus(ns.path)).toBe('netns');
  expect(netnsStatus('/proc/self/ns/net')).toBe('netns');
  expect(netnsStatus('/run/netns/cnits-surely-not-there')).toBe('missing');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-net-'));
  try {
    const plain = path.join(dir, 'plain');
    fs.writeFileSync(plain, '');
    expect(netnsStatus(plain)).toBe('not-netns');
    await expect(nsAt(plain).batch().setUp('lo').run()).rejects.toMatchObject({
      netnsGone: false,
      message: `enter network namespace ${plain}: not a network namespace`,
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
