import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NOTHING_LEFT, OUR_BIN, requireBinaries, Sandbox, type Json } from './harness';

// Injected failures at each stage of ADD: whatever was done is undone (no veth in either
// namespace, no reservation, no rule), the error names the step, and the next ADD succeeds.

let s: Sandbox;
let fakes: string;
beforeAll(requireBinaries);
beforeEach(() => {
  s = new Sandbox();
  fakes = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-fakes-'));
});
afterEach(() => {
  s.cleanup();
  fs.rmSync(fakes, { recursive: true, force: true });
});

/** A stand-in program (IPAM plugin or netfilter tool) that logs its calls to `<name>.log`. */
function fake(name: string, body: string): string {
  const file = path.join(fakes, name);
  fs.writeFileSync(file, `#!/bin/sh\necho "$CNI_COMMAND $*" >> ${file}.log\ncat > /dev/null\n${body}\n`, { mode: 0o755 });
  return file;
}

function calls(name: string): string[] {
  const log = path.join(fakes, `${name}.log`);
  return fs.existsSync(log)
    ? fs
        .readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.trim())
    : [];
}

/** The fake IPAM answers ADD with `result` and everything else with success. */
function fakeIpam(result: Json): Json {
  fake('fake-ipam', `[ "$CNI_COMMAND" = ADD ] && echo '${JSON.stringify(result)}'\nexit 0`);
  return { ...s.conf({ isGateway: true, ipMasq: true, macspoofchk: true }, null), ipam: { type: 'fake-ipam' } };
}

function expectNextAddWorks(conf: Json = s.conf({ isGateway: true, ipMasq: true, macspoofchk: true })): void {
  s.ok({ command: 'ADD', conf });
  s.ok({ command: 'DEL', conf });
  expect(s.leftovers()).toEqual(NOTHING_LEFT);
}

describe('a failed ADD leaves nothing behind', () => {
  test('IPAM plugin errors: its error (code and message) is returned, the veth is gone', () => {
    fake('fake-ipam', `echo '{"cniVersion":"1.0.0","code":11,"msg":"pool exhausted, try later"}'\nexit 1`);
    const conf = { ...s.conf({ macspoofchk: true }, null), ipam: { type: 'fake-ipam' } };
    const e = s.fails({ command: 'ADD', conf, cniPath: fakes });
    expect(e).toMatchObject({ code: 11, msg: 'pool exhausted, try later' });
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
    expectNextAddWorks();
  });

  test('IPAM plugin not found in CNI_PATH', () => {
    const conf = { ...s.conf({}, null), ipam: { type: 'no-such-ipam' } };
    expect(s.fails({ command: 'ADD', conf, cniPath: fakes }).msg).toContain('failed to find plugin "no-such-ipam"');
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });

  test('IPAM returns no address: refused, and IPAM DEL releases whatever it held', () => {
    const conf = fakeIpam({ cniVersion: '1.0.0' });
    expect(s.fails({ command: 'ADD', conf, cniPath: fakes }).msg).toBe('IPAM plugin fake-ipam returned missing IP config');
    expect(calls('fake-ipam')).toEqual(['ADD', 'DEL']);
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });

  test('an address that cannot be added (twice the same): rollback through IPAM DEL', () => {
    const conf = fakeIpam({ cniVersion: '1.0.0', ips: [{ address: '10.99.0.7/24' }, { address: '10.99.0.7/24' }] });
    const e = s.fails({ command: 'ADD', conf, cniPath: fakes });
    expect(e.msg).toMatch(
      /^failed to configure eth0 in \/run\/netns\/\S+: add address 10\.99\.0\.7\/24 to eth0: .*(exists|already assigned)/,
    );
    expect(calls('fake-ipam')).toEqual(['ADD', 'DEL']);
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
    expectNextAddWorks();
  });

  test('a route that cannot be added (gateway not on any link): the reservation is released', () => {
    const conf = s.conf({ isGateway: true, ipMasq: true }, { subnet: '10.99.0.0/24', routes: [{ dst: '10.50.0.0/16', gw: '192.0.2.1' }] });
    const e = s.fails({ command: 'ADD', conf });
    expect(e.msg).toContain('add route 10.50.0.0/16 via 192.0.2.1');
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
    expectNextAddWorks();
  });

  test('masquerade setup fails (iptables-restore refuses): rules, veth, reservation and spoof check undone', () => {
    fake('iptables-restore', 'echo "iptables-restore: line 2 failed" >&2\nexit 1');
    const conf = s.conf({ isGateway: true, ipMasq: true, ipMasqBackend: 'iptables', macspoofchk: true });
    const e = s.fails({ command: 'ADD', conf, toolOverlay: fakes });
    expect(e.msg).toBe('failed to set up masquerading: iptables-restore (nat) failed: iptables-restore: line 2 failed');
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
    expectNextAddWorks();
  });

  test('the container interface name is taken in the container', () => {
    s.ctr.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0');
    const e = s.fails({ command: 'ADD', conf: s.conf({ isGateway: true }) });
    expect(e.msg).toContain('container interface "eth0" already exists');
    expect(s.links(s.host)).toEqual(['lo', 'cnitest0']);
    expect(s.reservations()).toEqual([]);
  });

  test('a gateway conflict on the bridge, found after IPAM and container setup', () => {
    s.host.ip('link', 'add', 'cnitest0', 'type', 'bridge');
    s.host.ip('address', 'add', '10.1.1.1/24', 'dev', 'cnitest0');
    expect(s.fails({ command: 'ADD', conf: s.conf({ isGateway: true, ipMasq: true }) }).msg).toContain('already has an IP address');
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });
});

test('the fake IPAM really is what the plugin runs (sanity check of the harness)', () => {
  const conf = fakeIpam({ cniVersion: '1.0.0', ips: [{ address: '10.99.0.9/24' }] });
  const r = s.ok({ command: 'ADD', conf: { ...conf, ipMasq: false, macspoofchk: false }, cniPath: `${fakes}:${OUR_BIN}` }).json;
  expect(r.ips).toEqual([{ interface: 2, address: '10.99.0.9/24', gateway: '10.99.0.1' }]);
});
