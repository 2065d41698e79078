#!/usr/bin/env node
// npm run bench: cni-ts against the Go reference plugins (Debian containernetworking-plugins in
// /usr/lib/cni) on the same configs, interleaved, in throwaway network namespaces. Prints
// min/median/max per operation, the cni-ts/Go ratio of medians, peak RSS and helper processes per
// call, and writes the same tables to bench/results.md. Options: --quick (fewer rounds),
// --skip-scale, --ts-dir DIR (another build of cni-ts, e.g. an older one, instead of dist/bin).
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yargsParser from 'yargs-parser';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = yargsParser(process.argv.slice(2), { boolean: ['quick', 'skip-scale'], string: ['ts-dir'] });
const ROUNDS = argv.quick ? 10 : 30;
const CONCURRENCY = 100;
const SCALE_POINTS = argv.quick ? [100, 10000] : [100, 10000, 60000];
const SCALE_ROUNDS = argv.quick ? 5 : 15;
const GO = '/usr/lib/cni';
const TS = path.resolve(argv['ts-dir'] ?? path.join(root, 'dist', 'bin'));
const VERSION = '1.0.0'; // the newest version both implementations speak (Debian's Go plugins stop at 1.0.0)

const suffix = crypto.randomBytes(3).toString('hex');
const hostNs = `cnits-bench-${suffix}`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-bench-'));
const namespaces = [hostNs];
const tables = [];

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  return r;
}

function preflight() {
  if (process.getuid?.() !== 0) throw new Error('the benchmark creates network namespaces: run it as root');
  if (!argv['ts-dir'] && !fs.existsSync(path.join(TS, 'cni-ts'))) sh('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (!fs.existsSync(path.join(TS, 'cni-ts'))) throw new Error(`${TS}/cni-ts missing`);
  for (const p of ['host-local', 'bridge', 'macvlan']) {
    if (!fs.existsSync(path.join(GO, p))) throw new Error(`${GO}/${p} missing: apt-get install containernetworking-plugins`);
  }
}

function newNs(name) {
  sh('ip', ['netns', 'add', name]);
  namespaces.push(name);
  return `/run/netns/${name}`;
}

function cleanup() {
  for (const ns of namespaces.reverse()) sh('ip', ['netns', 'del', ns], { allowFail: true });
  fs.rmSync(work, { recursive: true, force: true });
}

/** One plugin call inside the host namespace; resolves with wall time in ms. */
function call(dir, type, command, conf, netns, containerId, extraEnv = {}) {
  return new Promise((resolve, reject) => {
    const env = {
      PATH: process.env.PATH,
      CNI_COMMAND: command,
      CNI_CONTAINERID: containerId,
      CNI_NETNS: netns,
      CNI_IFNAME: 'eth0',
      CNI_PATH: dir,
      ...extraEnv,
    };
    const t0 = process.hrtime.bigint();
    const child = spawn('ip', ['netns', 'exec', hostNs, path.join(dir, type)], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', () => undefined);
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) reject(new Error(`${dir}/${type} ${command} failed: ${out}`));
      else resolve({ ms, out });
    });
    child.stdin.end(JSON.stringify(conf));
  });
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], med: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
}

const f1 = (x) => x.toFixed(1);

function table(title, header, rows) {
  tables.push({ title, header, rows });
  console.log(`\n${title}`);
  console.log(header.join(' | '));
  for (const r of rows) console.log(r.join(' | '));
}

function ratioRows(label, go, ts) {
  const g = stats(go);
  const t = stats(ts);
  return [label, `${f1(g.min)} / ${f1(g.med)} / ${f1(g.max)}`, `${f1(t.min)} / ${f1(t.med)} / ${f1(t.max)}`, (t.med / g.med).toFixed(2)];
}

const HEADER = ['operation', 'Go min / median / max (ms)', 'cni-ts min / median / max (ms)', 'ratio (cni-ts / Go, medians)'];

function hostLocalConf(name, dataDir, subnet) {
  return { cniVersion: VERSION, name, type: 'host-local', ipam: { type: 'host-local', dataDir, ranges: [[{ subnet }]] } };
}

/** ADD then DEL for `rounds` containers, Go and cni-ts interleaved so drift hits both alike. */
async function addDelPairs(label, confFor, type, rounds, netnsFor) {
  fromDisk(type, 'host-local');
  const res = { go: { add: [], del: [] }, ts: { add: [], del: [] } };
  for (let i = 0; i < rounds; i++) {
    for (const [impl, dir] of [
      ['go', GO],
      ['ts', TS],
    ]) {
      const id = `bench-${impl}-${i}`;
      const netns = netnsFor(impl, i);
      res[impl].add.push((await call(dir, type, 'ADD', confFor(impl), netns, id)).ms);
      res[impl].del.push((await call(dir, type, 'DEL', confFor(impl), netns, id)).ms);
    }
  }
  return [
    ratioRows(`${label} ADD`, res.go.add, res.ts.add),
    ratioRows(`${label} DEL`, res.go.del, res.ts.del),
    ratioRows(
      `${label} ADD + DEL`,
      res.go.add.map((x, i) => x + res.go.del[i]),
      res.ts.add.map((x, i) => x + res.ts.del[i]),
    ),
  ];
}

