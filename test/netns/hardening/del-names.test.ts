import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireRoot } from '../../helpers/netns';
import { NOTHING_LEFT, requireBinaries, withSandbox, type Sandbox } from '../bridge/harness';
import { runRaw } from './run';

// Issue 15 items 4 and 5: DEL acts on the link with exactly the name it was given (iproute2 reads
// `ifN` as ifindex N when no such link exists), and cleans up any name the kernel accepts, even
// one outside the alphabet ADD allows (another implementation may have made the attachment).

beforeAll(() => {
  requireRoot();
  requireBinaries();
});

function ifindex(s: Sandbox, name: string): number {
  return s.link(s.ctr, name).ifindex as number;
}

describe('item 4: ifN names are names, not ifindex shorthands', () => {
  test.each(['bridge', 'macvlan', 'dummy'])('%s DEL of a missing ifN leaves the link with index N alone', async (plugin) => {
    await withSandbox((s) => {
      s.ctr.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0');
      const n = ifindex(s, 'eth0');
      const conf =
        plugin === 'bridge'
          ? s.conf()
          : {
              cniVersion: '1.0.0',
              name: 'testnet',
              type: plugin,
              master: 'nomaster',
              ipam: { type: 'host-local', subnet: '10.99.0.0/24', dataDir: s.dataDir },
            };
      const del = runRaw(s, { plugin, command: 'DEL', conf, ifName: `if${n}` });
      expect({ status: del.status, out: del.stdout }).toEqual({ status: 0, out: '' });
      expect(s.links(s.ctr).sort()).toEqual(['eth0', 'lo', 'peer0']);
      expect(ifindex(s, 'eth0')).toBe(n);
    });
  });

  test('bridge DEL of an existing ifN deletes that link, not the one with index N', async () => {
    await withSandbox((s) => {
      s.ctr.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0');
      const n = ifindex(s, 'eth0');
      // A link called if<N> that does not have index N.
      s.ctr.ip('link', 'add', `if${n}`, 'type', 'veth', 'peer', 'name', 'peer1');
      expect(ifindex(s, `if${n}`)).not.toBe(n);
      const del = runRaw(s, { command: 'DEL', conf: s.conf(), ifName: `if${n}` });
      expect({ status: del.status, out: del.stdout }).toEqual({ status: 0, out: '' });
      expect(s.links(s.ctr).sort()).toEqual(['eth0', 'lo', 'peer0']);
    });
  });
});

describe('item 5: DEL cleans up any name the kernel accepts', () => {
  test.each(['eth0,1', 'net@1', 'ëth0', 'a#b', 'q\'"x', 'b\\s', 'c\x01d'])(
    'bridge DEL removes an existing %j and releases its address',
    async (name) => {
      await withSandbox((s) => {
        const conf = s.conf();
        s.ok({ command: 'ADD', conf, containerId: 'other' });
        // The attachment as another implementation made it: a veth under that name, an address
        // reserved for it.
        s.ctr.ip('link', 'add', name, 'type', 'veth', 'peer', 'name', 'peer0');
        fs.writeFileSync(path.join(s.dataDir, 'testnet', '10.99.0.77'), `ctr1\r\n${name}`);
        fs.writeFileSync(path.join(s.dataDir, 'testnet', 'last_reserved_ip.0'), '10.99.0.77');
        const del = runRaw(s, { command: 'DEL', conf, ifName: name });
        expect({ status: del.status, out: del.stdout }).toEqual({ status: 0, out: '' });
        expect(s.links(s.ctr).sort()).toEqual(['eth0', 'lo']);
        expect(s.reservations()).toEqual(['10.99.0.2']);
      });
    },
  );

  test('bridge DEL through a namespace path outside the ADD alphabet', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-ns path #ü-'));
    try {
      await withSandbox((s) => {
        const conf = s.conf();
        s.ok({ command: 'ADD', conf });
        const odd = path.join(dir, "ns 'x'");
        fs.symlinkSync(s.ctr.path, odd);
        const del = runRaw(s, { command: 'DEL', conf, netns: odd });
        expect({ status: del.status, out: del.stdout }).toEqual({ status: 0, out: '' });
        expect(s.leftovers()).toEqual(NOTHING_LEFT);
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('ADD keeps the strict alphabet: eth0,1 is refused and nothing is left', async () => {
    await withSandbox((s) => {
      const add = runRaw(s, { command: 'ADD', conf: s.conf(), ifName: 'eth0,1' });
      expect(add.status).not.toBe(0);
      expect(add.json?.msg).toMatch(/eth0,1/);
      expect(s.leftovers()).toEqual(NOTHING_LEFT);
    });
  });
});
