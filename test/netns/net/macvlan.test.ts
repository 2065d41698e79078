import { nsAt } from './remote';
import { makeTopology, requireRoot } from '../../helpers/netns';
import { inNetnsOk } from './in-netns';

beforeAll(requireRoot);

test('macvlan created directly in the container under the name eth0, on a host eth0 master found by the default route', async () => {
  const t = makeTopology({ containers: 2 });
  // The host's uplink: a veth named eth0 with a default route, inside the test host namespace.
  t.host.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'uplink');
  t.host.ip('link', 'set', 'eth0', 'up');
  t.host.ip('link', 'set', 'uplink', 'up');
  t.host.ip('addr', 'add', '10.5.0.2/24', 'dev', 'eth0');
  t.host.ip('route', 'add', 'default', 'via', '10.5.0.1');
  const out = await inNetnsOk(
    t.host,
    `const host = net.currentNs();
     const master = await host.defaultRouteInterface();
     const [c0, c1] = arg.map((p) => net.nsAt(p));
     await host.batch()
       .createMacvlan('eth0', { master, mode: 'bridge', mtu: 1400, mac: '02:42:0a:05:00:07', bcQueueLen: 100, netns: c0 })
       .createMacvlan('eth0', { master, mode: 'bridge', netns: c1 })
       .run();
     return { master, masterLink: await host.link(master), c0: await c0.link('eth0'), c1: await c1.link('eth0') };`,
    t.containers.map((c) => c.path),
  );
  expect(out.master).toBe('eth0');
  expect(out.c0).toMatchObject({
    kind: 'macvlan',
    macvlanMode: 'bridge',
    mtu: 1400,
    mac: '02:42:0a:05:00:07',
    parentIndex: out.masterLink.ifindex,
  });
  expect(out.c1).toMatchObject({ kind: 'macvlan', macvlanMode: 'bridge', mtu: 1500 });
  const [raw] = t.containers[0].ipJson('-d', 'link', 'show', 'eth0');
  expect(raw.linkinfo.info_data.bcqueuelen).toBe(100);

  // Two macvlans in bridge mode on one master reach each other (test namespaces only).
  for (const [i, c] of t.containers.entries()) {
    await nsAt(c.path)
      .batch()
      .addAddress('eth0', `10.5.0.${10 + i}/24`)
      .setUp('eth0')
      .run();
  }
  expect(t.containers[0].exec('ping', ['-c', '1', '-W', '2', '10.5.0.11']).status).toBe(0);
});

test('macvlan modes, and a master that lives in the container (linkInContainer)', async () => {
  const t = makeTopology();
  t.ctr.ip('link', 'add', 'uplink0', 'type', 'veth', 'peer', 'name', 'uplink1');
  const ctr = nsAt(t.ctr.path);
  await ctr
    .batch()
    .createMacvlan('mv0', { master: 'uplink0', mode: 'private' })
    .createMacvlan('mv1', { master: 'uplink0', mode: 'vepa' })
    .createMacvlan('mv2', { master: 'uplink1', mode: 'passthru' })
    .run();
  const modes = (await ctr.links()).filter((l) => l.kind === 'macvlan').map((l) => [l.name, l.macvlanMode]);
  expect(modes).toEqual([
    ['mv0', 'private'],
    ['mv1', 'vepa'],
    ['mv2', 'passthru'],
  ]);
  await expect(ctr.batch().createMacvlan('mv3', { master: 'nosuch0', mode: 'bridge' }).run()).rejects.toMatchObject({
    kind: 'notfound',
    step: 'create macvlan mv3 on nosuch0',
  });
  // A name taken in the target namespace is 'exists'.
  await expect(ctr.batch().createMacvlan('mv0', { master: 'uplink0', mode: 'bridge' }).run()).rejects.toMatchObject({ kind: 'exists' });
});
