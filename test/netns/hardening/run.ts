import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pluginRun, type PluginRun } from '../../helpers/run-plugin';
import { OUR_BIN, type Sandbox } from '../bridge/harness';

export interface RawCall {
  plugin?: string;
  command: 'ADD' | 'DEL' | 'CHECK' | 'GC';
  conf: unknown;
  netns?: string;
  containerId?: string;
  ifName?: string;
  /** Extra variables, exactly as given (LD_LIBRARY_PATH, BASH_FUNC_x%%, …). */
  env?: Record<string, string>;
  cwd?: string;
}

/**
 * Runs a plugin in the sandbox's host namespace with an environment that would break `ip` itself
 * if it got it: `ip netns exec` and env(1) start clean, env(1) then sets the variables and execs
 * the plugin, so only the plugin (and whatever it passes them on to) sees them.
 */
export function runRaw(s: Sandbox, call: RawCall): PluginRun {
  const vars: Record<string, string> = {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: call.command,
    CNI_CONTAINERID: call.containerId ?? 'ctr1',
    CNI_NETNS: call.netns ?? s.ctr.path,
    CNI_IFNAME: call.ifName ?? 'eth0',
    CNI_PATH: OUR_BIN,
    CNI_ARGS: '',
    ...call.env,
  };
  const args = ['netns', 'exec', s.host.name, '/usr/bin/env', '-i', ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)];
  args.push(path.join(OUR_BIN, call.plugin ?? 'bridge'));
  const input = typeof call.conf === 'string' ? call.conf : JSON.stringify(call.conf);
  const r = spawnSync('ip', args, {
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
    input,
    encoding: 'utf8',
    ...(call.cwd ? { cwd: call.cwd } : {}),
  });
  if (r.error) throw r.error;
  return pluginRun(r.status ?? 1, r.stdout, r.stderr);
}
