import { requireBinaries, reservations } from '../../helpers/run-plugin';
import { expectNothingLeft, linkNames, macvlanConf, macvlanEnv, type MacvlanEnv, NETWORK } from './fixture';

// A failed ADD leaves neither a link nor a reservation behind.
jest.setTimeout(30_000);
beforeAll(() => requireBinaries('macvlan', 'host-local'));

let env: MacvlanEnv;
beforeEach(() => (env = macvlanEnv()));
afterEach(() => env.destroy());

describe('a failed macvlan ADD undoes itself', () => {
  it('IPAM failure: the link is deleted and the IPAM error reaches the runtime unchanged', () => {
    const r = env.run({ command: 'ADD', conf: macvlanConf(env.dataDir, {}, { ranges: [[{ subnet: '10.60.0.0/33' }]] }) });
    expect(r.status).not.toBe(0);
    expect(r.json.msg).toMatch(/host-local/);
    expectNothingLeft(env);
  });

  it('IPAM failure for a requested address that is taken', () => {
    env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir), containerId: 'first', ifName: 'net0' });
    const r = env.run({ command: 'ADD', conf: macvlanConf(env.dataDir), containerId: 'second', args: 'IgnoreUnknown=1;IP=10.60.0.2' });
    expect(r.json.msg).toMatch(/10\.60\.0\.2/);
    expect(linkNames(env.ctr).sort()).toEqual(['lo', 'net0']);
    expect(reservations(env.dataDir, NETWORK)).toEqual(['10.60.0.2']);
  });

  it('a route the kernel refuses (gateway not on-link): the link and the reservation are undone', () => {
    const r = env.run({ command: 'ADD', conf: macvlanConf(env.dataDir, {}, { routes: [{ dst: '192.168.0.0/16', gw: '10.99.0.1' }] }) });
    expect(r.json).toMatchObject({
      code: 999,
      msg: expect.stringMatching(/^macvlan: failed to add route 192\.168\.0\.0\/16 via 10\.99\.0\.1/),
    });
    expectNothingLeft(env);
  });

  it('a name that already exists in the container: nothing of the existing link is touched', () => {
    env.ctr.ip('link', 'add', 'name', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p');
    const r = env.run({ command: 'ADD', conf: macvlanConf(env.dataDir) });
    expect(r.json.msg).toMatch(/^macvlan: failed to rename mvtmp[0-9a-f]{8} to eth0: File exists$/);
    expect(env.link(env.ctr).linkinfo.info_kind).toBe('veth');
    expect(linkNames(env.ctr).sort()).toEqual(['eth0', 'eth0p', 'lo']);
    expect(reservations(env.dataDir, NETWORK)).toEqual([]);
  });

  it('an IPAM plugin that cannot be found', () => {
    const r = env.run({ command: 'ADD', conf: macvlanConf(env.dataDir, { ipam: { type: 'nosuch-ipam' } }) });
    expect(r.json.msg).toMatch(/failed to find plugin "nosuch-ipam"/);
    expectNothingLeft(env);
  });

  it('a CNI_NETNS that does not exist: nothing created anywhere', () => {
    const r = env.run({ command: 'ADD', conf: macvlanConf(env.dataDir), netns: '/run/netns/cnits-does-not-exist' });
    expect(r.status).not.toBe(0);
    expect(reservations(env.dataDir, NETWORK)).toEqual([]);
    expect(linkNames(env.host).sort()).toEqual(['lo', 'mvup0', 'mvup1']);
  });
});
