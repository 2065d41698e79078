import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// `cni-ts install --pod-cidr-from-node` against a stand-in API server over real TLS, the way a
// pod sees it: everything runs in a fresh, unnamed network namespace (only its loopback, gone
// with its last process) and a private mount namespace whose /run holds the service account
// files at /var/run/secrets/kubernetes.io/serviceaccount.

const ROOT = path.resolve(__dirname, '../../..');
const BINARY = path.join(ROOT, 'dist/bin/cni-ts');
let tmp: string;

const FAKE_API = `
const https = require('node:https');
const fs = require('node:fs');
const [cert, key, port, podCIDR] = process.argv.slice(1);
https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, (req, res) => {
  if (req.url === '/api/v1/nodes/worker-huge') {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = ' '.repeat(1 << 16);
    const more = () => { while (res.write(chunk)); };
    res.on('drain', more);
    res.write('{"kind": "Node", "pad": "');
    return more();
  }
  if (req.url === '/api/v1/nodes/worker-slow') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{');
    const t = setInterval(() => res.write(' '), 500);
    return res.on('close', () => clearInterval(t));
  }
  const ok = req.url === '/api/v1/nodes/worker-1' && req.headers.authorization === 'Bearer sa-token';
  res.writeHead(ok ? 200 : 403, { 'content-type': 'application/json' });
  res.end(ok ? JSON.stringify({ kind: 'Node', spec: { podCIDR } }) : JSON.stringify({ kind: 'Status', message: 'forbidden: ' + req.url }));
}).listen(Number(port), '127.0.0.1', () => fs.writeFileSync(process.argv[5] + '.ready', ''));
`;

/** `ca`: the file the pod gets as its ca.crt (default: the server's own certificate). */
function runInPod(
  podCIDR: string,
  nodeName: string,
  extraEnv: Record<string, string> = {},
  ca = 'cert.pem',
): { status: number | null; out: string } {
  const script = [
    'set -e',
    'ip link set lo up',
    'mount -t tmpfs tmpfs /run',
    'mkdir -p /run/secrets/kubernetes.io/serviceaccount',
    'printf sa-token > /run/secrets/kubernetes.io/serviceaccount/token',
    `cp "${tmp}/${ca}" /run/secrets/kubernetes.io/serviceaccount/ca.crt`,
    // Its output goes to a file: a server holding this script's stdout would keep spawnSync
    // waiting until its timeout.
    `node -e "$FAKE_API" "${tmp}/cert.pem" "${tmp}/key.pem" 6443 "${podCIDR}" "${tmp}/api" >"${tmp}/api.log" 2>&1 &`,
    'api=$!',
    `i=0; while [ ! -e "${tmp}/api.ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done`,
    'set +e',
    `"${BINARY}" install --bin-dir "${tmp}/bin" --conf-dir "${tmp}/net.d" --conf "${tmp}/10-cni-ts.conflist" --pod-cidr-from-node 2>&1`,
    'status=$?',
    'kill $api',
    `rm -f "${tmp}/api.ready"`,
    'exit $status',
  ].join('\n');
  const r = spawnSync('unshare', ['--net', '--mount', '--propagation', 'private', 'sh', '-c', script], {
    env: {
      PATH: process.env.PATH,
      FAKE_API,
      NODE_NAME: nodeName,
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: '6443',
      ...extraEnv,
    },
    encoding: 'utf8',
    timeout: 60000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A self-signed certificate for 127.0.0.1: `<name>.pem`, its key beside it. */
function makeCert(name: string): void {
  const cert = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=kubernetes',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      path.join(tmp, name === 'cert' ? 'key.pem' : `${name}-key.pem`),
      '-out',
      path.join(tmp, `${name}.pem`),
    ],
    { encoding: 'utf8' },
  );
  if (cert.status !== 0) throw new Error(`openssl: ${cert.stderr}`);
}

beforeAll(() => {
  if (!fs.existsSync(BINARY)) throw new Error(`${BINARY} is missing: npm run build`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-deploy-api-'));
  for (const name of ['cert', 'other']) makeCert(name);
  const conf = {
    cniVersion: '1.0.0',
    name: 'k8s',
    plugins: [{ type: 'bridge', ipam: { type: 'host-local', ranges: [[{ subnet: '${NODE_POD_CIDR}' }]] } }],
  };
  fs.writeFileSync(path.join(tmp, '10-cni-ts.conflist'), JSON.stringify(conf));
});

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test("fills in the Node's spec.podCIDR read over TLS with the service account token", () => {
  const r = runInPod('10.244.5.0/24', 'worker-1');
  expect(r.out).toContain('node worker-1: pod CIDR 10.244.5.0/24');
  expect(r.status).toBe(0);
  const conf = JSON.parse(fs.readFileSync(path.join(tmp, 'net.d/10-cni-ts.conflist'), 'utf8'));
  expect(conf.plugins[0].ipam.ranges).toEqual([[{ subnet: '10.244.5.0/24' }]]);
});

test('an answer other than 200 fails the install with the status and writes no config', () => {
  fs.rmSync(path.join(tmp, 'net.d'), { recursive: true, force: true });
  const r = runInPod('10.244.5.0/24', 'worker-2');
  expect(r.status).toBe(1);
  expect(r.out).toContain('HTTP 403');
  expect(fs.existsSync(path.join(tmp, 'net.d'))).toBe(false);
});

// Issue 15 item 9: the Node read cannot be made insecure or unbounded by the pod's environment or
// by the answer.
test('a server the service account CA did not sign is refused, even with NODE_TLS_REJECT_UNAUTHORIZED=0', () => {
  fs.rmSync(path.join(tmp, 'net.d'), { recursive: true, force: true });
  const r = runInPod('10.244.5.0/24', 'worker-1', { NODE_TLS_REJECT_UNAUTHORIZED: '0' }, 'other.pem');
  expect(r.status).toBe(1);
  expect(r.out).toMatch(/SELF_SIGNED|self[- ]signed|certificate/i);
  expect(r.out).not.toContain('pod CIDR 10.244.5.0/24');
  expect(fs.existsSync(path.join(tmp, 'net.d'))).toBe(false);
});

test('an answer larger than 4 MiB fails the install with a clear error', () => {
  const r = runInPod('10.244.5.0/24', 'worker-huge');
  expect(r.status).toBe(1);
  expect(r.out).toContain('the answer is larger than 4194304 bytes');
});

test('an answer that never completes fails the install after the deadline', () => {
  const r = runInPod('10.244.5.0/24', 'worker-slow');
  expect(r.status).toBe(1);
  expect(r.out).toContain('no complete answer within 15 s');
}, 60_000);
