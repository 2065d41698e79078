import { CniError } from '../../../lib/cni/errors';
import { parseMacvlanConf } from '../../../plugins/macvlan/config';
import { request } from '../../helpers/fake-request';

const base = { type: 'macvlan', master: 'eth0', ipam: { type: 'host-local' } };

function errorOf(fn: () => unknown): CniError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CniError) return e;
    throw e;
  }
  throw new Error('expected a CniError');
}

describe('macvlan config: defaults', () => {
  it('fills the reference defaults', () => {
    const c = parseMacvlanConf(request({ type: 'macvlan' }));
    expect(c).toMatchObject({
      master: undefined,
      mode: 'bridge',
      mtu: 0,
      mac: undefined,
      linkInContainer: false,
      bcQueueLen: 0,
      isLayer3: false,
    });
  });

  it('is L3 only when ipam names a plugin', () => {
    expect(parseMacvlanConf(request(base)).isLayer3).toBe(true);
    expect(parseMacvlanConf(request({ ...base, ipam: {} })).isLayer3).toBe(false);
    expect(parseMacvlanConf(request({ ...base, ipam: { type: '' } })).isLayer3).toBe(false);
  });

  it('treats an empty master and an empty mode as unset, like Go', () => {
    expect(parseMacvlanConf(request({ ...base, master: '', mode: '' }))).toMatchObject({ master: undefined, mode: 'bridge' });
  });

  it('matches keys case-insensitively, as Go encoding/json does', () => {
    const c = parseMacvlanConf(request({ type: 'macvlan', Master: 'ens3', MODE: 'vepa', MTU: 1400, LinkInContainer: true, BCQueueLen: 7 }));
    expect(c).toMatchObject({ master: 'ens3', mode: 'vepa', mtu: 1400, linkInContainer: true, bcQueueLen: 7 });
  });
});

describe('macvlan config: L2 only and old versions', () => {
  it.each(['0.1.0', '0.2.0'])('refuses an L2-only config at %s (its result could not describe the attachment)', (v) => {
    const e = errorOf(() => parseMacvlanConf(request({ type: 'macvlan', cniVersion: v })));
    expect(e.code).toBe(1);
    expect(e.message).toMatch(/without IPAM \(L2 only\) the config needs cniVersion 0.3.0 or later/);
  });

  it.each(['0.3.0', '0.4.0', '1.0.0', '1.1.0'])('accepts it at %s', (v) => {
    expect(parseMacvlanConf(request({ type: 'macvlan', cniVersion: v })).isLayer3).toBe(false);
  });

  it('accepts L3 configs at 0.1.0', () => {
    expect(parseMacvlanConf(request({ ...base, cniVersion: '0.1.0' })).isLayer3).toBe(true);
  });
});

describe('macvlan config: accepted values', () => {
  it.each(['bridge', 'private', 'vepa', 'passthru'])('mode %s', (mode) => {
    expect(parseMacvlanConf(request({ ...base, mode })).mode).toBe(mode);
  });

  it.each([0, 68, 1500, 9000])('mtu %d (the upper bound is checked against the master later)', (mtu) => {
    expect(parseMacvlanConf(request({ ...base, mtu })).mtu).toBe(mtu);
  });

  it.each([0, 1, 4294967295])('bcqueuelen %d', (n) => {
    expect(parseMacvlanConf(request({ ...base, bcqueuelen: n })).bcQueueLen).toBe(n);
  });
});

