import { nsAt } from './remote';
import { makeNamespace, makeTopology, requireRoot } from '../../helpers/netns';
import { inNetns, inNetnsOk } from './in-netns';

beforeAll(requireRoot);

/** A veth pair a0 (here) / a1 (in `peer`, or here), both up unless said otherwise. */
function pair(ns: ReturnType<typeof makeNamespace>, opts: { peerUp?: boolean } = {}): void {
  ns.ip('link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'a1');
  ns.ip('link', 'set', 'a0', 'up');
  if (opts.peerUp ?? true) ns.ip('link', 'set', 'a1', 'up');
}

describe.each([
  ['in another namespace (one shell process)', 'there'],
  ['in the current namespace (no process)', 'here'],
])('DAD wait %s', (_, where) => {
  const wait = async (ns: ReturnType<typeof makeNamespace>, opts: { timeoutMs?: number } = {}) => {
    if (where === 'there') {
      return nsAt(ns.path)
        .waitForDad('a0', opts)
        .then(
          () => ({ ok: true, error: undefined }),
          (e) => ({ ok: false, error: { message: e.message as string } }),
        );
    }
    const r = await inNetns(ns, `await net.currentNs().waitForDad('a0', arg); return true;`, opts);
    return { ok: r.ok === true, error: r.error };
  };

  test('returns once the addresses are no longer tentative', async () => {
    const ns = makeNamespace('ctr');
    pair(ns);
    ns.ip('addr', 'add', '2001:db8::1/64', 'dev', 'a0');
    expect(ns.ipJson('addr', 'show', 'a0')[0].addr_info.some((a: { tentative?: boolean }) => a.tentative)).toBe(true);
    expect(await wait(ns)).toMatchObject({ ok: true });
    expect(ns.ipJson('addr', 'show', 'a0')[0].addr_info.some((a: { tentative?: boolean }) => a.tentative)).toBe(false);
  });

  test('a duplicate address fails with DADFAILED', async () => {
    const ns = makeNamespace('ctr');
    pair(ns, { peerUp: false });
    // a1 owns the address already; when a0 probes for it, a1 answers.
    ns.ip('addr', 'add', '2001:db8::7/64', 'dev', 'a1', 'nodad');
    ns.ip('link', 'set', 'a1', 'up');
    ns.execOk('sh', ['-c', 'echo 1 > /proc/sys/net/ipv6/conf/a0/accept_dad']);
    ns.ip('addr', 'add', '2001:db8::7/64', 'dev', 'a0');
    const r = await wait(ns);
    expect(r.ok).toBe(false);
    expect(r.error?.message).toBe('wait for duplicate address detection on a0: link a0 has address 2001:db8::7 in DADFAILED state');
  });

  test('running out of time on an up link is an error', async () => {
    const ns = makeNamespace('ctr');
    pair(ns);
    // Ten probes one second apart: DAD takes ten seconds.
    ns.execOk('sh', ['-c', 'echo 10 > /proc/sys/net/ipv6/conf/a0/dad_transmits; echo 1000 > /proc/sys/net/ipv6/neigh/a0/retrans_time_ms']);
    ns.ip('addr', 'add', '2001:db8::9/64', 'dev', 'a0');
    const r = await wait(ns, { timeoutMs: 300 });
    expect(r.ok).toBe(false);
    expect(r.error?.message).toBe('wait for duplicate address detection on a0: link a0 still has tentative addresses after 0.3 seconds');
  });

  test('running out of time on a link without carrier is not an error', async () => {
    const ns = makeNamespace('ctr');
    pair(ns, { peerUp: false });
    ns.ip('addr', 'add', '2001:db8::9/64', 'dev', 'a0');
    expect(await wait(ns, { timeoutMs: 200 })).toMatchObject({ ok: true });
  });
});

describe('operstate wait', () => {
  test('up once the peer is up (current namespace: sysfs, no process)', async () => {
    const t = makeTopology();
    t.host.ip('link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1');
    t.host.ip('link', 'set', 'p0', 'up');
    const out = await inNetnsOk(
      t.host,
      `const h = net.currentNs();
       const before = await h.waitForOperUp('p0', [0, 10]);
       await h.batch().setUp('p1').run();
       const after = await h.waitForOperUp('p0');
       const missing = await h.waitForOperUp('nope0', [0]);
       return { before, after, missing };`,
    );
    expect(out).toEqual({ before: 'lowerlayerdown', after: 'up', missing: 'missing' });
  });

  test('in another namespace (ip reads)', async () => {
    const ns = makeNamespace('ctr');
    pair(ns, { peerUp: false });
    const h = nsAt(ns.path);
    expect(await h.waitForOperUp('a0', [0, 10])).toBe('lowerlayerdown');
    ns.ip('link', 'set', 'a1', 'up');
    expect(await h.waitForOperUp('a0')).toBe('up');
    expect(await h.operstate('nope0')).toBeUndefined();
  });
});
