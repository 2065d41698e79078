import fs from 'node:fs';
import path from 'node:path';
import { parseArgv } from '../../../lib/cli/args';
import { renderNetworkConfig, templateVariables } from '../../../lib/cli/template';
import { parseYamlDocuments } from '../../helpers/mini-yaml';

// deploy/kubernetes is never applied to a cluster here; this checks that its parts refer to each
// other correctly and to what the image and the installer really are.

const ROOT = path.resolve(__dirname, '../../..');
const DIR = path.join(ROOT, 'deploy/kubernetes');
const load = (file: string): any[] => parseYamlDocuments(fs.readFileSync(path.join(DIR, file), 'utf8'));

const [configMap] = load('configmap.yaml');
const [daemonSet] = load('daemonset.yaml');
const pod = daemonSet.spec.template.spec;
const container = pod.containers[0];
const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

function installOptions() {
  const inv = parseArgv(['install', ...container.args]);
  if (inv.kind !== 'install') throw new Error('not an install invocation');
  return inv.options;
}

function mountPathOf(hostPath: string): string {
  const volume = pod.volumes.find((v: any) => v.hostPath?.path === hostPath);
  expect(volume).toBeDefined();
  return container.volumeMounts.find((m: any) => m.name === volume.name).mountPath;
}

test('kustomization lists every manifest in the folder', () => {
  const [k] = load('kustomization.yaml');
  const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
  expect([...k.resources].sort()).toEqual(files.sort());
});

test('the image is the one scripts/image.mjs builds by default, and runs the installer', () => {
  expect(container.image).toBe(`localhost/cni-ts:${version}`);
  expect(fs.readFileSync(path.join(ROOT, 'scripts/image.mjs'), 'utf8')).toContain('`localhost/cni-ts:${version}`');
  expect(fs.readFileSync(path.join(ROOT, 'deploy/Containerfile'), 'utf8')).toContain('ENTRYPOINT ["/usr/local/bin/cni-ts", "install"]');
});

test('the installer writes into the host paths the runtimes read', () => {
  const opts = installOptions();
  expect(opts.watch).toBe(true);
  expect(opts.binDir).toBe(mountPathOf('/opt/cni/bin'));
  expect(opts.confDir).toBe(mountPathOf('/etc/cni/net.d'));
  for (const v of pod.volumes.filter((x: any) => x.hostPath)) expect(v.hostPath.type).toBe('DirectoryOrCreate');
});

test('the config the installer reads is a key of the ConfigMap the pod mounts', () => {
  const opts = installOptions();
  const volume = pod.volumes.find((v: any) => v.configMap);
  expect(volume.configMap.name).toBe(configMap.metadata.name);
  const mount = container.volumeMounts.find((m: any) => m.name === volume.name);
  expect(mount.readOnly).toBe(true);
  expect(path.dirname(opts.conf!)).toBe(mount.mountPath);
  expect(Object.keys(configMap.data)).toEqual([path.basename(opts.conf!)]);
  expect(configMap.metadata.namespace).toBe(daemonSet.metadata.namespace);
});

test('every variable of the config template is in the pod environment, and it renders to a bridge + host-local conflist', () => {
  const text: string = Object.values(configMap.data)[0] as string;
  // NODE_POD_CIDR is what --pod-cidr-from-node provides.
  const names = [...container.env.map((e: any) => e.name), 'NODE_POD_CIDR'];
  for (const v of templateVariables(text)) expect(names).toContain(v);
  const conf = JSON.parse(renderNetworkConfig(text, { NODE_POD_CIDR: '10.244.1.0/24' }, 'configmap'));
  expect(conf.plugins.map((p: any) => p.type)).toEqual(['bridge']);
  expect(conf.plugins[0].ipam).toMatchObject({ type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }]] });
});

test('the pod runs as a ServiceAccount that may read exactly its Node', () => {
  const [account, role, binding] = load('rbac.yaml');
  expect(installOptions().podCidrFromNode).toBe(true);
  expect(pod.serviceAccountName).toBe(account.metadata.name);
  expect(pod.automountServiceAccountToken).not.toBe(false);
  expect(account.metadata.namespace).toBe(daemonSet.metadata.namespace);
  expect(role.rules).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }]);
  expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
  expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: account.metadata.name, namespace: account.metadata.namespace }]);
});

test('the DaemonSet runs on every node, first, with requests and a rolling update', () => {
  expect(daemonSet.spec.selector.matchLabels).toEqual(daemonSet.spec.template.metadata.labels);
  expect(pod.tolerations).toContainEqual({ operator: 'Exists' });
  expect(pod.priorityClassName).toBe('system-node-critical');
  expect(pod.hostNetwork).toBe(true);
  expect(daemonSet.spec.updateStrategy.type).toBe('RollingUpdate');
  expect(container.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
  expect(container.env).toContainEqual({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
});
