import { requireBinaries, reservations } from '../../helpers/run-plugin';
import { linkNames, macvlanConf, macvlanEnv, NETWORK, type MacvlanEnv } from './fixture';

// DEL is idempotent and always releases the IPAM reservation (CNI spec, DEL section).
jest.setTimeout(30_000);
beforeAll(() => requireBinaries('macvlan', 'host-local'));

let env: MacvlanEnv;
beforeEach(() => (env = macvlanEnv()));
afterEach(() => env.destroy());

function add(conf = macvlanConf(env.dataDir)): Record<string, unknown> {
  const r = env.ok({ command: 'ADD', conf });
  return { ...conf, prevResult: r.json };
}

describe('macvlan DEL', () => {
  it('removes the link and the reservation, and prints nothing', () => {
    const conf = add();
    const r = env.ok({ command: 'DEL', conf });
    expect(r.stdout).toBe('');
    expect(linkNames(env.ctr)).toEqual(['lo']);
    expect(reservations(env.dataDir, NETWORK)).toEqual([]);
  });

  it('succeeds a second time', () => {
    const conf = add();
    env.ok({ command: 'DEL', conf });
    env.ok({ command: 'DEL', conf });
  });

  it('succeeds without prevResult (runtime lost its cache)', () => {
    const { prevResult: _prev, ...conf } = add();
    env.ok({ command: 'DEL', conf });
    expect(linkNames(env.ctr)).toEqual(['lo']);
  });

  it('after the namespace is gone still releases the reservation', () => {
    const conf = add();
    const path = env.ctr.path;
    env.ctr.delete();
    env.ok({ command: 'DEL', conf, netns: path });
    expect(reservations(env.dataDir, NETWORK)).toEqual([]);
  });

  it('with an empty CNI_NETNS releases the reservation and leaves the link to die with its namespace', () => {
    const conf = add();
    env.ok({ command: 'DEL', conf, netns: '' });
    expect(reservations(env.dataDir, NETWORK)).toEqual([]);
    expect(linkNames(env.ctr).sort()).toEqual(['eth0', 'lo']);
  });

  it('when the link is already gone', () => {
    const conf = add();
    env.ctr.ip('link', 'del', 'eth0');
    env.ok({ command: 'DEL', conf });
    expect(reservations(env.dataDir, NETWORK)).toEqual([]);
  });

  it('of an L2-only attachment needs no IPAM', () => {
    const { ipam: _ipam, ...l2 } = macvlanConf(env.dataDir);
    const conf = add(l2 as Record<string, unknown>);
    env.ok({ command: 'DEL', conf, env: { CNI_PATH: '/nonexistent' } });
    expect(linkNames(env.ctr)).toEqual(['lo']);
  });

  it('does not need the master any more (it may be gone by then)', () => {
    const conf = add();
    env.host.ip('link', 'del', 'mvup0');
    env.ok({ command: 'DEL', conf });
    expect(reservations(env.dataDir, NETWORK)).toEqual([]);
  });

  it('leaves other containers alone', () => {
    env.destroy();
    env = macvlanEnv({ containers: 2 });
    const a = env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir), containerId: 'a' }, 0);
    env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir), containerId: 'b' }, 1);
    env.ok({ command: 'DEL', conf: { ...macvlanConf(env.dataDir), prevResult: a.json }, containerId: 'a' }, 0);
    expect(linkNames(env.containers[1]).sort()).toEqual(['eth0', 'lo']);
    expect(reservations(env.dataDir, NETWORK)).toEqual(['10.60.0.3']);
  });
});
