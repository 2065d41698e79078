import { CniError, ErrCode } from '../../../lib/cni/errors';
import { Ip } from '../../../lib/ip';
import { allocate } from '../../../plugins/host-local/allocator/allocator';
import { MemoryStore } from './memory-store';
import { set } from './sets';

const key = { containerId: 'ctr', ifName: 'eth0' };
const ips = (list: string[]) => list.map((t) => Ip.parse(t));

function run(store: MemoryStore, sets: ReturnType<typeof set>[], requested: string[] = [], k = key): string[] {
  return allocate(store, sets, k, ips(requested)).map(
    (a) => `${a.ip.toString()}/${a.range.subnet.prefix} gw ${a.range.gateway.toString()}`,
  );
}

function failure(store: MemoryStore, sets: ReturnType<typeof set>[], requested: string[] = [], k = key): CniError {
  try {
    allocate(store, sets, k, ips(requested));
  } catch (e) {
    if (e instanceof CniError) return e;
    throw e;
  }
  throw new Error('allocation succeeded');
}

describe('host-local allocator: round robin', () => {
  it.each<[string, string[], Record<string, string>, string | undefined, string]>([
    ['fresh /29', ['10.0.0.0/29'], {}, undefined, '10.0.0.2'],
    ['fresh IPv6', ['2001:db8:1::/64'], {}, undefined, '2001:db8:1::2'],
    ['fresh /30', ['10.0.0.0/30'], {}, undefined, '10.0.0.2'],
    ['first address taken', ['10.0.0.0/29'], { '10.0.0.2': 'x' }, undefined, '10.0.0.3'],
    ['after the last reservation', ['10.0.0.0/29'], {}, '10.0.0.5', '10.0.0.6'],
    ['skipping taken addresses', ['10.0.0.0/29'], { '10.0.0.4': 'x', '10.0.0.5': 'x' }, '10.0.0.3', '10.0.0.6'],
    ['wrapping to the start', ['10.0.0.0/29'], { '10.0.0.6': 'x' }, '10.0.0.5', '10.0.0.2'],
    ['last reservation outside the set', ['10.0.0.0/29'], { '10.0.0.2': 'x' }, '10.0.0.128', '10.0.0.3'],
    [
      'only the last reservation free',
      ['10.0.0.0/29'],
      { '10.0.0.2': 'x', '10.0.0.4': 'x', '10.0.0.5': 'x', '10.0.0.6': 'x' },
      '10.0.0.3',
      '10.0.0.3',
    ],
    ['first of several subnets', ['10.0.0.0/30', '10.0.1.0/30'], {}, undefined, '10.0.0.2'],
    ['on to the next subnet', ['10.0.0.0/30', '10.0.1.0/30'], {}, '10.0.0.2', '10.0.1.2'],
    ['back to the first subnet', ['10.0.0.0/30', '10.0.1.0/30', '10.0.2.0/30'], {}, '10.0.2.2', '10.0.0.2'],
  ])('%s', (_what, subnets, held, last, expected) => {
    const store = new MemoryStore(held, last ? { 0: last } : {});
    expect(run(store, [set(0, ...subnets)])[0].split('/')[0]).toBe(expected);
    expect(store.lastReservedIp(0)?.toString()).toBe(expected);
  });

  it('hands out every host address but the gateway and broadcast, then reports exhaustion', () => {
    const store = new MemoryStore();
    const s = set(0, '192.168.1.0/29');
    const got = [2, 3, 4, 5, 6].map((i) => run(store, [s], [], { containerId: `c${i}`, ifName: 'eth0' })[0]);
    expect(got).toEqual([2, 3, 4, 5, 6].map((i) => `192.168.1.${i}/29 gw 192.168.1.1`));
    const e = failure(store, [s], [], { containerId: 'c7', ifName: 'eth0' });
    expect(e.code).toBe(ErrCode.TryAgainLater);
    expect(e.message).toBe('failed to allocate for range 0: no IP addresses available in range set: 192.168.1.1-192.168.1.6');
  });

  it('does not give a released address straight back', () => {
    const store = new MemoryStore();
    const s = set(0, '192.168.1.0/29');
    expect(run(store, [s])).toEqual(['192.168.1.2/29 gw 192.168.1.1']);
    store.releaseByAttachment(key);
    expect(run(store, [s])).toEqual(['192.168.1.3/29 gw 192.168.1.1']);
  });

  it('tries candidates in order from the last reservation, across ranges', () => {
    const store = new MemoryStore({ '10.0.0.6': 'a', '10.0.1.2': 'b' }, { 0: '10.0.0.5' });
    expect(run(store, [set(0, '10.0.0.0/29', '10.0.1.0/30')])).toEqual(['10.0.0.2/29 gw 10.0.0.1']);
    expect(store.attempts).toEqual(['10.0.0.6', '10.0.1.2', '10.0.0.2']);
  });
});

