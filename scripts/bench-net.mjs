#!/usr/bin/env node
// node scripts/bench-net.mjs [ROUNDS]: what lib/net's kernel operations cost here, and what the
// raw spawns under them cost (ip, ip -n, nsenter, the namespace shell). Everything runs inside a
// throwaway "host" namespace with one "container" namespace beside it (cnits- prefix, deleted
// at the end); nothing touches the machine's own namespace. Prints min/median per operation.
// Runs under Bun (the dev dependency), the runtime the product ships with.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rounds = Number(process.argv[2] ?? 30);
const bun = path.join(root, 'node_modules/@oven/bun-linux-x64/bin/bun');

// Runs inside the host namespace: lib/net's current namespace is that one.
const ENTRY = `
import { spawn } from 'node:child_process';
import * as net from './lib/net';

const [ctrName, roundsText] = process.argv.slice(2);
const ctrPath = '/run/netns/' + ctrName;
const N = Number(roundsText);
const samples: Record<string, number[]> = {};
const add = (k: string, ms: number) => (samples[k] ??= []).push(ms);
async function time<T>(k: string, f: () => Promise<T>): Promise<T> {
  const t0 = process.hrtime.bigint();
  const r = await f();
  add(k, Number(process.hrtime.bigint() - t0) / 1e6);
  return r;
}
function run(file: string, args: string[], input = ''): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(file, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (b) => (err += b));
    c.stdin.on('error', () => undefined);
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(file + ': ' + err))));
    c.stdin.end(input);
  });
}

async function raw(): Promise<void> {
  const ten = 'link set dev lo up\\n'.repeat(10);
  const cases: Array<[string, string, string[], string?]> = [
    ['spawn /bin/true', '/bin/true', []],
    ['spawn ip -json link show', 'ip', ['-json', 'link', 'show']],
    ['spawn ip -batch - (10 lines)', 'ip', ['-batch', '-'], ten],
    ['spawn ip -n C -json link show', 'ip', ['-n', ctrName, '-json', 'link', 'show']],
    ['spawn nsenter --net=P ip -json link show', 'nsenter', ['--net=' + ctrPath, 'ip', '-json', 'link', 'show']],
    ['spawn ip -n C -batch - (10 lines)', 'ip', ['-n', ctrName, '-batch', '-'], ten],
    ['spawn nsenter --net=P ip -batch - (10 lines)', 'nsenter', ['--net=' + ctrPath, 'ip', '-batch', '-'], ten],
    ['spawn nsenter --net=P sh -c "3 sysctls; exec ip -batch -"', 'nsenter', ['--net=' + ctrPath, '/bin/sh', '-c',
      'for k in ipv4/conf/lo/arp_notify ipv6/conf/lo/keep_addr_on_down ipv6/conf/lo/ndisc_notify; do echo 1 > /proc/sys/net/$k; done; exec ip -batch -'], ten],
  ];
  for (const [k, f, a, i] of cases) {
    for (let r = 0; r < 3; r++) await run(f, a, i);
    for (let r = 0; r < N; r++) await time(k, () => run(f, a, i));
  }
  const k = '10 separate ip spawns (what batching saves)';
  for (let r = 0; r < N; r++) await time(k, async () => { for (let j = 0; j < 10; j++) await run('ip', ['link', 'set', 'dev', 'lo', 'up']); });
}

async function lib(): Promise<void> {
  const host = net.currentNs();
  const ctr = net.nsAt(ctrPath);
  await host.batch().createBridge('cni0').setUp('cni0').addAddress('cni0', '10.1.0.1/24').addAddress('cni0', '2001:db8::1/64', { noDad: true }).run();
  const veth = 'vethbench0';
  const wire = () => host.batch().createVeth(veth, {}, { name: 'eth0', netns: ctr }).setUp(veth).sysctl('net.ipv6.conf.' + veth + '.accept_ra', 0)
    .setMaster(veth, 'cni0').setBridgePort(veth, { hairpin: false, isolated: false }).run();
  for (let i = 0; i < N; i++) {
    await time('lib host: link(cni0)', () => host.link('cni0'));
    await time('lib host: veth (peer in ctr) + up + sysctl + master + port flags', wire);
    await time('lib ctr: 5 sysctls + v4/v6 addr + up + DAD wait + 2 routes', () =>
      ctr.batch().sysctl('net.ipv6.conf.lo.disable_ipv6', 0).sysctl('net.ipv6.conf.eth0.disable_ipv6', 0)
        .sysctl('net.ipv6.conf.eth0.keep_addr_on_down', 1).sysctl('net.ipv6.conf.eth0.accept_dad', 0).sysctl('net.ipv4.conf.eth0.arp_notify', 1)
        .addAddress('eth0', '10.1.0.5/24').addAddress('eth0', '2001:db8::5/64').setUp('eth0').waitForDad('eth0')
        .addRoute({ dst: '0.0.0.0/0', gw: '10.1.0.1' }).addRoute({ dst: '::/0', gw: '2001:db8::1' }).run());
    await time('lib host: waitForOperUp(port) via sysfs', () => host.waitForOperUp(veth));
    await time('lib ctr: inspect(eth0)', () => ctr.inspect('eth0'));
    await time('lib ctr: deleteLink(eth0) (kernel veth teardown included)', () => ctr.deleteLink('eth0'));
    await wire();
    await time('lib ctr: ip-only batch addr + up + route', () =>
      ctr.batch().addAddress('eth0', '10.1.0.5/24').setUp('eth0').addRoute({ dst: '0.0.0.0/0', gw: '10.1.0.1' }).run());
    await ctr.deleteLink('eth0');
  }
}

(async () => {
  await raw();
  await lib();
  for (const [k, xs] of Object.entries(samples)) {
    xs.sort((a, b) => a - b);
    console.log(k.padEnd(66) + ' min ' + xs[0].toFixed(2).padStart(6) + ' ms   median ' + xs[xs.length >> 1].toFixed(2).padStart(6) + ' ms');
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
`;

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

if (process.getuid?.() !== 0) throw new Error('the benchmark creates network namespaces: run it as root');
const tag = `cnits-p${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
const hostNs = `${tag}-host`;
const ctrNs = `${tag}-ctr0`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-bench-net-'));
try {
  // The entry lives beside lib/ so that its relative import resolves; bundled, then removed.
  const entry = path.join(root, `.bench-net-${process.pid}.ts`);
  const outfile = path.join(work, 'bench.js');
  try {
    fs.writeFileSync(entry, ENTRY);
    sh(bun, ['build', entry, '--target=bun', '--format=cjs', `--outfile=${outfile}`]);
  } finally {
    fs.rmSync(entry, { force: true });
  }
  sh('ip', ['netns', 'add', hostNs]);
  sh('ip', ['netns', 'add', ctrNs]);
  sh('ip', ['netns', 'exec', hostNs, bun, outfile, ctrNs, String(rounds)]);
} finally {
  for (const ns of [hostNs, ctrNs]) spawnSync('ip', ['netns', 'delete', ns], { stdio: 'ignore' });
  fs.rmSync(work, { recursive: true, force: true });
}