describe('macvlan config: rejected values', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['unknown mode', { mode: 'x' }, /^macvlan: option 'mode' must be one of bridge, private, vepa, passthru, got "x"$/],
    ['mode of the wrong type', { mode: 1 }, /option 'mode' must be a string, got 1/],
    ['negative mtu', { mtu: -1 }, /option 'mtu' must be at least 0, got -1/],
    ["mtu below Ethernet's minimum", { mtu: 67 }, /option 'mtu' must be 0 \(the master's MTU\) or at least 68, got 67/],
    ['fractional mtu', { mtu: 1400.5 }, /option 'mtu' must be an integer/],
    ['mtu as a string', { mtu: '1400' }, /option 'mtu' must be an integer, got "1400"/],
    ['negative bcqueuelen', { bcqueuelen: -1 }, /option 'bcqueuelen' must be 0-4294967295, got -1/],
    ['bcqueuelen beyond uint32', { bcqueuelen: 4294967296 }, /option 'bcqueuelen' must be 0-4294967295/],
    ['linkInContainer as a string', { linkInContainer: 'true' }, /option 'linkInContainer' must be true or false/],
    ['master with a space', { master: 'eth0 up' }, /option 'master' must be an interface name/],
    ['master with a newline', { master: 'eth0\nlink del x' }, /option 'master' must be an interface name/],
    ['master too long', { master: 'a'.repeat(16) }, /option 'master' must be an interface name/],
    ['master of the wrong type', { master: 5 }, /option 'master' must be a string/],
    ['bad mac', { mac: 'zz:00:00:00:00:01' }, /^macvlan: mac: invalid MAC address "zz:00:00:00:00:01"/],
    ['multicast mac', { mac: '01:00:5e:00:00:01' }, /is not a unicast MAC address/],
    ['all-zero mac', { mac: '00:00:00:00:00:00' }, /is not a unicast MAC address/],
    ['ipam of the wrong type', { ipam: 'host-local' }, /option 'ipam' must be a JSON object/],
  ])('%s', (_what, extra, message) => {
    const e = errorOf(() => parseMacvlanConf(request({ ...base, ...extra })));
    expect(e.code).toBe(7);
    expect(e.message).toMatch(message);
  });
});

describe('macvlan config: MAC sources', () => {
  const cfg = '02:00:00:00:00:01';
  const arg = '02:00:00:00:00:02';
  const rt = '02:00:00:00:00:03';

  it('runtimeConfig.mac beats CNI_ARGS MAC, which beats the config mac', () => {
    expect(parseMacvlanConf(request({ ...base, mac: cfg }, `MAC=${arg}`)).mac).toBe(arg);
    expect(parseMacvlanConf(request({ ...base, mac: cfg, runtimeConfig: { mac: rt } }, `MAC=${arg}`)).mac).toBe(rt);
    expect(parseMacvlanConf(request({ ...base, mac: cfg })).mac).toBe(cfg);
  });

  it('ignores args.cni.mac (macvlan never read it)', () => {
    expect(parseMacvlanConf(request({ ...base, args: { cni: { mac: rt } } })).mac).toBeUndefined();
  });

  it('empty values fall through to the next source', () => {
    expect(parseMacvlanConf(request({ ...base, mac: cfg, runtimeConfig: { mac: '' } }, 'MAC=')).mac).toBe(cfg);
  });

  it('reads runtimeConfig keys case-insensitively (containerd sends Go field names)', () => {
    expect(parseMacvlanConf(request({ ...base, RuntimeConfig: { Mac: rt } })).mac).toBe(rt);
  });

  it('names the source of an invalid MAC', () => {
    expect(errorOf(() => parseMacvlanConf(request(base, 'MAC=nope'))).message).toMatch(
      /^macvlan: CNI_ARGS MAC: invalid MAC address "nope"/,
    );
    expect(errorOf(() => parseMacvlanConf(request({ ...base, runtimeConfig: { mac: 'x' } }))).message).toMatch(
      /^macvlan: runtimeConfig.mac: invalid/,
    );
  });

  it('rejects unknown CNI_ARGS unless IgnoreUnknown, as the Go plugin does', () => {
    expect(errorOf(() => parseMacvlanConf(request(base, 'K8S_POD_NAME=p'))).code).toBe(4);
    expect(parseMacvlanConf(request(base, `IgnoreUnknown=1;K8S_POD_NAME=p;MAC=${arg}`)).mac).toBe(arg);
  });

  it('normalises the spellings Go accepts to lower-case colon form', () => {
    expect(parseMacvlanConf(request({ ...base, mac: '02-AB-00-00-00-01' })).mac).toBe('02:ab:00:00:00:01');
    expect(parseMacvlanConf(request({ ...base, mac: '02ab.0000.0001' })).mac).toBe('02:ab:00:00:00:01');
  });
});
