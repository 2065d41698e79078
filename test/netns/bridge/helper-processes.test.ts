import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireRoot } from '../../helpers/netns';
import { NOTHING_LEFT, OUR_BIN, requireBinaries, withSandbox, type Sandbox } from './harness';

// Issue 13: links, addresses, routes, namespaces and locks are done in-process over netlink, and
// nf_tables is asked in-process whether a table exists, so the only processes a bridge call starts
// are the masquerade tool runs it cannot do without. Counted with strace in fresh namespaces.

beforeAll(() => {
  requireRoot();
  requireBinaries();
});

/** The programs one bridge call executed (strace -f), the plugin itself left out. */
function helpers(s: Sandbox, command: 'ADD' | 'DEL', conf: unknown): string[] {
  const log = path.join(os.tmpdir(), `cnits-helpers-${process.pid}-${Date.now()}`);
  const plugin = path.join(OUR_BIN, 'bridge');
  const vars = [
    'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
    `CNI_COMMAND=${command}`,
    'CNI_CONTAINERID=ctr1',
    `CNI_NETNS=${s.ctr.path}`,
    'CNI_IFNAME=eth0',
    `CNI_PATH=${OUR_BIN}`,
  ];
  try {
    const r = spawnSync(
      'ip',
      ['netns', 'exec', s.host.name, 'strace', '-f', '-qq', '-e', 'trace=execve', '-o', log, '/usr/bin/env', '-i', ...vars, plugin],
      { input: JSON.stringify(conf), encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } },
    );
    if (r.status !== 0) throw new Error(`${command} failed (${r.status}): ${r.stdout}${r.stderr}`);
    return fs
      .readFileSync(log, 'utf8')
      .split('\n')
      .flatMap((line) => {
        const m = /execve\("([^"]+)",.*\)\s+=\s+0/.exec(line);
        return m && m[1] !== '/usr/bin/env' && m[1] !== plugin ? [path.basename(m[1])] : [];
      });
  } finally {
    fs.rmSync(log, { force: true });
  }
}

test('iptables backend (iptables-nft): ADD runs only iptables-restore, DEL and a repeated DEL none', async () => {
  await withSandbox((s) => {
    const conf = s.conf({ isGateway: true, ipMasq: true, ipMasqBackend: 'iptables' });
    // A fresh namespace has no nat table: nf_tables says so in-process, no save is needed.
    expect(helpers(s, 'ADD', conf)).toEqual(['iptables-restore']);
    expect(s.addresses(s.ctr, 'eth0')).toEqual(['10.99.0.2/24']);
    // iptables here is iptables-nft: the chain and its jump go in one nf_tables transaction made
    // in-process. No ip6 nat table and no nftables masquerade table: nothing else to run either.
    expect(helpers(s, 'DEL', conf)).toEqual([]);
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
    // A repeated DEL (runtimes send several): the chain is gone, nf_tables says so in-process.
    expect(helpers(s, 'DEL', conf)).toEqual([]);
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });
});

test('nftables backend: ADD runs one nft transaction, DEL one listing and one transaction', async () => {
  await withSandbox((s) => {
    const conf = s.conf({ isGateway: true, ipMasq: true, ipMasqBackend: 'nftables' });
    expect(helpers(s, 'ADD', conf)).toEqual(['nft']);
    expect(helpers(s, 'DEL', conf)).toEqual(['nft', 'nft']);
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });
});

test('without masquerading a bridge ADD and DEL start no process at all', async () => {
  await withSandbox((s) => {
    const conf = s.conf({ isGateway: true });
    expect(helpers(s, 'ADD', conf)).toEqual([]);
    expect(helpers(s, 'DEL', conf)).toEqual([]);
    expect(s.leftovers()).toEqual(NOTHING_LEFT);
  });
});
