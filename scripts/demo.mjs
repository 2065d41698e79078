#!/usr/bin/env node
// `npm run demo`: two pods on conf-examples' bridge network, attached and removed through the
// cni-ts CLI, inside a throwaway "node" network namespace. Nothing is created in this machine's
// own network namespace and no packet leaves the namespaces made here; everything made is removed
// again, also on failure or Ctrl-C. Exit status 0 only if every step and every check passed.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yargsParser from 'yargs-parser';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLE = path.join(root, 'conf-examples', '10-cni-ts-bridge.conflist');
const BIN_DIR = path.join(root, 'dist', 'bin');

const argv = yargsParser(process.argv.slice(2), { string: ['cni-path'], boolean: ['help'] });
if (argv.help) {
  console.log(`npm run demo [-- --cni-path DIR]

Attaches two throwaway pod namespaces to ${path.relative(root, EXAMPLE)} with "dist/bin/cni-ts add"
inside a throwaway node namespace, shows their addresses and routes, pings pod to pod and pod to
gateway, removes them with "cni-ts del" and verifies nothing is left. Needs root, iproute2,
iptables and ping.
  --cni-path DIR   plugins to drive instead of dist/bin (e.g. /usr/lib/cni, the Go reference
                   plugins, to compare); the CLI is always dist/bin/cni-ts`);
  process.exit(0);
}

class DemoError extends Error {}

const say = (line = '') => console.log(line);
const step = (n, total, text) => say(`[${n}/${total}] ${text}`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) {
    throw new DemoError(r.error.code === 'ENOENT' ? `${cmd} is not installed` : `${cmd} ${args.join(' ')}: ${r.error.message}`);
  }
  return r;
}

function mustRun(what, cmd, args, opts) {
  const r = run(cmd, args, opts);
  if (r.status !== 0) {
    const out = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim();
    throw new DemoError(
      `${what} failed (exit status ${r.status}):\n    $ ${[cmd, ...args].join(' ')}${out ? `\n${out.replace(/^/gm, '    ')}` : ''}`,
    );
  }
  return r.stdout;
}

function has(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !r.error;
}

function preflight() {
  if (process.platform !== 'linux') throw new DemoError('the demo needs Linux network namespaces');
  if (process.getuid?.() !== 0) throw new DemoError('the demo creates network namespaces and needs root: run "sudo npm run demo"');
  const missing = [
    ['ip', ['-V'], 'iproute2'],
    ['iptables', ['--version'], 'iptables'],
    ['ping', ['-V'], 'iputils-ping'],
  ].filter(([cmd, args]) => !has(cmd, args));
  if (missing.length > 0) {
    throw new DemoError(
      `missing ${missing.map(([cmd, , pkg]) => `${cmd} (package ${pkg})`).join(', ')}; install with: apt-get install -y ${missing.map(([, , pkg]) => pkg).join(' ')}`,
    );
  }
}

