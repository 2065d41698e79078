import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import type { Env } from '../cni/plugin';

// The node's pod subnet, for `cni-ts install --pod-cidr-from-node`. The downward API gives a pod
// its node's name but not the Node's spec.podCIDR (assigned by kube-controller-manager with
// --allocate-node-cidrs), so the installer asks the API server once, with the pod's service
// account: GET /api/v1/nodes/<NODE_NAME> (RBAC: get on nodes, deploy/kubernetes/rbac.yaml).

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export class NodeLookupError extends Error {}

export interface ApiRequest {
  url: string;
  token: string;
  ca: string;
}

/** Performs one GET; returns the status code and body. Replaceable in tests. */
export type ApiGet = (req: ApiRequest) => Promise<{ status: number; body: string }>;

export const httpsGet: ApiGet = (req) =>
  new Promise((resolve, reject) => {
    const r = https.get(
      req.url,
      { ca: req.ca, headers: { Authorization: `Bearer ${req.token}`, Accept: 'application/json' }, timeout: 10000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error('no answer within 10 s')));
    r.on('error', reject);
  });

function readSecret(dir: string, name: string): string {
  try {
    return fs.readFileSync(path.join(dir, name), 'utf8').trim();
  } catch (e) {
    throw new NodeLookupError(`cannot read the service account's ${name} (${(e as Error).message}); is automountServiceAccountToken on?`);
  }
}

/**
 * The environment with NODE_POD_CIDR set from the Node object, unless it is set already (an
 * explicit value wins: clusters that do not allocate node CIDRs set it per node pool).
 */
export async function withNodePodCidr(env: Env, get: ApiGet = httpsGet, saDir = SERVICE_ACCOUNT_DIR): Promise<Env> {
  if (env.NODE_POD_CIDR) return env;
  const node = env.NODE_NAME;
  if (!node) throw new NodeLookupError('--pod-cidr-from-node needs NODE_NAME (env valueFrom fieldRef spec.nodeName)');
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT || '443';
  if (!host) throw new NodeLookupError('--pod-cidr-from-node runs only in a pod: KUBERNETES_SERVICE_HOST is not set');
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}/api/v1/nodes/${encodeURIComponent(node)}`;
  let res: { status: number; body: string };
  try {
    res = await get({ url, token: readSecret(saDir, 'token'), ca: readSecret(saDir, 'ca.crt') });
  } catch (e) {
    if (e instanceof NodeLookupError) throw e;
    throw new NodeLookupError(`GET ${url}: ${(e as Error).message}`);
  }
  if (res.status !== 200) throw new NodeLookupError(`GET ${url}: HTTP ${res.status}: ${res.body.slice(0, 300)}`);
  let cidr: unknown;
  try {
    cidr = (JSON.parse(res.body) as { spec?: { podCIDR?: unknown } }).spec?.podCIDR;
  } catch {
    throw new NodeLookupError(`GET ${url}: the answer is not JSON`);
  }
  if (typeof cidr !== 'string' || cidr === '') {
    throw new NodeLookupError(
      `node ${node} has no spec.podCIDR (yet): the cluster must allocate node CIDRs (kube-controller-manager --allocate-node-cidrs --cluster-cidr), or set NODE_POD_CIDR in the pod`,
    );
  }
  return { ...env, NODE_POD_CIDR: cidr };
}
