import fs from 'node:fs';
import path from 'node:path';
import { cni, leases, netConf, ok, requireBinary, stateNames, tempDataDir } from './harness';

let dataDir: string;
beforeAll(requireBinary);
beforeEach(() => (dataDir = tempDataDir()));
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const ipam = () => ({ ranges: [[{ subnet: '10.1.0.0/24' }], [{ subnet: 'fd00:1::/64' }]] });
const write = (name: string, content: string) => {
  fs.mkdirSync(path.join(dataDir, 'hlnet'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'hlnet', name), content);
};

describe('host-local DEL', () => {
  it('releases the attachment in every set and nothing of other attachments', async () => {
    await ok({ command: 'ADD', conf: netConf(dataDir, ipam()), containerId: 'c1', ifName: 'eth0' });
    await ok({ command: 'ADD', conf: netConf(dataDir, ipam()), containerId: 'c1', ifName: 'eth1' });
    await ok({ command: 'ADD', conf: netConf(dataDir, ipam()), containerId: 'c2', ifName: 'eth0' });
    const r = await ok({ command: 'DEL', conf: netConf(dataDir, ipam()), containerId: 'c1', ifName: 'eth0' });
    expect(r.stdout).toBe('');
    expect(leases(dataDir)).toEqual(['10.1.0.3', '10.1.0.4', 'fd00:1::3', 'fd00:1::4']);
  });

  it('is idempotent: a second DEL, without netns or prevResult, succeeds', async () => {
    await ok({ command: 'ADD', conf: netConf(dataDir, ipam()) });
    await ok({
      command: 'DEL',
      conf: netConf(dataDir, ipam(), { prevResult: { cniVersion: '1.0.0', ips: [{ address: '10.1.0.2/24' }] } }),
    });
    await ok({ command: 'DEL', conf: netConf(dataDir, ipam()), env: { CNI_NETNS: '' } });
    await ok({ command: 'DEL', conf: netConf(dataDir, ipam()), env: { CNI_NETNS: undefined } });
    expect(leases(dataDir)).toEqual([]);
    expect(stateNames(dataDir)).toEqual(['last_reserved_ip.0', 'last_reserved_ip.1', 'lock']);
  });

  it('succeeds for an unknown container and when the network directory does not exist, creating nothing', async () => {
    await ok({ command: 'DEL', conf: netConf(dataDir, ipam()), containerId: 'never-added' });
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('releases legacy id-only reservations, but only when no (id, ifname) one exists', async () => {
    write('10.1.0.9', 'c1');
    write('10.1.0.10', 'c1\r\neth0');
    await ok({ command: 'DEL', conf: netConf(dataDir, ipam()), containerId: 'c1' });
    expect(leases(dataDir)).toEqual(['10.1.0.9']);
    await ok({ command: 'DEL', conf: netConf(dataDir, ipam()), containerId: 'c1' });
    expect(leases(dataDir)).toEqual([]);
  });

  it('still needs a valid config', async () => {
    const noIpam = await cni({ command: 'DEL', conf: { cniVersion: '1.0.0', name: 'hlnet', type: 'bridge' } });
    expect(noIpam.json).toMatchObject({ code: 7 });
    const badArgs = await cni({ command: 'DEL', conf: netConf(dataDir, ipam()), args: 'K8S_POD_NAME=x' });
    expect(badArgs.json).toMatchObject({ code: 4 });
    await ok({
      command: 'DEL',
      conf: netConf(dataDir, ipam()),
      args: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=x;K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=u',
    });
  });

  it('cleans up temporaries a crashed run left behind', async () => {
    write('.cni-ts-reserve.tmp', 'c9\r\neth0');
    await ok({ command: 'DEL', conf: netConf(dataDir, ipam()), containerId: 'c1' });
    expect(stateNames(dataDir)).toEqual(['lock']);
  });
});

describe('host-local CHECK', () => {
  it('passes while the attachment holds an address and fails after DEL', async () => {
    await ok({ command: 'ADD', conf: netConf(dataDir, ipam()) });
    await ok({ command: 'CHECK', conf: netConf(dataDir, ipam()) });
    await ok({ command: 'DEL', conf: netConf(dataDir, ipam()) });
    const r = await cni({ command: 'CHECK', conf: netConf(dataDir, ipam()) });
    expect(r.json).toEqual({ cniVersion: '1.0.0', code: 999, msg: 'host-local: Failed to find address added by container ctr1' });
  });

  it('fails for another interface of the container, and when nothing was ever added', async () => {
    await ok({ command: 'ADD', conf: netConf(dataDir, ipam()), ifName: 'eth0' });
    expect((await cni({ command: 'CHECK', conf: netConf(dataDir, ipam()), ifName: 'eth1' })).json.code).toBe(999);
    expect((await cni({ command: 'CHECK', conf: netConf(`${dataDir}/none`, ipam()) })).json.code).toBe(999);
  });

  it('accepts a legacy id-only reservation', async () => {
    write('10.1.0.9', 'ctr1');
    await ok({ command: 'CHECK', conf: netConf(dataDir, ipam()) });
  });

  it('is refused below cniVersion 0.4.0', async () => {
    const r = await cni({ command: 'CHECK', conf: netConf(dataDir, ipam(), { cniVersion: '0.3.1' }) });
    expect(r.json).toMatchObject({ code: 1, msg: 'config version does not allow CHECK' });
  });
});