function callEnv(dir, command, netns, id) {
  return { PATH: process.env.PATH, CNI_COMMAND: command, CNI_CONTAINERID: id, CNI_NETNS: netns, CNI_IFNAME: 'eth0', CNI_PATH: dir };
}

/**
 * Drops a binary's pages from the page cache (synced first), so the call maps it as read back
 * from disk, as a plugin installed on a node is. A file written moments ago (a fresh build) is
 * mapped in larger page-cache folios and counts ~5 MiB more resident memory for the same code.
 */
function evictFromPageCache(file) {
  const real = fs.realpathSync(file);
  sh('sync', [real]);
  sh('dd', [`if=${real}`, 'iflag=nocache', 'count=0', 'status=none']);
}

/**
 * Puts every binary a stage runs in one state before it is timed: dropped from the page cache,
 * then faulted back in by one untimed VERSION call, as on a node where the plugin was read from
 * disk after a boot. The state matters for a large executable: the same cni-ts binary is ~5 ms
 * per call faster while its pages are still cached as written (just built or installed, large
 * page-cache folios) than once read back from disk, and the RSS measurements evict it. Without
 * this the first stage ran in one state and the later ones in the other.
 */
function fromDisk(...types) {
  for (const dir of [GO, TS]) {
    for (const type of types) {
      evictFromPageCache(path.join(dir, type));
      sh(path.join(dir, type), [], { env: { CNI_COMMAND: 'VERSION', PATH: process.env.PATH }, input: '' });
    }
  }
}

/** Peak RSS (MiB) of one call, from the kernel's accounting (/usr/bin/time: getrusage ru_maxrss). */
function peakRss(dir, type, command, conf, netns, id) {
  const out = path.join(work, 'rss');
  evictFromPageCache(path.join(dir, type));
  sh('ip', ['netns', 'exec', hostNs, '/usr/bin/time', '-f', '%M', '-o', out, path.join(dir, type)], {
    env: callEnv(dir, command, netns, id),
    input: JSON.stringify(conf),
  });
  return Number(fs.readFileSync(out, 'utf8').trim().split('\n').pop()) / 1024;
}

/** Programs one call executes besides itself (strace -f: successful execve calls, minus its own). */
function helperProcesses(dir, type, command, conf, netns, id) {
  const log = path.join(work, 'execs');
  sh(
    'ip',
    ['netns', 'exec', hostNs, 'strace', '-f', '-qq', '-e', 'trace=execve', '-e', 'status=successful', '-o', log, path.join(dir, type)],
    {
      env: callEnv(dir, command, netns, id),
      input: JSON.stringify(conf),
    },
  );
  return (
    fs
      .readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.includes('execve(')).length - 1
  );
}

const footprint = [];

/** Peak RSS and helper processes of one ADD and its DEL (after the timed rounds, same config). */
function measureFootprint(label, type, confFor, netnsFor) {
  for (const [impl, dir] of [
    ['go', GO],
    ['ts', TS],
  ]) {
    const conf = confFor(impl);
    const netns = netnsFor(impl);
    const id = `fp-${impl}`;
    const rss = peakRss(dir, type, 'ADD', conf, netns, id);
    peakRss(dir, type, 'DEL', conf, netns, id);
    const addHelpers = helperProcesses(dir, type, 'ADD', conf, netns, id);
    const delHelpers = helperProcesses(dir, type, 'DEL', conf, netns, id);
    footprint.push({ label, impl, rss, addHelpers, delHelpers });
  }
}

async function benchHostLocal() {
  const netns = newNs(`cnits-bench-c-${suffix}`);
  const conf = (impl) => hostLocalConf(`bench-hl-${impl}`, path.join(work, 'hl'), impl === 'go' ? '10.250.0.0/16' : '10.251.0.0/16');
  const rows = await addDelPairs('host-local', conf, 'host-local', ROUNDS * 2, () => netns);
  table('host-local alone', HEADER, rows);
  measureFootprint('host-local', 'host-local', conf, () => netns);
  return { netns, conf };
}

