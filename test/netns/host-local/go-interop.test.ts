import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { lockFile } from '../../../lib/net/file-lock';
import { flockWaiters, until } from '../../helpers/proc-locks';
import {
  addressesOf,
  GO_HOST_LOCAL,
  cni,
  lease,
  leases,
  netConf,
  ok,
  requireBinary,
  requireGoPlugin,
  stateNames,
  tempDataDir,
} from './harness';

// cni-ts and the Go reference plugin (Debian containernetworking-plugins 1.1.1, which speaks
// up to cniVersion 1.0.0) on one data directory: same files, same lock.
let dataDir: string;
beforeAll(() => {
  requireBinary();
  requireGoPlugin();
});
beforeEach(() => (dataDir = tempDataDir()));
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

jest.setTimeout(300_000);

const GO = { bin: GO_HOST_LOCAL };
const dual = () => ({ ranges: [[{ subnet: '10.30.0.0/24' }], [{ subnet: 'fd00:30::/64' }]] });

describe('host-local next to the Go plugin', () => {
  it('shares reservations both ways: each CHECKs, refuses duplicates of, and DELs the other’s', async () => {
    const conf = netConf(dataDir, dual());
    await ok({ command: 'ADD', conf, containerId: 'go1', ...GO });
    await ok({ command: 'ADD', conf, containerId: 'ts1' });
    await ok({ command: 'CHECK', conf, containerId: 'go1' });
    await ok({ command: 'CHECK', conf, containerId: 'ts1', ...GO });
    expect((await cni({ command: 'ADD', conf, containerId: 'go1' })).json.msg).toMatch(/duplicate allocation is not allowed/);
    expect((await cni({ command: 'ADD', conf, containerId: 'ts1', ...GO })).json.msg).toMatch(/duplicate allocation is not allowed/);
    expect(leases(dataDir)).toEqual(['10.30.0.2', '10.30.0.3', 'fd00:30::2', 'fd00:30::3']);

    await ok({ command: 'DEL', conf, containerId: 'go1' });
    await ok({ command: 'DEL', conf, containerId: 'ts1', ...GO });
    expect(leases(dataDir)).toEqual([]);
  });

  it('keeps its index honest when the Go plugin adds and deletes in between', async () => {
    const conf = netConf(dataDir, dual());
    await ok({ command: 'ADD', conf, containerId: 'ts1' });
    await ok({ command: 'CHECK', conf, containerId: 'ts1' });
    await ok({ command: 'ADD', conf, containerId: 'go2', ...GO });
    await ok({ command: 'CHECK', conf, containerId: 'go2' });
    await ok({ command: 'DEL', conf, containerId: 'ts1', ...GO });
    expect((await cni({ command: 'CHECK', conf, containerId: 'ts1' })).json.code).toBe(999);
    expect(addressesOf((await ok({ command: 'ADD', conf, containerId: 'ts1' })).json)).toEqual(['10.30.0.4/24', 'fd00:30::4/64']);
    await ok({ command: 'DEL', conf, containerId: 'go2' });
    await ok({ command: 'DEL', conf, containerId: 'ts1' });
    expect(leases(dataDir)).toEqual([]);
  });

  it('continues the same round robin (last_reserved_ip is shared)', async () => {
    const conf = netConf(dataDir, dual());
    const order = [];
    for (const [id, bin] of [
      ['a', GO],
      ['b', {}],
      ['c', GO],
      ['d', {}],
    ] as const)
      order.push(addressesOf((await ok({ command: 'ADD', conf, containerId: id, ...bin })).json));
    expect(order).toEqual(['2', '3', '4', '5'].map((n) => [`10.30.0.${n}/24`, `fd00:30::${n}/64`]));
  });

  it('leaves the same files as the Go plugin for the same sequence of operations', async () => {
    const goDir = path.join(dataDir, 'go');
    const tsDir = path.join(dataDir, 'ts');
    const ops: [string, string, string][] = [
      ['ADD', 'c1', ''],
      ['ADD', 'c2', 'IgnoreUnknown=1;IP=10.30.0.77'],
      ['ADD', 'c3', ''],
      ['DEL', 'c1', ''],
      ['ADD', 'c4', ''],
      ['DEL', 'c9', ''],
    ];
    for (const [dir, bin] of [
      [goDir, GO],
      [tsDir, {}],
    ] as const) {
      for (const [command, containerId, args] of ops)
        await ok({ command: command as 'ADD', conf: netConf(dir, dual()), containerId, args, ...bin });
    }
    const snapshot = (dir: string) =>
      stateNames(dir)
        .filter((n) => n !== 'lock')
        .map((n) => [n, lease(dir, n)]);
    expect(snapshot(tsDir)).toEqual(snapshot(goDir));
    expect(snapshot(tsDir).map(([n]) => n)).toEqual([
      '10.30.0.77',
      '10.30.0.78',
      '10.30.0.79',
      'fd00:30::3',
      'fd00:30::4',
      'fd00:30::5',
      'last_reserved_ip.0',
      'last_reserved_ip.1',
    ]);
  });

  it('gives unique addresses when both run concurrently, and each DELs the other’s containers', async () => {
    const conf = netConf(dataDir, { ranges: [[{ subnet: '10.31.0.0/24' }]] });
    const goIds = Array.from({ length: 60 }, (_, i) => `go${i}`);
    const tsIds = Array.from({ length: 60 }, (_, i) => `ts${i}`);
    const all = await Promise.all([
      ...goIds.map((containerId) => ok({ command: 'ADD', conf, containerId, ...GO })),
      ...tsIds.map((containerId) => ok({ command: 'ADD', conf, containerId })),
    ]);
    const addrs = all.map((r) => r.json.ips[0].address.split('/')[0]);
    expect(new Set(addrs).size).toBe(120);
    expect(leases(dataDir)).toHaveLength(120);
    [...goIds, ...tsIds].forEach((id, i) => expect(lease(dataDir, addrs[i])).toBe(`${id}\r\neth0`));

    await Promise.all([
      ...goIds.map((containerId) => ok({ command: 'DEL', conf, containerId })),
      ...tsIds.map((containerId) => ok({ command: 'DEL', conf, containerId, ...GO })),
    ]);
    expect(leases(dataDir)).toEqual([]);
  });
});

