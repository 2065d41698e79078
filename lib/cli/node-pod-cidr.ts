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

/** A Node object is a few kB (up to some 100 kB with many images): anything past this is not one. */
export const MAX_ANSWER_BYTES = 4 << 20;
/** The whole exchange, however slowly the bytes trickle in. */
export const ANSWER_DEADLINE_MS = 15_000;
const IDLE_TIMEOUT_MS = 10_000;

/**
 * One GET against the API server, verified against the service account's CA only. Verification
 * is asked for explicitly: left to the default, NODE_TLS_REJECT_UNAUTHORIZED=0 in the pod's
 * environment would turn it off (in Node and in Bun alike). The answer is bounded in size and time.
 */
export const httpsGet: ApiGet = (req) =>
  new Promise((resolve, reject) => {
    let settled = false;
    const finish = (e: Error | undefined, answer?: { status: number; body: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (e) {
        r.destroy();
        reject(e);
      } else resolve(answer!);
    };
    const r = https.get(
      req.url,
      {
        ca: req.ca,
        rejectUnauthorized: true,
        headers: { Authorization: `Bearer ${req.token}`, Accept: 'application/json' },
        timeout: IDLE_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          size += d.length;
          if (size > MAX_ANSWER_BYTES) finish(new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes; not a Node object`));
          else chunks.push(d);
        });
        res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => finish(e));
      },
    );
    const deadline = setTimeout(() => finish(new Error(`no complete answer within ${ANSWER_DEADLINE_MS / 1000} s`)), ANSWER_DEADLINE_MS);
    r.on('timeout', () => finish(new Error(`no answer for ${IDLE_TIMEOUT_MS / 1000} s`)));
    r.on('error', (e) => finish(e));
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