function bridgeConf(impl) {
  return {
    cniVersion: VERSION,
    name: `bench-br-${impl}`,
    type: 'bridge',
    bridge: `cnitsb-${impl}`,
    isGateway: true,
    ipMasq: true,
    ipam: {
      type: 'host-local',
      dataDir: path.join(work, 'br'),
      ranges: [[{ subnet: impl === 'go' ? '10.252.0.0/16' : '10.253.0.0/16' }]],
      routes: [{ dst: '0.0.0.0/0' }],
    },
  };
}

async function benchBridge() {
  const ns = [];
  for (let i = 0; i < ROUNDS; i++) ns.push(newNs(`cnits-bench-b${i}-${suffix}`));
  table('bridge + host-local (isGateway, ipMasq)', HEADER, await addDelPairs('bridge', bridgeConf, 'bridge', ROUNDS, (_impl, i) => ns[i]));
  measureFootprint('bridge', 'bridge', bridgeConf, () => ns[0]);
  return ns;
}

async function benchMacvlan() {
  sh('ip', ['-n', hostNs, 'link', 'add', 'cnitsm0', 'type', 'veth', 'peer', 'name', 'cnitsm1']);
  sh('ip', ['-n', hostNs, 'link', 'set', 'cnitsm0', 'up']);
  const conf = (impl) => ({
    cniVersion: VERSION,
    name: `bench-mv-${impl}`,
    type: 'macvlan',
    master: 'cnitsm0',
    ipam: { type: 'host-local', dataDir: path.join(work, 'mv'), ranges: [[{ subnet: impl === 'go' ? '10.254.0.0/24' : '10.254.1.0/24' }]] },
  });
  const ns = [];
  for (let i = 0; i < ROUNDS; i++) ns.push(newNs(`cnits-bench-m${i}-${suffix}`));
  table('macvlan + host-local', HEADER, await addDelPairs('macvlan', conf, 'macvlan', ROUNDS, (_impl, i) => ns[i]));
  measureFootprint('macvlan', 'macvlan', conf, () => ns[0]);
}

async function benchConcurrency() {
  fromDisk('bridge', 'host-local');
  const ns = [];
  for (let i = 0; i < CONCURRENCY; i++) ns.push(newNs(`cnits-bench-p${i}-${suffix}`));
  const rows = [];
  const walls = {};
  for (const [impl, dir] of [
    ['go', GO],
    ['ts', TS],
  ]) {
    const conf = { ...bridgeConf(impl), name: `bench-par-${impl}`, bridge: `cnitsp-${impl}` };
    const t0 = Date.now();
    const adds = await Promise.all(ns.map((n, i) => call(dir, 'bridge', 'ADD', conf, n, `par-${impl}-${i}`)));
    const addWall = Date.now() - t0;
    const ips = adds.map((a) => JSON.parse(a.out).ips[0].address);
    const dup = ips.length - new Set(ips).size;
    const t1 = Date.now();
    await Promise.all(ns.map((n, i) => call(dir, 'bridge', 'DEL', conf, n, `par-${impl}-${i}`)));
    const delWall = Date.now() - t1;
    const left = fs.readdirSync(path.join(work, 'br', conf.name)).filter((f) => /^[0-9a-f.:]+$/.test(f)).length;
    const veths = sh('ip', ['-n', hostNs, '-o', 'link', 'show', 'type', 'veth'])
      .stdout.split('\n')
      .filter((l) => l.includes(`master cnitsp-${impl}`)).length;
    walls[impl] = { addWall, delWall, dup, left, veths };
  }
  for (const op of ['addWall', 'delWall']) {
    rows.push([
      `${CONCURRENCY} concurrent bridge ${op === 'addWall' ? 'ADDs' : 'DELs'} (wall)`,
      `${walls.go[op]}`,
      `${walls.ts[op]}`,
      (walls.ts[op] / walls.go[op]).toFixed(2),
    ]);
  }
  table('concurrency on one bridge network', ['operation', 'Go (ms)', 'cni-ts (ms)', 'ratio'], rows);
  table(
    'concurrency correctness',
    ['implementation', 'duplicate IPs', 'reservations left after DEL', 'veths left after DEL'],
    ['go', 'ts'].map((i) => [i === 'go' ? 'Go' : 'cni-ts', `${walls[i].dup}`, `${walls[i].left}`, `${walls[i].veths}`]),
  );
}

/** Go-format reservation files written directly: the state a busy /16 reaches over time. */
function prefill(dir, count) {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const n = 0x0a000000 + 256 * 16 + 2 + i; // from 10.0.16.2 up, far from where the bench allocates
    const ip = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    fs.writeFileSync(path.join(dir, ip), `prefill-${i}\r\neth0`, { mode: 0o600 });
  }
}

