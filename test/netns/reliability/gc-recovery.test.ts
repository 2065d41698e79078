import { requireRoot, type TestNs } from '../../helpers/netns';
import { NOTHING_LEFT, requireBinaries, withEnv, type Env, type Json, type Plugin } from './harness';
import { noGcGrace } from '../../helpers/gc-grace';

// Recovery after a node crash: attachments whose container namespaces vanished without a DEL.
// One GC (cniVersion 1.1.0, cni.dev/valid-attachments naming the survivors) must release the
// others' reservations and masquerade rules and leave the survivors' exactly as they were: a
// CHECK of each survivor still passes, and its DEL then leaves nothing. gcGracePeriod 0: the
// crash is long past (the grace period itself: test/netns/hardening/gc-grace.test.ts).

jest.setTimeout(60_000);

beforeAll(() => {
  requireRoot();
  requireBinaries();
});

interface Att {
  containerId: string;
  ifName: string;
  ctr: TestNs;
  survives: boolean;
  result?: Json;
}

/**
 * Six attachments in four containers; the containers of gc-2 and gc-3 "crash", and gc-1 loses
 * one of its two interfaces (same container id, another ifname), so GC must match pairs.
 */
function plan(e: Env): Att[] {
  const [c0, c1, c2, c3] = e.topo.containers;
  return [
    { containerId: 'gc-0', ifName: 'eth0', ctr: c0, survives: true },
    { containerId: 'gc-1', ifName: 'eth0', ctr: c1, survives: true },
    { containerId: 'gc-1', ifName: 'net1', ctr: c1, survives: false },
    { containerId: 'gc-2', ifName: 'eth0', ctr: c2, survives: false },
    { containerId: 'gc-2', ifName: 'net1', ctr: c2, survives: false },
    { containerId: 'gc-3', ifName: 'eth0', ctr: c3, survives: false },
  ];
}

function state(e: Env): Json {
  return { reservations: e.reservations(), natRules: e.natRules().sort(), nftRules: e.nftRules().sort() };
}

describe('reliability: GC after a node crash', () => {
  test.each(['iptables', 'nftables'])(
    'bridge (ipMasq, %s): one GC removes the dead attachments\u2019 reservations and rules, keeps the survivors\u2019',
    (backend) =>
      withEnv((e) => {
        const conf = noGcGrace(e.conf('bridge', '1.1.0', 'gcnet', { ipMasqBackend: backend }));
        const atts = plan(e);
        const add = (a: Att): void => {
          a.result = e.ok({ plugin: 'bridge', command: 'ADD', conf, containerId: a.containerId, ifName: a.ifName }, a.ctr).json;
        };
        // The survivors first, so the state they alone own can be recorded.
        atts.filter((a) => a.survives).forEach(add);
        const survivorsOnly = state(e);
        atts.filter((a) => !a.survives).forEach(add);
        const full = state(e);
        expect(full.reservations.length).toBe(atts.length);
        expect(full[backend === 'nftables' ? 'nftRules' : 'natRules'].length).toBeGreaterThan(
          survivorsOnly[backend === 'nftables' ? 'nftRules' : 'natRules'].length,
        );

        // The crash: gc-1 loses net1 (its veth goes with it), gc-2's and gc-3's namespaces are gone.
        atts[1].ctr.ip('link', 'del', 'net1');
        atts[3].ctr.delete();
        atts[5].ctr.delete();

        const valid = atts.filter((a) => a.survives).map((a) => ({ containerID: a.containerId, ifname: a.ifName }));
        e.ok({ plugin: 'bridge', command: 'GC', conf: { ...conf, 'cni.dev/valid-attachments': valid } });
        const after = state(e);
        // The iptables layout is the Go plugin's: one chain per (network, container id), whatever the
        // interface, so a live container keeps its chain, and GC (told attachments, not addresses)
        // keeps the POSTROUTING jump of gc-1's lost net1 into it. Only that one rule may remain; the
        // nftables rules are per interface and go entirely.
        const lostIp = (atts[2].result.ips as Json[])[0].address.split('/')[0];
        const kept = after.natRules.filter((l: string) => !survivorsOnly.natRules.includes(l));
        expect(kept).toEqual(
          backend === 'iptables'
            ? [expect.stringMatching(new RegExp(`^-A POSTROUTING -s ${lostIp.replaceAll('.', '\\.')}/32 .*id: \\\\"gc-1\\\\".* -j CNI-`))]
            : [],
        );
        expect({ ...after, natRules: after.natRules.filter((l: string) => !kept.includes(l)) }).toEqual(survivorsOnly);

        // The survivors are intact: CHECK passes (addresses, routes, masquerade rules), a second GC changes nothing.
        for (const a of atts.filter((x) => x.survives)) {
          e.ok(
            { plugin: 'bridge', command: 'CHECK', conf: { ...conf, prevResult: a.result }, containerId: a.containerId, ifName: a.ifName },
            a.ctr,
          );
        }
        e.ok({ plugin: 'bridge', command: 'GC', conf: { ...conf, 'cni.dev/valid-attachments': valid } });
        expect(state(e)).toEqual(after);
        for (const a of atts.filter((x) => x.survives))
          e.ok({ plugin: 'bridge', command: 'DEL', conf, containerId: a.containerId, ifName: a.ifName }, a.ctr);
        expect(e.leftovers()).toEqual(NOTHING_LEFT);
        const dead = atts.length - valid.length;
        console.log(
          `gc-recovery: bridge/${backend} ${atts.length} attachments, ${dead} dead removed by one GC, ${valid.length} survivors intact, ${kept.length} jump kept in a live container's chain, 0 left`,
        );
      }, 4),
  );

  test('host-local: one GC releases the dead attachments\u2019 addresses, keeps the survivors\u2019', () =>
    withEnv((e) => {
      const plugin: Plugin = 'host-local';
      const conf = noGcGrace(
        e.conf(plugin, '1.1.0', 'gcnet', {
          ipam: e.ipam({ ranges: [[{ subnet: '10.77.0.0/24' }], [{ subnet: 'fd77::/64' }]] }),
        }),
      );
      const atts = plan(e);
      atts
        .filter((a) => a.survives)
        .forEach((a) => e.ok({ plugin, command: 'ADD', conf, containerId: a.containerId, ifName: a.ifName }, a.ctr));
      const survivorsOnly = e.reservations();
      atts
        .filter((a) => !a.survives)
        .forEach((a) => e.ok({ plugin, command: 'ADD', conf, containerId: a.containerId, ifName: a.ifName }, a.ctr));
      expect(e.reservations().length).toBe(2 * atts.length);
      atts[3].ctr.delete();
      atts[5].ctr.delete();

      const valid = atts.filter((a) => a.survives).map((a) => ({ containerID: a.containerId, ifname: a.ifName }));
      e.ok({ plugin, command: 'GC', conf: { ...conf, 'cni.dev/valid-attachments': valid } });
      expect(e.reservations()).toEqual(survivorsOnly);
      // What the survivors hold is still theirs: their DEL releases exactly that.
      for (const a of atts.filter((x) => x.survives))
        e.ok({ plugin, command: 'DEL', conf, containerId: a.containerId, ifName: a.ifName }, a.ctr);
      expect(e.leftovers()).toEqual(NOTHING_LEFT);
      console.log(
        `gc-recovery: host-local ${atts.length} attachments (${2 * atts.length} addresses), ${atts.length - valid.length} dead released by one GC, ${valid.length} survivors intact, 0 left`,
      );
    }, 4));
});
