import fs from 'node:fs';
import path from 'node:path';
import { cni, leases, netConf, ok, requireBinary, stateNames, tempDataDir } from './harness';

let dataDir: string;
beforeAll(requireBinary);
beforeEach(() => (dataDir = tempDataDir()));
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

// What GC releases, not when (the grace period: test/netns/hardening/gc-grace.test.ts).
const ipam = () => ({ ranges: [[{ subnet: '10.1.0.0/24' }]], gcGracePeriod: 0 });
const v11 = (extra: Record<string, unknown> = {}, dir = dataDir, i: Record<string, unknown> = ipam()) =>
  netConf(dir, i, { cniVersion: '1.1.0', ...extra });

describe('host-local GC', () => {
  beforeEach(async () => {
    for (const [id, ifName] of [
      ['keep', 'eth0'],
      ['keep', 'eth1'],
      ['gone', 'eth0'],
    ])
      await ok({ command: 'ADD', conf: v11(), containerId: id, ifName });
    const dir = path.join(dataDir, 'hlnet');
    fs.writeFileSync(path.join(dir, '10.1.0.50'), 'keep');
    fs.writeFileSync(path.join(dir, '10.1.0.51'), 'gone');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'gone\r\neth0');
  });

  it('releases what is not in cni.dev/valid-attachments and leaves every other file alone', async () => {
    await ok({
      command: 'GC',
      conf: v11({ 'cni.dev/valid-attachments': [{ containerID: 'keep', ifname: 'eth0' }] }),
      env: { CNI_CONTAINERID: undefined, CNI_IFNAME: undefined, CNI_NETNS: undefined },
    });
    expect(leases(dataDir)).toEqual(['10.1.0.2', '10.1.0.50', 'notes.txt']);
    expect(stateNames(dataDir)).toEqual(['10.1.0.2', '10.1.0.50', 'last_reserved_ip.0', 'lock', 'notes.txt']);
  });

  it('accepts the older key cni.dev/attachments', async () => {
    await ok({ command: 'GC', conf: v11({ 'cni.dev/attachments': [{ containerID: 'keep', ifname: 'eth1' }] }) });
    expect(leases(dataDir)).toEqual(['10.1.0.3', '10.1.0.50', 'notes.txt']);
  });

  it('releases every reservation for an empty list', async () => {
    await ok({ command: 'GC', conf: v11({ 'cni.dev/valid-attachments': [] }) });
    expect(leases(dataDir)).toEqual(['notes.txt']);
  });

  it('releases nothing without the list, and refuses below cniVersion 1.1.0', async () => {
    expect((await cni({ command: 'GC', conf: v11() })).status).toBe(0);
    expect((await cni({ command: 'GC', conf: netConf(dataDir, ipam(), { 'cni.dev/valid-attachments': [] }) })).json).toMatchObject({
      code: 1,
    });
    expect(leases(dataDir)).toHaveLength(6);
  });

  it('succeeds when the network has no state directory', async () => {
    await ok({ command: 'GC', conf: v11({ 'cni.dev/valid-attachments': [] }, path.join(dataDir, 'none')) });
    expect(fs.existsSync(path.join(dataDir, 'none'))).toBe(false);
  });
});

describe('host-local STATUS', () => {
  const env = { CNI_CONTAINERID: undefined, CNI_IFNAME: undefined, CNI_NETNS: undefined };

  it('is ready with a usable data directory', async () => {
    const r = await ok({ command: 'STATUS', conf: v11(), env });
    expect(r.stdout).toBe('');
  });

  it('answers 50 when the data directory cannot be created', async () => {
    const file = path.join(dataDir, 'file');
    fs.writeFileSync(file, '');
    const r = await cni({ command: 'STATUS', conf: v11({}, path.join(file, 'sub')), env });
    expect(r.json).toMatchObject({ code: 50, msg: expect.stringMatching(/^host-local: state directory .* cannot be created or written/) });
  });

  it('answers 50 when a range set has no free address, and is ready again after DEL', async () => {
    const small = { ranges: [[{ subnet: 'fd00::/64' }], [{ subnet: '10.1.0.0/30' }]] };
    await ok({ command: 'ADD', conf: v11({}, dataDir, small) });
    const r = await cni({ command: 'STATUS', conf: v11({}, dataDir, small), env });
    expect(r.json).toEqual({
      cniVersion: '1.1.0',
      code: 50,
      msg: 'host-local: no IP addresses available in range set 1 (10.1.0.1-10.1.0.2)',
    });
    await ok({ command: 'DEL', conf: v11({}, dataDir, small) });
    await ok({ command: 'STATUS', conf: v11({}, dataDir, small), env });
  });

  it('is refused below cniVersion 1.1.0 and still validates the config', async () => {
    expect((await cni({ command: 'STATUS', conf: netConf(dataDir, ipam()), env })).json).toMatchObject({ code: 1 });
    expect((await cni({ command: 'STATUS', conf: v11({}, dataDir, { ranges: [[{ subnet: '10.1.0.1/24' }]] }), env })).json).toMatchObject({
      code: 7,
    });
  });
});
