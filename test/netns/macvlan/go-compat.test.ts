import fs from 'node:fs';
import type { TestNs } from '../../helpers/netns';
import { GO_BIN_DIR, requireBinaries, tempDataDir } from '../../helpers/run-plugin';
import { macvlanConf, macvlanEnv, type MacvlanEnv } from './fixture';

// The built macvlan against Debian's Go macvlan (/usr/lib/cni, containernetworking-plugins
// 1.1.1, cniVersion up to 1.0.0): each with its own host-local and dataDir, in its own container,
// on its own master (both get the same addresses, which must not meet on one segment: IPv6 DAD
// would fail). Results must agree except for the random MAC and the sandbox path, and so must
// what each leaves in its container.
//
// Known differences of Debian's 1.1.1 from today's reference (which cni-ts follows): it does
// not set ndisc_notify, and it prints an empty "dns": {} in 1.0.0 results.
jest.setTimeout(30_000);
beforeAll(() => {
  requireBinaries('macvlan', 'host-local');
  if (!fs.existsSync(`${GO_BIN_DIR}/macvlan`))
    throw new Error(`${GO_BIN_DIR}/macvlan is missing: apt-get install containernetworking-plugins`);
});

let env: MacvlanEnv;
let goDataDir: string;
const GO_MASTER = 'goup0';
beforeEach(() => {
  env = macvlanEnv({ containers: 2 });
  env.host.ip('link', 'add', 'name', GO_MASTER, 'type', 'veth', 'peer', 'name', 'goup1');
  env.host.ip('link', 'set', GO_MASTER, 'up');
  env.host.ip('link', 'set', 'goup1', 'up');
  goDataDir = tempDataDir();
});
afterEach(() => {
  env.destroy();
  fs.rmSync(goDataDir, { recursive: true, force: true });
});

/** What a container holds after ADD, names and MACs aside. */
function containerState(ns: TestNs) {
  const link = ns.ipJson('-d', 'link', 'show', 'dev', 'eth0')[0];
  const [addrs] = ns.ipJson('address', 'show', 'dev', 'eth0');
  return {
    kind: link.linkinfo.info_kind,
    mode: link.linkinfo.info_data.mode,
    mtu: link.mtu,
    up: link.flags.includes('UP'),
    addresses: addrs.addr_info
      .filter((a: { scope: string }) => a.scope === 'global')
      .map((a: { local: string; prefixlen: number }) => `${a.local}/${a.prefixlen}`),
    routes4: ns.ipJson('-4', 'route', 'show').map((r: Record<string, unknown>) => ({ dst: r.dst, gateway: r.gateway, dev: r.dev })),
    routes6: ns
      .ipJson('-6', 'route', 'show')
      .filter((r: { dst: string }) => !r.dst.startsWith('fe80'))
      .map((r: Record<string, unknown>) => ({ dst: r.dst, gateway: r.gateway, dev: r.dev })),
    arpNotify: ns.sysctl('net/ipv4/conf/eth0/arp_notify'),
  };
}

function withoutVolatile(result: Record<string, unknown>): Record<string, unknown> {
  const { dns, ...rest } = result;
  const interfaces = result.interfaces as Array<Record<string, unknown>> | undefined;
  return {
    ...rest,
    ...(interfaces ? { interfaces: interfaces.map(({ mac: _m, sandbox: _s, ...i }) => i) } : {}),
    ...(dns && Object.keys(dns).length > 0 ? { dns } : {}),
  };
}

function both(extra: Record<string, unknown>, ipam: Record<string, unknown> = {}, goExtra: Record<string, unknown> = {}) {
  const ours = env.ok({ command: 'ADD', conf: macvlanConf(env.dataDir, extra, ipam) }, 0);
  const go = env.ok(
    { command: 'ADD', conf: macvlanConf(goDataDir, { ...extra, master: GO_MASTER, ...goExtra }, ipam), binDir: GO_BIN_DIR },
    1,
  );
  return { ours, go };
}

const dualStack = {
  ranges: [[{ subnet: '10.60.0.0/24' }], [{ subnet: 'fd60::/64' }]],
  routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }, { dst: '192.168.0.0/16', gw: '10.60.0.254' }],
};

describe('macvlan ADD compared with the Go reference', () => {
  it.each(['0.2.0', '0.3.1', '0.4.0', '1.0.0'])('same result and container state, cniVersion %s', (v) => {
    const { ours, go } = both({ cniVersion: v }, dualStack);
    expect(withoutVolatile(ours.json)).toEqual(withoutVolatile(go.json));
    expect(containerState(env.containers[0])).toEqual(containerState(env.containers[1]));
    if (v !== '0.2.0') {
      expect(ours.json.interfaces[0].sandbox).toBe(env.containers[0].path);
      expect(go.json.interfaces[0].sandbox).toBe(env.containers[1].path);
    }
  });

  it('same result with options (mode, mtu, mac, dns)', () => {
    const extra = { mode: 'private', mtu: 1400, mac: '02:00:00:00:00:0a', dns: { nameservers: ['192.0.2.1'], search: ['example.org'] } };
    const { ours, go } = both(extra, {}, { mac: '02:00:00:00:00:0b' });
    expect(withoutVolatile(ours.json)).toEqual(withoutVolatile(go.json));
    expect(ours.json.interfaces[0].mac).toBe('02:00:00:00:00:0a');
    expect(go.json.interfaces[0].mac).toBe('02:00:00:00:00:0b');
    expect(containerState(env.containers[0])).toEqual(containerState(env.containers[1]));
  });

  it('same result for L2 only', () => {
    const ours = env.ok({ command: 'ADD', conf: { ...macvlanConf(env.dataDir), ipam: {} } }, 0);
    const go = env.ok({ command: 'ADD', conf: { ...macvlanConf(goDataDir, { master: GO_MASTER }), ipam: {} }, binDir: GO_BIN_DIR }, 1);
    expect(withoutVolatile(ours.json)).toEqual(withoutVolatile(go.json));
  });

  it('CHECK and DEL of each accept what the other produced', () => {
    const conf = macvlanConf(env.dataDir, {}, dualStack);
    const ours = env.ok({ command: 'ADD', conf }, 0);
    const goConf = macvlanConf(goDataDir, { master: GO_MASTER }, dualStack);
    const go = env.ok({ command: 'ADD', conf: goConf, binDir: GO_BIN_DIR }, 1);
    // The Go plugin checks our container and ours checks the Go one; each IPAM's state is read by the other's host-local.
    env.ok({ command: 'CHECK', conf: { ...conf, prevResult: ours.json }, binDir: GO_BIN_DIR }, 0);
    env.ok({ command: 'CHECK', conf: { ...goConf, prevResult: go.json }, env: { CNI_PATH: GO_BIN_DIR } }, 1);
    env.ok({ command: 'DEL', conf: { ...goConf, prevResult: go.json } }, 1);
    expect(env.containers[1].ipJson('link', 'show').map((l: { ifname: string }) => l.ifname)).toEqual(['lo']);
  });
});