describe('host-local allocator: exhaustion', () => {
  it.each<[string[], Record<string, string>]>([
    [['10.0.0.0/30'], { '10.0.0.2': 'x' }],
    [['10.0.0.0/29'], { '10.0.0.2': 'x', '10.0.0.3': 'x', '10.0.0.4': 'x', '10.0.0.5': 'x', '10.0.0.6': 'x' }],
    [['10.0.0.0/30', '10.0.1.0/30'], { '10.0.0.2': 'x', '10.0.1.2': 'x' }],
  ])('fails clearly for %j with %j taken, trying every address once', (subnets, held) => {
    const store = new MemoryStore(held);
    const e = failure(store, [set(0, ...subnets)]);
    expect(e.message).toMatch(/^failed to allocate for range 0: no IP addresses available in range set: /);
    expect(store.attempts.sort()).toEqual(Object.keys(held).sort());
  });
});

describe('host-local allocator: requested addresses', () => {
  const s = () => set(0, '192.168.1.0/29');

  it('reserves the requested address', () => {
    const store = new MemoryStore();
    expect(run(store, [s()], ['192.168.1.5'])).toEqual(['192.168.1.5/29 gw 192.168.1.1']);
    expect(store.lastReservedIp(0)?.toString()).toBe('192.168.1.5');
  });

  it('fails when the requested address is taken', () => {
    const store = new MemoryStore({ '192.168.1.5': 'other/eth0' });
    expect(failure(store, [s()], ['192.168.1.5']).message).toBe(
      'failed to allocate for range 0: requested IP address 192.168.1.5 is not available in range set 192.168.1.1-192.168.1.6',
    );
  });

  it('refuses the gateway', () => {
    expect(failure(new MemoryStore(), [s()], ['192.168.1.1']).message).toBe(
      "failed to allocate for range 0: requested ip 192.168.1.1 is subnet's gateway",
    );
  });

  it.each([['192.168.1.7'], ['192.168.1.0'], ['10.9.9.9']])('refuses %s, outside every range', (ip) => {
    const store = new MemoryStore();
    const e = failure(store, [s()], [ip]);
    expect(e.message).toMatch(new RegExp(`^failed to allocate all requested IPs: ${ip.replace(/\./g, '\\.')} `));
    expect(store.snapshot()).toEqual({});
  });

  it('refuses addresses before rangeStart and after rangeEnd', () => {
    const narrow = set(0, { subnet: '192.168.1.0/29', rangeStart: '192.168.1.3', rangeEnd: '192.168.1.4' });
    expect(failure(new MemoryStore(), [narrow], ['192.168.1.2']).message).toMatch(/failed to allocate all requested IPs: 192.168.1.2/);
    expect(failure(new MemoryStore(), [narrow], ['192.168.1.5']).message).toMatch(/failed to allocate all requested IPs: 192.168.1.5/);
  });

  it('fills each set with the first request that falls in it and round-robins the others', () => {
    const store = new MemoryStore();
    const got = run(store, [set(0, '10.1.0.0/24'), set(1, 'fd00::/64'), set(2, '10.2.0.0/24')], ['10.2.0.50', 'fd00::50']);
    expect(got).toEqual(['10.1.0.2/24 gw 10.1.0.1', 'fd00::50/64 gw fd00::1', '10.2.0.50/24 gw 10.2.0.1']);
  });

  it('fails (and keeps nothing) when two requests fall in the same set', () => {
    const store = new MemoryStore();
    expect(failure(store, [s()], ['192.168.1.3', '192.168.1.4']).message).toMatch(/^failed to allocate all requested IPs: 192.168.1.4/);
    expect(store.snapshot()).toEqual({});
  });
});

