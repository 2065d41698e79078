import { requireBinaries, reservations } from '../../helpers/run-plugin';
import { expectNothingLeft, linkNames, macvlanConf, macvlanEnv, type MacvlanEnv, MASTER, NETWORK } from './fixture';

// Each macvlan option against the kernel state it should produce.
jest.setTimeout(30_000);
beforeAll(() => requireBinaries('macvlan', 'host-local'));

let env: MacvlanEnv;
beforeEach(() => (env = macvlanEnv()));
afterEach(() => env.destroy());

describe('mode', () => {
  it.each(['bridge', 'private', 'vepa', 'passthru'])('%s', (mode) => {
    env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir, { mode }) });
    expect(env.link(env.ctr).linkinfo.info_data.mode).toBe(mode);
  });

  it('defaults to bridge', () => {
    env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir, { mode: undefined }) });
    expect(env.link(env.ctr).linkinfo.info_data.mode).toBe('bridge');
  });

  it('rejects anything else with a config error, before creating anything', () => {
    const r = env.run({ command: 'ADD', conf: macvlanConf(env.dataDir, { mode: 'source' }) });
    expect(r.json).toMatchObject({ code: 7, msg: `macvlan: option 'mode' must be one of bridge, private, vepa, passthru, got "source"` });
    expectNothingLeft(env);
  });
});

describe('mtu', () => {
  it('sets the macvlan MTU', () => {
    env.host.ip('link', 'set', MASTER, 'mtu', '9000');
    env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir, { mtu: 1400 }) });
    expect(env.link(env.ctr).mtu).toBe(1400);
  });

  it('0 inherits the master MTU', () => {
    env.host.ip('link', 'set', MASTER, 'mtu', '1450');
    env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir, { mtu: 0 }) });
    expect(env.link(env.ctr).mtu).toBe(1450);
  });

  it('may equal the master MTU but not exceed it', () => {
    env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir, { mtu: 1500 }) });
    expect(env.link(env.ctr).mtu).toBe(1500);
    const r = env.run({ command: 'ADD', conf: macvlanConf(env.dataDir, { mtu: 1501 }), ifName: 'net1' });
    expect(r.json).toMatchObject({ code: 7, msg: 'macvlan: invalid MTU 1501, must be [0, master MTU(1500)] (master "mvup0")' });
    expect(linkNames(env.ctr).sort()).toEqual(['eth0', 'lo']);
    expect(reservations(env.dataDir, NETWORK)).toEqual(['10.60.0.2']);
  });
});

describe('mac', () => {
  it('config mac', () => {
    const r = env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir, { mac: '02:00:00:aa:bb:01' }) });
    expect(env.link(env.ctr).address).toBe('02:00:00:aa:bb:01');
    expect(r.json.interfaces[0].mac).toBe('02:00:00:aa:bb:01');
  });

  it('CNI_ARGS MAC beats the config mac (IgnoreUnknown lets host-local accept it)', () => {
    env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir, { mac: '02:00:00:aa:bb:01' }), args: 'IgnoreUnknown=1;MAC=02:00:00:aa:bb:02' });
    expect(env.link(env.ctr).address).toBe('02:00:00:aa:bb:02');
  });

  it('runtimeConfig.mac beats both', () => {
    const conf = macvlanConf(env.dataDir, { mac: '02:00:00:aa:bb:01', runtimeConfig: { mac: '02:00:00:aa:bb:03' } });
    env.ok({ command: 'ADD', conf, args: 'IgnoreUnknown=1;MAC=02:00:00:aa:bb:02' });
    expect(env.link(env.ctr).address).toBe('02:00:00:aa:bb:03');
  });

  it('an invalid MAC fails before anything is created', () => {
    const r = env.run({ command: 'ADD', conf: macvlanConf(env.dataDir, { mac: 'not-a-mac' }) });
    expect(r.json).toMatchObject({ code: 7, msg: expect.stringMatching(/^macvlan: mac: invalid MAC address "not-a-mac"/) });
    expectNothingLeft(env);
  });
});

