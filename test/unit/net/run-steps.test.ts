import { Batch, NetError, type NetnsRef } from '../../../lib/net';
import type { ExecResult } from '../../../lib/net/exec';
import {
  batchInput,
  lineOfBadArgument,
  locateBatchFailure,
  runSteps,
  scriptArgs,
  scriptFailure,
  segmentsOf,
  STEP_SCRIPT,
  type StepHost,
} from '../../../lib/net/run-steps';

const there: NetnsRef = { isCurrent: false, ref: '/run/netns/ctr' };

function steps(build: (b: Batch) => unknown) {
  const b = new Batch(there, async () => ({ tolerated: [] }));
  build(b);
  return b.steps;
}

interface Call {
  file: string;
  args: readonly string[];
  input: string;
}

/** A namespace whose processes answer from a script of results. */
function fakeHost(results: ExecResult[], opts: { isCurrent?: boolean; operstate?: string } = {}) {
  const calls: Call[] = [];
  const host: StepHost = {
    isCurrent: opts.isCurrent ?? false,
    ref: '/run/netns/ctr',
    exec: async (file, args, input = '') => {
      calls.push({ file, args, input });
      return results.shift() ?? { status: 0, stdout: '', stderr: '' };
    },
    operstate: async () => opts.operstate,
  };
  return { host, calls };
}

const ok: ExecResult = { status: 0, stdout: '', stderr: '' };

describe('locateBatchFailure', () => {
  test('RTNETLINK errors and extack errors', () => {
    expect(locateBatchFailure('RTNETLINK answers: File exists\nCommand failed -:3\n')).toEqual({ line: 3, reason: 'File exists' });
    expect(locateBatchFailure('Error: ipv4: Address already assigned.\nCommand failed -:4\n')).toEqual({
      line: 4,
      reason: 'ipv4: Address already assigned',
    });
    expect(locateBatchFailure('Cannot find device "nope"\nCommand failed -:1\n')).toEqual({ line: 1, reason: 'Cannot find device "nope"' });
  });
  test('an argument error iproute2 exits on has no line', () => {
    expect(locateBatchFailure('Error: any valid prefix is expected rather than "10.1.0.6/33".\n')).toEqual({
      reason: 'any valid prefix is expected rather than "10.1.0.6/33"',
    });
  });
  test('only the complaint of the failing line, even after earlier output', () => {
    expect(
      locateBatchFailure('some warning\nCommand failed -:1\nRTNETLINK answers: No such process\nCommand failed -:2\ncnits-failed 0 tool\n'),
    ).toEqual({
      line: 2,
      reason: 'No such process',
    });
  });
});