describe('host-local allocator: duplicates, dual stack and rollback', () => {
  it('gives one address per set, IPv4 and IPv6', () => {
    const store = new MemoryStore();
    expect(run(store, [set(0, '10.1.0.0/24'), set(1, 'fd00:1::/64')])).toEqual(['10.1.0.2/24 gw 10.1.0.1', 'fd00:1::2/64 gw fd00:1::1']);
    expect(store.snapshot()).toEqual({ '10.1.0.2': 'ctr/eth0', 'fd00:1::2': 'ctr/eth0' });
    expect([store.lastReservedIp(0)?.toString(), store.lastReservedIp(1)?.toString()]).toEqual(['10.1.0.2', 'fd00:1::2']);
  });

  it('refuses a second allocation for the same attachment in a set', () => {
    const store = new MemoryStore({ '10.1.0.7': 'ctr/eth0' });
    const e = failure(store, [set(0, '10.1.0.0/24')]);
    expect(e.message).toBe('failed to allocate for range 0: 10.1.0.7 has been allocated to ctr, duplicate allocation is not allowed');
    expect(e.code).toBe(ErrCode.Internal);
  });

  it('counts a legacy id-only reservation of the container as a duplicate', () => {
    expect(failure(new MemoryStore({ '10.1.0.7': 'ctr' }), [set(0, '10.1.0.0/24')]).message).toMatch(/duplicate allocation/);
  });

  it('allows the same container on another interface', () => {
    const store = new MemoryStore({ '10.1.0.2': 'ctr/eth0' });
    expect(run(store, [set(0, '10.1.0.0/24')], [], { containerId: 'ctr', ifName: 'eth1' })).toEqual(['10.1.0.3/24 gw 10.1.0.1']);
  });

  it('releases what this call reserved when a later set fails, and keeps older reservations', () => {
    const store = new MemoryStore({ 'fd00::2': 'ctr/eth0', '10.2.0.2': 'other/eth0' });
    const e = failure(store, [set(0, '10.1.0.0/24'), set(1, 'fd00::/64'), set(2, '10.2.0.0/30')]);
    expect(e.message).toMatch(/^failed to allocate for range 1: fd00::2 has been allocated to ctr/);
    expect(store.snapshot()).toEqual({ 'fd00::2': 'ctr/eth0', '10.2.0.2': 'other/eth0' });
  });

  it('releases everything when the last set is exhausted', () => {
    const store = new MemoryStore({ '10.2.0.2': 'other/eth0' });
    const e = failure(store, [set(0, '10.1.0.0/24'), set(1, 'fd00::/64'), set(2, '10.2.0.0/30')]);
    expect(e.message).toMatch(/^failed to allocate for range 2: no IP addresses available/);
    expect(store.snapshot()).toEqual({ '10.2.0.2': 'other/eth0' });
  });

  it('releases everything when a request matches no set', () => {
    const store = new MemoryStore();
    failure(store, [set(0, '10.1.0.0/24'), set(1, 'fd00::/64')], ['10.1.0.9', '10.3.0.1']);
    expect(store.snapshot()).toEqual({});
  });
});