function newestSource(dir) {
  let newest = 0;
  if (!fs.existsSync(dir)) return newest;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** dist/bin is missing, incomplete, or older than the sources it is built from. */
function needsBuild() {
  const binary = path.join(BIN_DIR, 'cni-ts');
  if (!fs.existsSync(binary)) return true;
  // The plugin names come from the registry compiled into the binary.
  const names = spawnSync(binary, ['plugins'], { encoding: 'utf8' }).stdout?.trim().split('\n') ?? [];
  if (names.length === 0 || names.some((n) => !fs.existsSync(path.join(BIN_DIR, n)))) return true;
  const built = fs.statSync(path.join(BIN_DIR, 'cni-ts')).mtimeMs;
  return ['lib', 'plugins'].some((d) => newestSource(path.join(root, d)) > built);
}

function build() {
  if (!fs.existsSync(path.join(root, 'scripts', 'build.mjs')))
    throw new DemoError('dist/bin is missing and scripts/build.mjs does not exist');
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new DemoError(`the build failed (exit status ${r.status}); see its output above`);
}

function containerIdFor(netnsPath) {
  // The CLI names an attachment like cnitool does; needed here only to find leftovers by id.
  return `cnitool-${crypto.createHash('sha512').update(netnsPath).digest('hex').slice(0, 20)}`;
}

function ipJson(ns, args) {
  return JSON.parse(mustRun('reading namespace state', 'ip', ['-n', ns, '-j', ...args]) || '[]');
}

function describePod(label, ns, result) {
  const addrs = ipJson(ns, ['addr', 'show', 'dev', 'eth0'])[0];
  const global = (addrs?.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
  const routes = ipJson(ns, ['route', 'show']).map((r) => `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}${r.dev ? ` dev ${r.dev}` : ''}`);
  const ip = result.ips?.find((i) => i.interface === undefined || result.interfaces?.[i.interface]?.sandbox)?.address;
  say(`      ${label}  eth0  ${global.join(', ') || '(no address)'}  mac ${addrs?.address ?? '?'}`);
  say(`            routes: ${routes.join('; ') || '(none)'}`);
  if (!ip) throw new DemoError(`${label}: the ADD result names no container address`);
  return { ip: ip.split('/')[0], gateway: result.ips.find((i) => i.address === ip)?.gateway };
}

function ping(fromLabel, ns, toLabel, address) {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const r = run('ip', ['netns', 'exec', ns, 'ping', '-c', '1', '-W', '2', '-n', address]);
    if (r.status === 0) {
      const rtt = /time=([\d.]+ ms)/.exec(r.stdout)?.[1];
      say(`      ${fromLabel} -> ${toLabel} ${address}: reply${rtt ? ` in ${rtt}` : ''}`);
      return;
    }
  }
  throw new DemoError(`${fromLabel} cannot reach ${toLabel} ${address} (3 pings without reply)`);
}

function leftovers(nodeNs, pods, dataDir, network, cacheDir) {
  const found = [];
  const veths = ipJson(nodeNs, ['link', 'show', 'type', 'veth']).map((l) => l.ifname);
  if (veths.length) found.push(`veth in the node namespace: ${veths.join(', ')}`);
  for (const { label, ns } of pods) {
    const links = ipJson(ns, ['link', 'show'])
      .map((l) => l.ifname)
      .filter((n) => n !== 'lo');
    if (links.length) found.push(`${label} still has ${links.join(', ')}`);
  }
  for (const tool of ['iptables', 'ip6tables']) {
    const r = run('ip', ['netns', 'exec', nodeNs, tool, '-t', 'nat', '-S']);
    if (r.status !== 0) continue;
    const rules = r.stdout.split('\n').filter((l) => l.startsWith('-A') || l.startsWith('-N'));
    if (rules.length) found.push(`${tool} nat rules: ${rules.join(' | ')}`);
  }
  if (has('nft', ['--version'])) {
    const r = run('ip', ['netns', 'exec', nodeNs, 'nft', 'list', 'ruleset']);
    const ids = pods.map((p) => containerIdFor(p.path));
    const rules = (r.stdout ?? '').split('\n').filter((l) => /masquerade/.test(l) || ids.some((id) => l.includes(id)));
    if (rules.length) found.push(`nftables rules: ${rules.map((l) => l.trim()).join(' | ')}`);
  }
  const netDir = path.join(dataDir, network);
  const reserved = fs.existsSync(netDir) ? fs.readdirSync(netDir).filter((f) => f !== 'lock' && !f.startsWith('last_reserved_ip')) : [];
  if (reserved.length) found.push(`host-local reservations: ${reserved.join(', ')}`);
  const resultsDir = path.join(cacheDir, 'results');
  const cached = fs.existsSync(resultsDir) ? fs.readdirSync(resultsDir) : [];
  if (cached.length) found.push(`cache entries: ${cached.join(', ')}`);
  return found;
}

const cleanups = [];
function cleanup() {
  while (cleanups.length) {
    try {
      cleanups.pop()();
    } catch (e) {
      console.error(`cleanup: ${e.message}`);
    }
  }
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\n${sig}: cleaning up`);
    cleanup();
    process.exit(130);
  });
}

function main() {
  preflight();
  const total = 6;
  const conf = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
  const network = conf.name;
  const cniPath = argv['cni-path'] ? path.resolve(argv['cni-path']) : BIN_DIR;
  say(`cni-ts demo: two pods on the bridge network "${network}" (${path.relative(root, EXAMPLE)})`);

  if (needsBuild()) {
    step(1, total, 'building dist/bin (npm run build)');
    build();
  } else {
    step(1, total, 'dist/bin is up to date');
  }
  const cli = path.join(BIN_DIR, 'cni-ts');

  const suffix = `${process.pid.toString(36)}${crypto.randomBytes(2).toString('hex')}`;
  const nodeNs = `cnits-demo-node-${suffix}`;
  const pods = [1, 2].map((i) => ({
    label: `pod${i}`,
    ns: `cnits-demo-pod${i}-${suffix}`,
    path: `/run/netns/cnits-demo-pod${i}-${suffix}`,
  }));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-demo-'));
  cleanups.push(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const netconfDir = path.join(tmp, 'net.d');
  const dataDir = path.join(tmp, 'host-local');
  const cacheDir = path.join(tmp, 'cache');
  fs.mkdirSync(netconfDir);
  // Same network as the example; only the reservations go to the temp dir, not /var/lib/cni.
  for (const p of conf.plugins) if (p.ipam?.type === 'host-local') p.ipam.dataDir = dataDir;
  fs.writeFileSync(path.join(netconfDir, path.basename(EXAMPLE)), JSON.stringify(conf, null, 2));

  step(2, total, `namespaces: node ${nodeNs}, pods ${pods.map((p) => p.ns).join(', ')}`);
  for (const ns of [nodeNs, ...pods.map((p) => p.ns)]) {
    mustRun(`creating namespace ${ns}`, 'ip', ['netns', 'add', ns]);
    cleanups.push(() => run('ip', ['netns', 'del', ns]));
  }

  const env = { ...process.env, NETCONFPATH: netconfDir, CNI_PATH: cniPath, CNI_CACHE_DIR: cacheDir };
  delete env.CNI_IFNAME;
  delete env.CNI_ARGS;
  delete env.CAP_ARGS;
  const cniTs = (cmd, pod) =>
    mustRun(`cni-ts ${cmd} ${network} ${pod.path}`, 'ip', ['netns', 'exec', nodeNs, cli, cmd, network, pod.path], { env });

  step(
    3,
    total,
    `attaching: ip netns exec ${nodeNs} dist/bin/cni-ts add ${network} /run/netns/<pod>${cniPath === BIN_DIR ? '' : ` (plugins from ${cniPath})`}`,
  );
  const attached = [];
  for (const pod of pods) {
    const result = JSON.parse(cniTs('add', pod));
    attached.push({ ...pod, ...describePod(pod.label, pod.ns, result) });
  }

  step(4, total, 'cni-ts check, then ping (only between these namespaces)');
  for (const pod of pods) cniTs('check', pod);
  say('      check: both attachments match their cached results');
  const [a, b] = attached;
  ping(a.label, a.ns, b.label, b.ip);
  ping(b.label, b.ns, a.label, a.ip);
  for (const p of attached) if (p.gateway) ping(p.label, p.ns, 'gateway', p.gateway);

  step(5, total, `removing: cni-ts del ${network} /run/netns/<pod>`);
  for (const pod of [...pods].reverse()) cniTs('del', pod);

  step(6, total, 'verifying that nothing is left');
  const left = leftovers(nodeNs, pods, dataDir, network, cacheDir);
  if (left.length) throw new DemoError(`left behind after DEL:\n${left.map((l) => `    - ${l}`).join('\n')}`);
  say('      no veth, no masquerade rule, no IP reservation, no cache entry left');
  say();
  say('Demo succeeded: both pods got addresses, reached each other and the gateway, and were removed cleanly.');
}

let status = 0;
try {
  main();
} catch (e) {
  status = 1;
  console.error(`\nDemo FAILED: ${e instanceof DemoError ? e.message : e.stack}`);
} finally {
  if (cleanups.length) say('cleaning up: namespaces and temporary files removed');
  cleanup();
}
process.exitCode = status;
