import fs from 'node:fs';
import path from 'node:path';
import type { Env } from '../cni/plugin';
import { installBinary, installedStamp, sameStamp, uninstallBinary, writeFileAtomic, type BinaryStamp, type Log } from './install-files';
import { NodeLookupError, withNodePodCidr } from './node-pod-cidr';
import { renderNetworkConfig, TemplateError } from './template';

// `cni-ts install`: what a DaemonSet's container runs on every node. Copies this executable into
// the host's plugin directory under its four plugin names, writes the network config (filled in
// per node from the environment) into the host's config directory, and with --watch stays and
// puts back whatever is removed or changed.

export interface InstallOptions {
  binDir: string;
  /** The network config (a template) to write, e.g. a file of a mounted ConfigMap. */
  conf?: string;
  confDir?: string;
  /** File name in confDir; default: the name of `conf`. */
  confName?: string;
  watch: boolean;
  intervalSeconds: number;
  uninstall: boolean;
  /** Set NODE_POD_CIDR from the Node's spec.podCIDR (API server) unless the environment has it. */
  podCidrFromNode: boolean;
}

/** A failure with a message that needs no stack trace. */
export class InstallError extends Error {}

interface Target {
  source: string;
  /** The plugin names this executable answers to (from the plugin registry). */
  plugins: readonly string[];
  opts: InstallOptions;
  env: Env;
  log: Log;
}

function confTarget(opts: InstallOptions): string | undefined {
  if (!opts.conf || !opts.confDir) return undefined;
  return path.join(opts.confDir, opts.confName ?? path.basename(opts.conf));
}

function readConf(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InstallError(`cannot read the network config ${file}: ${(e as Error).message}`);
  }
}

function renderConf(t: Target): string | undefined {
  return t.opts.conf ? renderNetworkConfig(readConf(t.opts.conf), t.env, t.opts.conf) : undefined;
}

function writeConf(t: Target, content: string | undefined): boolean {
  const target = confTarget(t.opts);
  if (!target || content === undefined || !writeFileAtomic(target, content)) return false;
  t.log(`wrote ${target}`);
  return true;
}

// The config is rendered first, so a broken template leaves the host untouched, and written last:
// a runtime takes the network as ready once a config appears, so the plugins must be there by then.
/** One pass: returns the stamp of the binary it left, so a watch can check it cheaply. */
function installOnce(t: Target): BinaryStamp | null {
  const conf = renderConf(t);
  if (!installBinary(t.source, t.opts.binDir, t.plugins, t.log)) t.log(`${t.opts.binDir}: cni-ts is up to date`);
  if (!writeConf(t, conf) && confTarget(t.opts)) t.log(`${confTarget(t.opts)}: up to date`);
  return installedStamp(t.opts.binDir, t.plugins);
}

// A poll must stay cheap on every node of a cluster: the 100 MB binary is compared byte by byte
// only when its stat no longer matches what the last pass left; the config is a few hundred bytes.
// A config that stopped rendering (a typo in an edited ConfigMap) must not keep the binary from
// being put back, so the binary goes first here.
function pollOnce(t: Target, stamp: BinaryStamp | null): BinaryStamp | null {
  if (!sameStamp(stamp, installedStamp(t.opts.binDir, t.plugins))) {
    installBinary(t.source, t.opts.binDir, t.plugins, t.log);
    stamp = installedStamp(t.opts.binDir, t.plugins);
  }
  writeConf(t, renderConf(t));
  return stamp;
}

function describe(e: unknown): string {
  if (e instanceof InstallError || e instanceof TemplateError || e instanceof NodeLookupError) return e.message;
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS')
    return `${err.message} (is the host directory mounted writable, and is the container root?)`;
  return err.message ?? String(e);
}

function untilSignal(ms: number, stop: { requested: boolean; wake?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    stop.wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}

/** Runs `cni-ts install`; returns the exit status (0 done or stopped by SIGTERM/SIGINT, 1 failed). */
export async function runInstaller(
  opts: InstallOptions,
  env: Env,
  plugins: readonly string[],
  log: Log,
  warn: Log,
  source = process.execPath,
): Promise<number> {
  const t: Target = { source, plugins, opts, env, log };
  if (opts.uninstall) {
    try {
      uninstallBinary(opts.binDir, plugins, log);
      const target = confTarget(opts);
      if (target && fs.existsSync(target)) {
        fs.unlinkSync(target);
        log(`removed ${target}`);
      }
      return 0;
    } catch (e) {
      warn(`uninstall failed: ${describe(e)}`);
      return 1;
    }
  }
  let stamp: BinaryStamp | null;
  try {
    // Once: a node's pod CIDR never changes while the node exists.
    if (opts.podCidrFromNode) {
      t.env = await withNodePodCidr(env);
      if (t.env !== env) log(`node ${env.NODE_NAME}: pod CIDR ${t.env.NODE_POD_CIDR}`);
    }
    stamp = installOnce(t);
  } catch (e) {
    // Failing the first pass makes the pod crash-loop, which is where a cluster operator looks.
    warn(`install failed: ${describe(e)}`);
    return 1;
  }
  if (!opts.watch) return 0;

  const stop: { requested: boolean; wake?: () => void } = { requested: false };
  const onSignal = () => {
    stop.requested = true;
    stop.wake?.();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  log(`watching ${[opts.binDir, confTarget(opts)].filter(Boolean).join(' and ')} every ${opts.intervalSeconds} s`);
  try {
    let lastError = '';
    while (!stop.requested) {
      await untilSignal(opts.intervalSeconds * 1000, stop);
      if (stop.requested) break;
      try {
        stamp = pollOnce(t, stamp);
        lastError = '';
      } catch (e) {
        // Later failures (a ConfigMap edit with a typo, a full disk) are reported once and
        // retried: the files installed before keep working meanwhile.
        const msg = describe(e);
        if (msg !== lastError) warn(`re-install failed (retrying every ${opts.intervalSeconds} s): ${msg}`);
        lastError = msg;
      }
    }
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  log('stopped');
  return 0;
}