async function benchScale(netns) {
  fromDisk('host-local');
  const rows = [];
  for (const count of SCALE_POINTS) {
    const confs = {};
    for (const impl of ['go', 'ts']) {
      const dataDir = path.join(work, `scale-${count}-${impl}`);
      confs[impl] = hostLocalConf(`bench-scale`, dataDir, '10.0.0.0/16');
      prefill(path.join(dataDir, 'bench-scale'), count);
    }
    rows.push(
      ...(await addDelPairs(
        `host-local, ${count} reservations:`,
        (impl) => confs[impl],
        'host-local',
        SCALE_ROUNDS,
        () => netns,
      )),
    );
    for (const impl of ['go', 'ts']) fs.rmSync(path.dirname(confs[impl].ipam.dataDir + '/x'), { recursive: true, force: true });
  }
  table('host-local on a /16 with many reservations', HEADER, rows);
}

/** VERSION: what podman asks every plugin all the time, i.e. bare start-up. */
function benchVersion(netns) {
  fromDisk('host-local');
  const res = { go: [], ts: [] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const [impl, dir] of [
      ['go', GO],
      ['ts', TS],
    ]) {
      const t0 = process.hrtime.bigint();
      sh('ip', ['netns', 'exec', hostNs, path.join(dir, 'host-local')], { env: callEnv(dir, 'VERSION', netns, 'v'), input: '' });
      res[impl].push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  table('VERSION (start-up only)', HEADER, [ratioRows('host-local VERSION', res.go, res.ts)]);
}

function footprintTable(netns) {
  const rows = [];
  for (const [impl, dir] of [
    ['go', GO],
    ['ts', TS],
  ]) {
    const name = impl === 'go' ? 'Go' : 'cni-ts';
    rows.push([`VERSION`, name, peakRss(dir, 'host-local', 'VERSION', {}, netns, 'v').toFixed(1), '–', '–']);
  }
  for (const f of footprint) {
    rows.push([`${f.label} ADD / DEL`, f.impl === 'go' ? 'Go' : 'cni-ts', f.rss.toFixed(1), `${f.addHelpers}`, `${f.delHelpers}`]);
  }
  table(
    'peak RSS and helper processes per call (each binary dropped from the page cache first, as read from disk on a node)',
    ['call', 'implementation', 'peak RSS (MiB)', 'helper processes, ADD', 'helper processes, DEL'],
    rows,
  );
}

function baseline() {
  const xs = [];
  for (let i = 0; i < 20; i++) {
    const t0 = process.hrtime.bigint();
    sh('ip', ['netns', 'exec', hostNs, '/bin/true']);
    xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const s = stats(xs);
  table(
    'harness overhead (included in every figure above, for both)',
    ['what', 'min / median / max (ms)'],
    [['`ip netns exec <host> /bin/true`', `${f1(s.min)} / ${f1(s.med)} / ${f1(s.max)}`]],
  );
}

function writeMarkdown() {
  const cpu = (os.cpus()[0]?.model ?? 'unknown cpu').trim();
  const goVer = sh('dpkg-query', ['-W', '-f', '${Version}', 'containernetworking-plugins'], { allowFail: true }).stdout || 'unknown';
  const lines = [
    '# cni-ts benchmark',
    '',
    `Machine: ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, kernel ${os.release()}. ` +
      `Go plugins: Debian containernetworking-plugins ${goVer}. cniVersion ${VERSION}. ${ROUNDS} rounds (interleaved). ` +
      `Generated by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}. ` +
      `Load average (1 min) before the run ${loadAtStart.toFixed(2)} (figures from a busy machine are not comparable; the concurrency stage itself raises it).`,
    '',
  ];
  for (const t of tables) {
    lines.push(`## ${t.title}`, '', `| ${t.header.join(' | ')} |`, `|${t.header.map(() => '---').join('|')}|`);
    for (const r of t.rows) lines.push(`| ${r.join(' | ')} |`);
    lines.push('');
  }
  fs.mkdirSync(path.join(root, 'bench'), { recursive: true });
  fs.writeFileSync(path.join(root, 'bench', 'results.md'), lines.join('\n'));
  console.log(`\nwrote bench/results.md`);
}

const loadAtStart = os.loadavg()[0];

async function main() {
  preflight();
  newNs(hostNs);
  try {
    sh('ip', ['-n', hostNs, 'link', 'set', 'lo', 'up']);
    const hl = await benchHostLocal();
    benchVersion(hl.netns);
    await benchBridge();
    await benchMacvlan();
    await benchConcurrency();
    if (!argv['skip-scale']) await benchScale(hl.netns);
    footprintTable(hl.netns);
    baseline();
    writeMarkdown();
  } finally {
    cleanup();
  }
}

main().catch((e) => {
  console.error(`bench: ${e.message}`);
  process.exitCode = 1;
});
