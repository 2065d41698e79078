import fs from 'node:fs';
import { makeTopology, type Topology } from '../helpers/netns';
import { requireBinaries, runOk, runPlugin, tempDataDir, type PluginCall } from '../helpers/run-plugin';

// Beyond the reference (issue 16) for the dummy plugin, which needs the full kernel: a 1.1
// result carries the interface's MTU, and routes' mtu/advmss are programmed and CHECKed.

jest.setTimeout(120_000);

beforeAll(() => {
  if (process.env.CNI_TS_FULL_KERNEL !== '1') throw new Error('the kernel suite runs inside user-mode-linux only: npm run test:kernel');
  requireBinaries('dummy', 'host-local');
});

let topo: Topology;
let dataDir: string;
beforeEach(() => {
  topo = makeTopology();
  dataDir = tempDataDir();
});
afterEach(() => {
  topo.cleanup();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

type Call = Omit<PluginCall, 'netns'>;
const ok = (call: Call) => runOk(topo.host, 'dummy', { ...call, netns: topo.ctr.path });
const run = (call: Call) => runPlugin(topo.host, 'dummy', { ...call, netns: topo.ctr.path });

function conf(cniVersion: string): Record<string, unknown> {
  return {
    cniVersion,
    name: 'dmbeyond',
    type: 'dummy',
    ipam: {
      type: 'host-local',
      dataDir,
      ranges: [[{ subnet: '10.72.0.0/24' }]],
      routes: [{ dst: '10.73.0.0/16', mtu: 1400, advmss: 1300 }],
    },
  };
}

test('1.1.0: interfaces[0].mtu is the link MTU; route mtu/advmss programmed and CHECKed', () => {
  const c = conf('1.1.0');
  const r = ok({ command: 'ADD', conf: c }).json;
  const link = topo.ctr.ipJson('link', 'show', 'dev', 'eth0')[0];
  expect(r.interfaces[0].mtu).toBe(link.mtu);
  expect(topo.ctr.ipJson('route', 'show', '10.73.0.0/16')[0].metrics).toEqual([{ mtu: 1400, advmss: 1300 }]);
  ok({ command: 'CHECK', conf: { ...c, prevResult: r } });
  topo.ctr.ip('route', 'replace', '10.73.0.0/16', 'via', '10.72.0.1', 'dev', 'eth0');
  // The dummy plugin's CHECK compares addresses, not routes (as the reference).
  expect(run({ command: 'CHECK', conf: { ...c, prevResult: r } }).status).toBe(0);
});

test('1.0.0: no interface mtu', () => {
  expect(ok({ command: 'ADD', conf: conf('1.0.0') }).json.interfaces[0].mtu).toBeUndefined();
});