describe('the network lock excludes the Go plugin', () => {
  it('blocks a Go ADD while cni-ts holds the lock', async () => {
    const conf = netConf(dataDir, dual());
    fs.mkdirSync(path.join(dataDir, 'hlnet'), { recursive: true });
    const lockPath = path.join(dataDir, 'hlnet', 'lock');
    const held = await lockFile(lockPath);
    const goAdd = cni({ command: 'ADD', conf, containerId: 'go1', ...GO });
    await until(() => flockWaiters(lockPath) === 1, 'the Go plugin to wait for the lock');
    expect(leases(dataDir)).toEqual([]);
    held.release();
    expect((await goAdd).status).toBe(0);
    expect(leases(dataDir)).toEqual(['10.30.0.2', 'fd00:30::2']);
  });

  it('makes cni-ts wait while another process holds flock(2) on the lock, as the Go plugin does', async () => {
    const conf = netConf(dataDir, dual());
    fs.mkdirSync(path.join(dataDir, 'hlnet'), { recursive: true });
    const lockPath = path.join(dataDir, 'hlnet', 'lock');
    fs.writeFileSync(lockPath, '');
    // flock(1) takes the same flock(2) LOCK_EX the Go plugin takes, and holds it until we
    // close its stdin.
    const holder = spawn('flock', ['--exclusive', lockPath, 'head', '-c', '1'], { stdio: ['pipe', 'ignore', 'inherit'] });
    await until(() => fs.readFileSync('/proc/locks', 'utf8').includes(` ${holder.pid} `), 'the holder to take the lock');
    const tsAdd = cni({ command: 'ADD', conf, containerId: 'ts1' });
    await until(() => flockWaiters(lockPath) === 1, 'cni-ts to wait for the lock');
    expect(leases(dataDir)).toEqual([]);
    holder.stdin.end('x');
    expect((await tsAdd).status).toBe(0);
    expect(leases(dataDir)).toEqual(['10.30.0.2', 'fd00:30::2']);
  });
});
