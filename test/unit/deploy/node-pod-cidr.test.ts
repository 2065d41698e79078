import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NodeLookupError, withNodePodCidr, type ApiGet, type ApiRequest } from '../../../lib/cli/node-pod-cidr';

let saDir: string;
const IN_POD = { NODE_NAME: 'worker-1', KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };

beforeAll(() => {
  saDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-sa-'));
  fs.writeFileSync(path.join(saDir, 'token'), 'tok\n');
  fs.writeFileSync(path.join(saDir, 'ca.crt'), 'CA');
});
afterAll(() => fs.rmSync(saDir, { recursive: true, force: true }));

function answering(status: number, body: unknown, seen: ApiRequest[] = []): ApiGet {
  return async (req) => {
    seen.push(req);
    return { status, body: typeof body === 'string' ? body : JSON.stringify(body) };
  };
}

test('asks the API server for the Node with the service account and sets NODE_POD_CIDR', async () => {
  const seen: ApiRequest[] = [];
  const env = await withNodePodCidr(IN_POD, answering(200, { spec: { podCIDR: '10.244.3.0/24' } }, seen), saDir);
  expect(env).toEqual({ ...IN_POD, NODE_POD_CIDR: '10.244.3.0/24' });
  expect(seen).toEqual([{ url: 'https://10.96.0.1:443/api/v1/nodes/worker-1', token: 'tok', ca: 'CA' }]);
});

test('brackets an IPv6 service host', async () => {
  const seen: ApiRequest[] = [];
  await withNodePodCidr({ ...IN_POD, KUBERNETES_SERVICE_HOST: 'fd00::1' }, answering(200, { spec: { podCIDR: 'fd10::/64' } }, seen), saDir);
  expect(seen[0].url).toBe('https://[fd00::1]:443/api/v1/nodes/worker-1');
});

test('an explicit NODE_POD_CIDR wins and nothing is asked', async () => {
  const seen: ApiRequest[] = [];
  const env = { ...IN_POD, NODE_POD_CIDR: '10.9.0.0/24' };
  expect(await withNodePodCidr(env, answering(500, '', seen), saDir)).toBe(env);
  expect(seen).toEqual([]);
});

test.each([
  [{ ...IN_POD, NODE_NAME: '' }, answering(200, {}), 'needs NODE_NAME'],
  [{ NODE_NAME: 'n' }, answering(200, {}), 'runs only in a pod'],
  [IN_POD, answering(403, 'nodes "worker-1" is forbidden'), 'HTTP 403: nodes "worker-1" is forbidden'],
  [IN_POD, answering(200, 'not json'), 'not JSON'],
  [IN_POD, answering(200, { spec: {} }), 'has no spec.podCIDR (yet)'],
  [
    IN_POD,
    (async () => {
      throw new Error('connect ECONNREFUSED');
    }) as ApiGet,
    'ECONNREFUSED',
  ],
])('fails clearly: %#', async (env, get, message) => {
  await expect(withNodePodCidr(env, get, saDir)).rejects.toThrow(NodeLookupError);
  await expect(withNodePodCidr(env, get, saDir)).rejects.toThrow(message);
});

test('says when the service account token is not mounted', async () => {
  await expect(withNodePodCidr(IN_POD, answering(200, {}), path.join(saDir, 'missing'))).rejects.toThrow(/automountServiceAccountToken/);
});
