import fs from 'node:fs';
import { requireBinaries } from '../../helpers/run-plugin';
import { macvlanConf, macvlanEnv, type MacvlanEnv } from './fixture';

// CHECK compares the container with prevResult (and asks host-local about the reservation).
jest.setTimeout(30_000);
beforeAll(() => requireBinaries('macvlan', 'host-local'));

let env: MacvlanEnv;
beforeEach(() => (env = macvlanEnv()));
afterEach(() => env.destroy());

const routes = { routes: [{ dst: '0.0.0.0/0' }, { dst: '192.168.0.0/16', gw: '10.60.0.254' }] };

function added(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const conf = macvlanConf(env.dataDir, extra, routes);
  return { ...conf, prevResult: env.ok({ command: 'ADD', conf }).json };
}

function check(conf: Record<string, unknown>) {
  return env.run({ command: 'CHECK', conf });
}

describe('macvlan CHECK', () => {
  it.each(['0.4.0', '1.0.0', '1.1.0'])('passes right after ADD (%s)', (v) => {
    const r = check(added({ cniVersion: v }));
    expect(r.stderr + r.stdout).toBe('');
    expect(r.status).toBe(0);
  });

  it('passes for an L2-only attachment', () => {
    const { ipam: _ipam, ...l2 } = macvlanConf(env.dataDir);
    const prevResult = env.ok({ command: 'ADD', conf: l2 }).json;
    expect(check({ ...l2, prevResult }).status).toBe(0);
  });

  it('fails once an address is removed, and passes again once it is back', () => {
    const conf = added();
    env.ctr.ip('address', 'del', '10.60.0.2/24', 'dev', 'eth0');
    expect(check(conf).json).toMatchObject({ msg: 'Failed to match addr 10.60.0.2/24 on interface eth0' });
    env.ctr.ip('address', 'add', '10.60.0.2/24', 'dev', 'eth0');
    env.ctr.ip('route', 'add', 'default', 'via', '10.60.0.1');
    env.ctr.ip('route', 'add', '192.168.0.0/16', 'via', '10.60.0.254');
    expect(check(conf).status).toBe(0);
  });

  it('fails when a route from prevResult is gone', () => {
    const conf = added();
    env.ctr.ip('route', 'del', '192.168.0.0/16');
    expect(check(conf).json).toMatchObject({ msg: 'Expected Route 192.168.0.0/16 via 10.60.0.254 not found in routing table' });
  });

  it('fails when the mode differs from the config', () => {
    const conf = added({ mode: 'private' });
    expect(check({ ...conf, mode: 'vepa' }).json).toMatchObject({
      msg: 'container macvlan mode private does not match expected value: vepa',
    });
  });

  it('fails when the MAC differs from prevResult', () => {
    const conf = added();
    env.ctr.ip('link', 'set', 'eth0', 'address', '02:00:00:00:99:99');
    expect(check(conf).json).toMatchObject({
      msg: expect.stringMatching(/^interface eth0 MAC .* doesn't match container MAC: 02:00:00:00:99:99$/),
    });
  });

  it('fails when the interface is not a macvlan', () => {
    const conf = added();
    env.ctr.ip('link', 'del', 'eth0');
    env.ctr.ip('link', 'add', 'name', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p');
    expect(check(conf).json).toMatchObject({ msg: 'container interface eth0 is not of type macvlan (it is veth)' });
  });

  it('fails when the interface is gone', () => {
    const conf = added();
    env.ctr.ip('link', 'del', 'eth0');
    expect(check(conf).json).toMatchObject({ msg: 'container interface eth0 from prevResult not found' });
  });

  it('fails when prevResult places the interface in another sandbox', () => {
    const conf = added() as { prevResult: { interfaces: Array<{ sandbox: string }> } };
    conf.prevResult.interfaces[0].sandbox = '/run/netns/elsewhere';
    expect(check(conf).json).toMatchObject({
      msg: `sandbox in prevResult "/run/netns/elsewhere" doesn't match configured netns: ${env.ctr.path}`,
    });
  });

  it('requires prevResult', () => {
    const { prevResult: _prev, ...conf } = added();
    expect(check(conf).json).toMatchObject({ code: 7, msg: 'macvlan: required prevResult missing' });
  });

  it('fails when host-local no longer holds the reservation', () => {
    const conf = added();
    fs.rmSync(`${env.dataDir}/mvnet/10.60.0.2`);
    expect(check(conf).json).toMatchObject({ msg: expect.stringMatching(/Failed to find address added by container ctr1/) });
  });

  it('fails when the master is gone', () => {
    const conf = added();
    env.host.ip('link', 'del', 'mvup0');
    expect(check(conf).json).toMatchObject({ msg: 'macvlan: master "mvup0" not found in the host namespace' });
  });

  it('is refused for configs older than 0.4.0', () => {
    const conf = added({ cniVersion: '0.3.1' });
    expect(check(conf).json).toMatchObject({ code: 1 });
  });
});
