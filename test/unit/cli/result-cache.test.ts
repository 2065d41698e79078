import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseNetworkList } from '../../../lib/cli/network-list';
import { cachedAttachments, cacheFilePath, deleteCachedResult, readCachedResult, writeCachedResult } from '../../../lib/cli/result-cache';
import type { RuntimeConf } from '../../../lib/cli/runtime-conf';
import { parseResult } from '../../../lib/cni/result';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-cache-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const listBytes = '{"cniVersion":"1.0.0","name":"net","plugins":[{"type":"bridge"}]}';
const list = parseNetworkList(Buffer.from(listBytes), 'x');
const rt: RuntimeConf = {
  containerId: 'cnitool-0123456789abcdef0123',
  netns: '/run/netns/pod1',
  ifName: 'eth0',
  args: [
    ['IgnoreUnknown', '1'],
    ['IP', '10.1.0.5'],
  ],
  capabilityArgs: { mac: 'c2:11:22:33:44:55', ips: ['10.1.0.5/24'] },
};
const result = parseResult({
  cniVersion: '1.0.0',
  interfaces: [
    { name: 'br0', mac: '02:00:00:00:00:01' },
    { name: 'eth0', sandbox: '/run/netns/pod1' },
  ],
  ips: [{ address: '10.1.0.5/24', gateway: '10.1.0.1', interface: 1 }],
  routes: [{ dst: '0.0.0.0/0' }],
});

describe('result cache (libcni layout)', () => {
  it("writes <cacheDir>/results/<net>-<containerId>-<ifname> in libcni's cniCacheV1 format", () => {
    writeCachedResult(dir, list, rt, result);
    const file = path.join(dir, 'results', 'net-cnitool-0123456789abcdef0123-eth0');
    expect(cacheFilePath(dir, 'net', rt)).toBe(file);
    const text = fs.readFileSync(file, 'utf8');
    const entry = JSON.parse(text);
    // Field order is Go's struct order; "config" is the list's bytes in base64 ([]byte in Go).
    expect(Object.keys(entry)).toEqual([
      'kind',
      'containerId',
      'config',
      'ifName',
      'networkName',
      'netns',
      'cniArgs',
      'capabilityArgs',
      'result',
    ]);
    expect(entry).toEqual({
      kind: 'cniCacheV1',
      containerId: rt.containerId,
      config: Buffer.from(listBytes).toString('base64'),
      ifName: 'eth0',
      networkName: 'net',
      netns: '/run/netns/pod1',
      cniArgs: [
        ['IgnoreUnknown', '1'],
        ['IP', '10.1.0.5'],
      ],
      capabilityArgs: { ips: ['10.1.0.5/24'], mac: 'c2:11:22:33:44:55' },
      result: {
        cniVersion: '1.0.0',
        interfaces: [
          { mac: '02:00:00:00:00:01', name: 'br0' },
          { name: 'eth0', sandbox: '/run/netns/pod1' },
        ],
        ips: [{ address: '10.1.0.5/24', gateway: '10.1.0.1', interface: 1 }],
        routes: [{ dst: '0.0.0.0/0' }],
      },
    });
    expect(Object.keys(entry.capabilityArgs)).toEqual(['ips', 'mac']);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
  });

  it("omits netns, cniArgs and capabilityArgs when empty, like Go's omitempty", () => {
    writeCachedResult(dir, list, { ...rt, netns: '', args: [], capabilityArgs: {} }, result);
    const entry = JSON.parse(fs.readFileSync(cacheFilePath(dir, 'net', rt), 'utf8'));
    expect(Object.keys(entry)).toEqual(['kind', 'containerId', 'config', 'ifName', 'networkName', 'result']);
  });

  it("reads the result back converted to the list's version", () => {
    writeCachedResult(dir, list, rt, result);
    expect(readCachedResult(dir, list, rt)).toEqual({
      cniVersion: '1.0.0',
      interfaces: [
        { name: 'br0', mac: '02:00:00:00:00:01' },
        { name: 'eth0', sandbox: '/run/netns/pod1' },
      ],
      ips: [{ interface: 1, address: '10.1.0.5/24', gateway: '10.1.0.1' }],
      routes: [{ dst: '0.0.0.0/0' }],
    });
    const old = parseNetworkList(Buffer.from(listBytes.replace('1.0.0', '0.4.0')), 'x');
    expect(readCachedResult(dir, old, rt)).toMatchObject({ cniVersion: '0.4.0', ips: [{ version: '4', address: '10.1.0.5/24' }], dns: {} });
  });

  it('reads a legacy cache file holding the bare result', () => {
    fs.mkdirSync(path.join(dir, 'results'), { recursive: true });
    fs.writeFileSync(
      cacheFilePath(dir, 'net', rt),
      JSON.stringify({ cniVersion: '0.4.0', ips: [{ version: '4', address: '10.1.0.5/24' }] }),
    );
    expect(readCachedResult(dir, list, rt)).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.1.0.5/24' }] });
  });

  it('returns nothing when there is no entry, and fails on an unreadable one', () => {
    expect(readCachedResult(dir, list, rt)).toBeUndefined();
    fs.mkdirSync(path.join(dir, 'results'), { recursive: true });
    fs.writeFileSync(cacheFilePath(dir, 'net', rt), '{"kind":"cniCacheV1","result":');
    expect(() => readCachedResult(dir, list, rt)).toThrow(/failed to parse cached result of network "net"/);
  });

  it('refuses to name an entry without network, container id or interface, or with a path in them', () => {
    expect(() => cacheFilePath(dir, 'net', { containerId: '', ifName: 'eth0' })).toThrow(/requires network name/);
    expect(() => cacheFilePath(dir, '../../etc', rt)).toThrow(/cannot be part of a cache file name/);
    expect(() => cacheFilePath(dir, 'net', { ...rt, ifName: 'a/b' })).toThrow(/cannot be part of a cache file name/);
  });

  it('deletes an entry, and tolerates one that is already gone', () => {
    writeCachedResult(dir, list, rt, result);
    deleteCachedResult(dir, 'net', rt);
    deleteCachedResult(dir, 'net', rt);
    expect(fs.readdirSync(path.join(dir, 'results'))).toEqual([]);
  });

  it('lists the attachments it holds, skipping anything that is not a cniCacheV1 entry', () => {
    writeCachedResult(dir, list, rt, result);
    writeCachedResult(dir, parseNetworkList(Buffer.from(listBytes.replace('"net"', '"other"')), 'x'), { ...rt, ifName: 'net1' }, result);
    fs.writeFileSync(path.join(dir, 'results', 'junk'), 'not json');
    fs.writeFileSync(path.join(dir, 'results', 'legacy-c-eth0'), JSON.stringify({ cniVersion: '0.4.0' }));
    expect(cachedAttachments(dir)).toEqual([
      {
        containerId: rt.containerId,
        network: 'net',
        ifName: 'eth0',
        netns: '/run/netns/pod1',
        args: rt.args,
        capabilityArgs: { ips: ['10.1.0.5/24'], mac: 'c2:11:22:33:44:55' },
      },
      {
        containerId: rt.containerId,
        network: 'other',
        ifName: 'net1',
        netns: '/run/netns/pod1',
        args: rt.args,
        capabilityArgs: { ips: ['10.1.0.5/24'], mac: 'c2:11:22:33:44:55' },
      },
    ]);
    expect(cachedAttachments(path.join(dir, 'missing'))).toEqual([]);
  });
});
