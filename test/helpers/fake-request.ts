import type { Request } from '../../lib/cni/plugin';

/** A validated request as the dispatcher would hand it to a plugin, for config parser tests. */
export function request(conf: Record<string, unknown>, args = ''): Request {
  const full = { cniVersion: '1.0.0', name: 'net1', ...conf };
  const stdin = Buffer.from(JSON.stringify(full));
  return {
    command: 'ADD',
    containerId: 'c1',
    netns: '/run/netns/x',
    ifName: 'eth0',
    args,
    path: ['/opt/cni/bin'],
    stdin,
    conf: full,
    cniVersion: String(full.cniVersion),
    name: String(full.name),
    env: {},
  };
}