describe('segments', () => {
  test('consecutive ip lines share one process; sysctls and waits stand alone', () => {
    const s = steps((b) =>
      b
        .sysctl('net.ipv4.conf.eth0.arp_notify', 1)
        .sysctl('net.ipv6.conf.eth0.accept_dad', 0)
        .addAddress('eth0', '10.1.0.5/24')
        .setUp('eth0')
        .waitForDad('eth0')
        .addRoute({ dst: '0.0.0.0/0', gw: '10.1.0.1' })
        .bridgeVlanAdd('eth0', 5),
    );
    expect(segmentsOf(s)).toEqual([
      { kind: 'sysctl', first: 0, count: 1 },
      { kind: 'sysctl', first: 1, count: 1 },
      { kind: 'ip', first: 2, count: 2 },
      { kind: 'dad', first: 4, count: 1 },
      { kind: 'ip', first: 5, count: 1 },
      { kind: 'bridge', first: 6, count: 1 },
    ]);
    expect(segmentsOf(s, 3)[0]).toEqual({ kind: 'ip', first: 3, count: 1 });
    expect(batchInput(s, segmentsOf(s)[2])).toBe('address add 10.1.0.5/24 brd + dev eth0\nlink set dev eth0 up\n');
    const args = scriptArgs(s, segmentsOf(s));
    expect(args[0]).toBe('cnits-steps');
    expect(args.slice(3)).toEqual([
      'sysctl',
      'net/ipv4/conf/eth0/arp_notify',
      '1',
      '0',
      'sysctl',
      'net/ipv6/conf/eth0/accept_dad',
      '0',
      '0',
      'ip',
      'address add 10.1.0.5/24 brd + dev eth0\nlink set dev eth0 up',
      'dad',
      'eth0',
      '100',
      '0.050',
      'ip',
      'route prepend 0.0.0.0/0 via 10.1.0.1',
      'bridge',
      'vlan add dev eth0 vid 5',
    ]);
  });

  test('the script never expands its arguments where the shell would split or re-parse them', () => {
    // Outside double quotes, positional parameters appear only in assignments, a case word and
    // the here-doc body: none of them is subject to field splitting, globbing or re-parsing.
    const bare = STEP_SCRIPT.split('\n')
      .map((l) => l.replace(/"[^"]*"/g, '""').trim())
      .filter((l) => /\$[1-9]/.test(l));
    expect(bare).toEqual(['ip=$1 bridge=$2', 'case $1 in', '$2', 'tries=$3']);
  });
});

describe('scriptFailure maps the marker back to the step', () => {
  const s = steps((b) =>
    b
      .sysctl('net.ipv4.conf.eth0.arp_notify', 1)
      .addAddress('eth0', '10.1.0.5/24')
      .setUp('eth0')
      .waitForDad('eth0')
      .addRoute({ dst: '0.0.0.0/0', gw: '10.1.0.1' }),
  );
  const segs = segmentsOf(s);

  test('an ip line', () => {
    const f = scriptFailure(s, segs, 'RTNETLINK answers: Network is unreachable\nCommand failed -:1\ncnits-failed 3 tool\n');
    expect(f.index).toBe(4);
    expect(f.error.message).toBe('add route 0.0.0.0/0 via 10.1.0.1: Network is unreachable');
    expect(f.error.stepIndex).toBe(4);
  });
  test('the second line of a segment', () => {
    const f = scriptFailure(s, segs, 'Cannot find device "eth0"\nCommand failed -:2\ncnits-failed 1 tool\n');
    expect(f.error.message).toBe('set eth0 up: Cannot find device "eth0"');
    expect(f.error.kind).toBe('notfound');
  });
  test('a missing sysctl', () => {
    const f = scriptFailure(s, segs, 'cnits-failed 0 notfound\n');
    expect(f.error.message).toBe('set sysctl net/ipv4/conf/eth0/arp_notify=1: no such sysctl');
    expect(f.error.kind).toBe('notfound');
  });
  test('a refused sysctl write', () => {
    const f = scriptFailure(s, segs, 'sh: 1: printf: I/O error\ncnits-failed 0 write\n');
    expect(f.error.message).toBe('set sysctl net/ipv4/conf/eth0/arp_notify=1: printf: I/O error');
  });
  test('DAD failed and DAD timeout', () => {
    const failed = scriptFailure(s, segs, 'cnits-failed 2 dadfailed 20010db8000000000000000000000005\n');
    expect(failed.error.message).toBe('wait for duplicate address detection on eth0: link eth0 has address 2001:db8::5 in DADFAILED state');
    const timeout = scriptFailure(s, segs, 'cnits-failed 2 timeout\n');
    expect(timeout.dadTimeout).toBe('eth0');
    expect(timeout.error.reason).toBe('link eth0 still has tentative addresses after 5 seconds');
  });
  test('no marker at all (the shell itself failed)', () => {
    const f = scriptFailure(s, segs, 'sh: cannot execute\n');
    expect(f.error.step).toBe('run 5 steps');
  });
});

describe('runSteps', () => {
  test('an ip-only batch elsewhere is one `ip -batch -`', async () => {
    const { host, calls } = fakeHost([ok]);
    await runSteps(
      host,
      steps((b) => b.setUp('a').setUp('b')),
    );
    expect(calls).toHaveLength(1);
    expect(calls[0].file).toMatch(/(^|\/)ip$/);
    expect(calls[0].args).toEqual(['-batch', '-']);
    expect(calls[0].input).toBe('link set dev a up\nlink set dev b up\n');
  });

  test('a mixed batch elsewhere is one shell running the fixed script', async () => {
    const { host, calls } = fakeHost([ok]);
    await runSteps(
      host,
      steps((b) => b.sysctl('net.ipv4.conf.a.arp_notify', 1).setUp('a')),
    );
    expect(calls).toHaveLength(1);
    expect(calls[0].file).toBe('/bin/sh');
    expect(calls[0].args[0]).toBe('-c');
    expect(calls[0].args[1]).toBe(STEP_SCRIPT);
  });

  test('the failing step is named and nothing after it is retried', async () => {
    const { host, calls } = fakeHost([{ status: 1, stdout: '', stderr: 'Error: ipv4: Address already assigned.\nCommand failed -:2\n' }]);
    const run = runSteps(
      host,
      steps((b) => b.setUp('eth0').addAddress('eth0', '10.1.0.5/24').addRoute({ dst: '0.0.0.0/0', gw: '10.1.0.1' })),
    );
    await expect(run).rejects.toThrow(new NetError('add address 10.1.0.5/24 to eth0', 'ipv4: Address already assigned', 'exists'));
    await run.catch((e: NetError) => {
      expect(e.kind).toBe('exists');
      expect(e.stepIndex).toBe(1);
    });
    expect(calls).toHaveLength(1);
  });

  test('a tolerated failure is recorded and the rest runs in a new process', async () => {
    const { host, calls } = fakeHost([{ status: 1, stdout: '', stderr: 'RTNETLINK answers: File exists\nCommand failed -:1\n' }, ok]);
    const outcome = await runSteps(
      host,
      steps((b) => b.createBridge('cni0').tolerating('exists').setUp('cni0')),
    );
    expect(outcome.tolerated.map((t) => [t.index, t.what, t.error.kind])).toEqual([[0, 'create bridge cni0', 'exists']]);
    expect(calls.map((c) => c.input)).toEqual(['link add name cni0 type bridge\nlink set dev cni0 up\n', 'link set dev cni0 up\n']);
  });

  test('a DAD timeout is no failure while the link is not operationally up', async () => {
    const { host, calls } = fakeHost([{ status: 1, stdout: '', stderr: 'cnits-failed 0 timeout\n' }, ok], { operstate: 'lowerlayerdown' });
    await runSteps(
      host,
      steps((b) => b.waitForDad('eth0').addRoute({ dst: '::/0', gw: 'fe80::1', dev: 'eth0' })),
    );
    expect(calls).toHaveLength(2);
    expect(calls[1].input).toBe('route prepend ::/0 via fe80::1 dev eth0\n');
  });

  test('a DAD timeout on an up link is an error', async () => {
    const { host } = fakeHost([{ status: 1, stdout: '', stderr: 'cnits-failed 0 timeout\n' }], { operstate: 'up' });
    await expect(
      runSteps(
        host,
        steps((b) => b.waitForDad('eth0')),
      ),
    ).rejects.toThrow('still has tentative addresses after 5 seconds');
  });

  test('in the current namespace each ip run is its own process', async () => {
    const { host, calls } = fakeHost([ok, ok], { isCurrent: true });
    await runSteps(
      host,
      steps((b) => b.setUp('a').bridgeVlanAdd('a', 5).setUp('b')),
    );
    expect(calls.map((c) => [c.file.split('/').pop(), c.input])).toEqual([
      ['ip', 'link set dev a up\n'],
      ['bridge', 'vlan add dev a vid 5\n'],
      ['ip', 'link set dev b up\n'],
    ]);
  });
});

describe('lineOfBadArgument (iproute2 exits on some arguments without a line number)', () => {
  const lines = ['link add name v0 type veth peer name v1', 'link set dev v0 up', 'link set dev v0 master br9', 'link set dev br9 up'];
  test('finds the line that uses the argument, not one that names the link itself', () => {
    expect(lineOfBadArgument(lines, 'Error: argument "br9" is wrong: Device does not exist\n')).toBe(3);
    expect(
      lineOfBadArgument(
        ['link add name x type veth peer name y netns /run/netns/gone'],
        'Error: argument "/run/netns/gone" is wrong: Invalid "netns" value',
      ),
    ).toBe(1);
  });
  test('nothing to go by', () => {
    expect(lineOfBadArgument(lines, 'Segmentation fault')).toBeUndefined();
    expect(lineOfBadArgument(lines, 'Error: argument "zz" is wrong: x')).toBeUndefined();
  });
  test('runSteps names the step', async () => {
    const { host } = fakeHost([{ status: 255, stdout: '', stderr: 'Error: argument "br9" is wrong: Device does not exist\n' }]);
    const s = steps((b) => b.createVeth('v0', {}, { name: 'v1' }).setUp('v0').setMaster('v0', 'br9').setUp('br9'));
    await expect(runSteps(host, s)).rejects.toMatchObject({ step: 'attach v0 to br9', stepIndex: 2 });
  });
});
