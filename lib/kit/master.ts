import { CniError, ErrCode } from '../cni/errors';
import { currentNs, type Netns } from '../net';

/** What a link that hangs off a parent (macvlan, ipvlan) configures about it. */
export interface MasterConf {
  /** The plugin, for messages. */
  plugin: string;
  master?: string;
  linkInContainer: boolean;
  mtu: number;
}

/** The parent link the new link hangs off, and the namespace it lives in. */
export interface Master {
  name: string;
  mtu: number;
  ns: Netns;
}

/**
 * The reference's master lookup: the configured `master`, else the device of the first default
 * route; in the host namespace, or with linkInContainer in the container's. The link must
 * exist, and the macvlan's MTU may not exceed its own.
 */
export async function resolveMaster(conf: MasterConf, host: Netns, container: Netns): Promise<Master> {
  const ns = conf.linkInContainer ? container : host;
  const place = conf.linkInContainer ? `the container namespace ${container.toString()}` : 'the host namespace';
  const name = conf.master ?? (await ns.defaultRouteInterface());
  if (name === undefined) {
    throw new CniError(
      ErrCode.InvalidNetworkConfig,
      `${conf.plugin}: no 'master' configured and no default route in ${place} to take it from; set "master" to the parent interface`,
    );
  }
  const link = await ns.link(name);
  if (!link) {
    const how = conf.master === undefined ? ' (the interface of the default route)' : '';
    throw new CniError(ErrCode.InvalidNetworkConfig, `${conf.plugin}: master "${name}"${how} not found in ${place}`);
  }
  if (conf.mtu > link.mtu) {
    throw new CniError(
      ErrCode.InvalidNetworkConfig,
      `${conf.plugin}: invalid MTU ${conf.mtu}, must be [0, master MTU(${link.mtu})] (master "${name}")`,
    );
  }
  return { name, mtu: link.mtu, ns };
}

/**
 * STATUS: an ADD needs its master. With linkInContainer the master appears only with the
 * container, so there is nothing to look at yet.
 */
export async function masterReady(conf: MasterConf): Promise<void> {
  if (conf.linkInContainer) return;
  try {
    await resolveMaster(conf, currentNs(), currentNs());
  } catch (e) {
    if (e instanceof CniError) throw new CniError(ErrCode.PluginNotAvailable, e.message);
    throw e;
  }
}
