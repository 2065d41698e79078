import fs from 'node:fs';
import { makeTopology, type Topology } from '../helpers/netns';
import { requireBinaries, reservations, runOk, tempDataDir } from '../helpers/run-plugin';

// macvlan on the full kernel's 6.1: there a link created from one namespace into another is
// still checked against the names of the namespace it is created from, so creating it under
// its final name fails when the host has a link of that name (eth0 on most nodes). The plugin
// creates it under a temporary name and renames it inside the container; this proves it.

jest.setTimeout(120_000); // process starts are slow in user-mode-linux

beforeAll(() => {
  if (process.env.CNI_TS_FULL_KERNEL !== '1') throw new Error('the kernel suite runs inside user-mode-linux only: npm run test:kernel');
  requireBinaries('macvlan', 'host-local');
});

let topo: Topology;
let dataDir: string;
beforeEach(() => {
  topo = makeTopology();
  dataDir = tempDataDir();
  topo.host.ip('link', 'add', 'name', 'up0', 'type', 'dummy');
  topo.host.ip('link', 'set', 'up0', 'up');
  topo.host.ip('link', 'add', 'name', 'eth0', 'type', 'dummy');
});
afterEach(() => {
  topo.cleanup();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const conf = () => ({
  cniVersion: '1.0.0',
  name: 'mvnet',
  type: 'macvlan',
  master: 'up0',
  ipam: { type: 'host-local', dataDir, ranges: [[{ subnet: '10.80.0.0/24' }]] },
});

it('ADD of eth0 works although the host namespace has an eth0; DEL removes it', () => {
  const r = runOk(topo.host, 'macvlan', { command: 'ADD', conf: conf(), netns: topo.ctr.path });
  expect(r.json.interfaces).toEqual([{ name: 'eth0', mac: expect.any(String), sandbox: topo.ctr.path }]);
  const [link] = topo.ctr.ipJson('-d', 'link', 'show', 'dev', 'eth0');
  expect(link.linkinfo.info_kind).toBe('macvlan');
  expect(topo.host.ipJson('-d', 'link', 'show', 'dev', 'eth0')[0].linkinfo.info_kind).toBe('dummy');
  expect(
    topo.ctr
      .ipJson('link', 'show')
      .map((l: { ifname: string }) => l.ifname)
      .sort(),
  ).toEqual(['eth0', 'lo']);

  runOk(topo.host, 'macvlan', { command: 'DEL', conf: conf(), netns: topo.ctr.path });
  expect(topo.ctr.ipJson('link', 'show').map((l: { ifname: string }) => l.ifname)).toEqual(['lo']);
  expect(reservations(dataDir, 'mvnet')).toEqual([]);
});
