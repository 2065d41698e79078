import fs from 'node:fs';
import { makeNamespace, makeTopology, requireRoot } from '../../helpers/netns';

// The namespace fixture itself: names, and cleanup that needs no call from the test.

beforeAll(requireRoot);

const fileScoped = makeNamespace('file');
let madeInTest: string[] = [];
let sleeperPid = 0;

test('a topology is a host and container namespaces with the prefix, the owner pid and lo up', async () => {
  const t = makeTopology({ containers: 2 });
  const names = [t.host.name, ...t.containers.map((c) => c.name)];
  for (const n of names) {
    expect(n).toMatch(new RegExp(`^cnits-p${process.pid}-[0-9a-f]{8}-(host|ctr[01])$`));
    expect(fs.existsSync(`/run/netns/${n}`)).toBe(true);
  }
  expect(new Set(names).size).toBe(3);
  expect(t.ctr).toBe(t.containers[0]);
  expect(t.host.ipJson('link', 'show', 'lo')[0].flags).toContain('UP');
  expect(t.ctr.execOk('cat', ['/proc/self/net/dev'])).toContain('lo:');
  const sleeper = await t.ctr.background('sleep', ['60']);
  expect(fs.statSync(sleeper.nsPath).ino).toBe(fs.statSync(t.ctr.path).ino);
  sleeperPid = sleeper.pid;
  madeInTest = names;
});

test('namespaces made inside a test are gone after it, with the processes started in them', () => {
  for (const n of madeInTest) expect(fs.existsSync(`/run/netns/${n}`)).toBe(false);
  // Killed: gone, or a zombie until Node reaps it.
  const stat = fs.existsSync(`/proc/${sleeperPid}/stat`) ? fs.readFileSync(`/proc/${sleeperPid}/stat`, 'utf8') : '';
  expect(stat === '' || / Z /.test(stat.slice(stat.lastIndexOf(')')))).toBe(true);
  // Made at file level: lives until the file is done.
  expect(fs.existsSync(fileScoped.path)).toBe(true);
});

test('delete() is idempotent', () => {
  const ns = makeNamespace('tmp');
  ns.delete();
  ns.delete();
  expect(fs.existsSync(ns.path)).toBe(false);
});
