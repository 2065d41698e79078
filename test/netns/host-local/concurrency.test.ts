import fs from 'node:fs';
import { addressesOf, lease, leases, netConf, ok, requireBinary, tempDataDir } from './harness';

let dataDir: string;
beforeAll(requireBinary);
beforeEach(() => (dataDir = tempDataDir()));
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

jest.setTimeout(300_000);

const N = 200;
const ids = Array.from({ length: N }, (_, i) => `pod${String(i).padStart(3, '0')}`);

describe('host-local under concurrency (the network lock)', () => {
  it(`gives ${N} concurrent ADDs ${N} distinct addresses, and ${N} concurrent DELs release them all`, async () => {
    const conf = netConf(dataDir, { ranges: [[{ subnet: '10.20.0.0/16' }], [{ subnet: 'fd00:20::/64' }]] });
    const results = await Promise.all(ids.map((containerId) => ok({ command: 'ADD', conf, containerId })));
    const byContainer = new Map(results.map((r, i) => [ids[i], addressesOf(r.json).map((a: string) => a.split('/')[0])]));
    const v4 = [...byContainer.values()].map((a) => a[0]);
    const v6 = [...byContainer.values()].map((a) => a[1]);
    expect(new Set(v4).size).toBe(N);
    expect(new Set(v6).size).toBe(N);
    expect(leases(dataDir)).toHaveLength(2 * N);
    for (const [id, addrs] of byContainer) for (const a of addrs) expect(lease(dataDir, a)).toBe(`${id}\r\neth0`);

    await Promise.all(ids.map((containerId) => ok({ command: 'DEL', conf, containerId })));
    expect(leases(dataDir)).toEqual([]);
  });

  it('keeps addresses unique while ADDs and DELs interleave', async () => {
    const conf = netConf(dataDir, { ranges: [[{ subnet: '10.21.0.0/24', rangeEnd: '10.21.0.90' }]] });
    const first = ids.slice(0, 40);
    await Promise.all(first.map((containerId) => ok({ command: 'ADD', conf, containerId })));
    // 40 DELs of the first wave race 40 ADDs of a second wave (89 addresses: room for both waves).
    const second = ids.slice(40, 80);
    const [, added] = await Promise.all([
      Promise.all(first.map((containerId) => ok({ command: 'DEL', conf, containerId }))),
      Promise.all(second.map((containerId) => ok({ command: 'ADD', conf, containerId }))),
    ]);
    const addrs = added.map((r) => r.json.ips[0].address);
    expect(new Set(addrs).size).toBe(second.length);
    expect(leases(dataDir)).toHaveLength(second.length);
    for (const [i, a] of addrs.entries()) expect(lease(dataDir, a.split('/')[0])).toBe(`${second[i]}\r\neth0`);
  });
});