describe('bcqueuelen', () => {
  it('sets the broadcast queue length', () => {
    env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir, { bcqueuelen: 123 }) });
    expect(env.link(env.ctr).linkinfo.info_data.bcqueuelen).toBe(123);
  });

  it('0 leaves the kernel default', () => {
    env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir, { bcqueuelen: 0 }) });
    expect(env.link(env.ctr).linkinfo.info_data.bcqueuelen).toBe(1000);
  });
});

describe('master', () => {
  it('defaults to the interface of the host namespace default route', () => {
    env.host.ip('link', 'add', 'name', 'uplink9', 'type', 'veth', 'peer', 'name', 'uplink9p');
    env.host.ip('link', 'set', 'uplink9', 'up');
    env.host.ip('address', 'add', '192.0.2.2/24', 'dev', 'uplink9');
    env.host.ip('route', 'add', 'default', 'via', '192.0.2.1', 'dev', 'uplink9');
    env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir, { master: undefined }) });
    expect(env.link(env.ctr).link_index).toBe(env.host.ipJson('link', 'show', 'dev', 'uplink9')[0].ifindex);
  });

  it('without master and without a default route: a clear error, nothing created', () => {
    const r = env.run({ command: 'ADD', conf: macvlanConf(env.dataDir, { master: undefined }) });
    expect(r.json).toMatchObject({
      code: 7,
      msg: expect.stringMatching(/^macvlan: no 'master' configured and no default route in the host namespace/),
    });
    expectNothingLeft(env);
  });

  it('a master that does not exist: a clear error, nothing created', () => {
    const r = env.run({ command: 'ADD', conf: macvlanConf(env.dataDir, { master: 'nosuch0' }) });
    expect(r.json).toMatchObject({ code: 7, msg: 'macvlan: master "nosuch0" not found in the host namespace' });
    expectNothingLeft(env);
  });
});

describe('linkInContainer', () => {
  beforeEach(() => {
    // The parent is a veth end that lives in the container namespace itself.
    env.ctr.ip('link', 'add', 'name', 'ctrup0', 'type', 'veth', 'peer', 'name', 'ctrup1');
    env.ctr.ip('link', 'set', 'ctrup0', 'up');
    env.ctr.ip('link', 'set', 'ctrup1', 'up');
  });

  it('creates the macvlan on a master inside the container namespace', () => {
    env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir, { master: 'ctrup0', linkInContainer: true }) });
    const link = env.link(env.ctr);
    expect(link.linkinfo.info_kind).toBe('macvlan');
    expect(link.link).toBe('ctrup0');
  });

  it('takes the default master from the container namespace routes', () => {
    env.ctr.ip('address', 'add', '198.51.100.2/24', 'dev', 'ctrup0');
    env.ctr.ip('route', 'add', 'default', 'via', '198.51.100.1', 'dev', 'ctrup0');
    const { ipam: _ipam, ...l2 } = macvlanConf(env.dataDir, { master: undefined, linkInContainer: true });
    env.ok({ command: 'ADD', conf: l2 });
    expect(env.link(env.ctr).link).toBe('ctrup0');
  });

  it('does not look for the master in the host namespace', () => {
    const r = env.run({ command: 'ADD', conf: macvlanConf(env.dataDir, { linkInContainer: true }) });
    expect(r.json).toMatchObject({ code: 7, msg: expect.stringMatching(/master "mvup0" not found in the container namespace/) });
  });

  it('DEL removes it', () => {
    const conf = macvlanConf(env.dataDir, { master: 'ctrup0', linkInContainer: true });
    env.ok({ command: 'ADD', conf });
    env.ok({ command: 'DEL', conf });
    expect(linkNames(env.ctr).sort()).toEqual(['ctrup0', 'ctrup1', 'lo']);
  });
});
