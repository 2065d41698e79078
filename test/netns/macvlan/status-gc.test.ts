import { requireBinaries, reservations } from '../../helpers/run-plugin';
import { macvlanConf, macvlanEnv, NETWORK, type MacvlanEnv } from './fixture';
import { noGcGrace } from '../../helpers/gc-grace';

// STATUS and GC (spec 1.1): both reach the IPAM plugin when there is one.
jest.setTimeout(30_000);
beforeAll(() => requireBinaries('macvlan', 'host-local'));

let env: MacvlanEnv;
beforeEach(() => (env = macvlanEnv()));
afterEach(() => env.destroy());

const v11 = (extra: Record<string, unknown> = {}, ipam: Record<string, unknown> = {}) =>
  macvlanConf(env.dataDir, { cniVersion: '1.1.0', ...extra }, ipam);

describe('macvlan STATUS', () => {
  it('is ready with an L3 config whose IPAM is ready', () => {
    expect(env.run({ command: 'STATUS', conf: v11(), netns: '' }).status).toBe(0);
  });

  it('is ready for L2 only, without asking any IPAM plugin', () => {
    const { ipam: _ipam, ...l2 } = v11();
    expect(env.run({ command: 'STATUS', conf: l2, netns: '', env: { CNI_PATH: '/nonexistent' } }).status).toBe(0);
  });

  it('passes on what IPAM says (host-local with every address taken: code 50)', () => {
    const conf = v11({}, { ranges: [[{ subnet: '10.60.0.0/30' }]] });
    env.ok({ command: 'ADD', conf, containerId: 'a' });
    const r = env.run({ command: 'STATUS', conf, netns: '' });
    expect(r.status).not.toBe(0);
    expect(r.json.code).toBe(50);
  });

  it('is not ready (code 50) when the master is missing, since no ADD could succeed', () => {
    const r = env.run({ command: 'STATUS', conf: v11({ master: 'nosuch0' }), netns: '' });
    expect(r.json).toMatchObject({ code: 50, msg: 'macvlan: master "nosuch0" not found in the host namespace' });
  });

  it('is refused for configs older than 1.1.0', () => {
    expect(env.run({ command: 'STATUS', conf: macvlanConf(env.dataDir), netns: '' }).json).toMatchObject({ code: 1 });
  });
});

describe('macvlan GC', () => {
  it('forwards to IPAM: reservations of attachments not in the valid list are released', () => {
    env.destroy();
    env = macvlanEnv({ containers: 2 });
    env.ok({ command: 'ADD', conf: v11(), containerId: 'keep' }, 0);
    env.ok({ command: 'ADD', conf: v11(), containerId: 'gone' }, 1);
    expect(reservations(env.dataDir, NETWORK)).toEqual(['10.60.0.2', '10.60.0.3']);
    const conf = noGcGrace({ ...v11(), 'cni.dev/valid-attachments': [{ containerID: 'keep', ifname: 'eth0' }] });
    env.ok({ command: 'GC', conf, netns: '' });
    expect(reservations(env.dataDir, NETWORK)).toEqual(['10.60.0.2']);
  });

  it('is a no-op success for L2 only', () => {
    const { ipam: _ipam, ...l2 } = v11();
    expect(
      env.run({ command: 'GC', conf: { ...l2, 'cni.dev/valid-attachments': [] }, netns: '', env: { CNI_PATH: '/nonexistent' } }).status,
    ).toBe(0);
  });
});
