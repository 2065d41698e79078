import type { Address, BridgePortInfo, Link, Route } from '../net/types';

// What the decoders return: the iproute2 driver's types (lib/net/types.ts) with the fields
// netlink gives for free, so code written against the driver's types reads these unchanged.

export interface NlBridgePort extends BridgePortInfo {
  learning?: boolean;
  /** Unicast flooding. */
  flood?: boolean;
}

export interface NlLink extends Link {
  /** IFLA_MASTER as an index (`master` is its name when it could be resolved). */
  masterIndex?: number;
  /** IFLA_LINK, also when the parent is in this namespace (the driver sets parentIndex only across namespaces). */
  linkIndex?: number;
  /** ARPHRD_* (1 for Ethernet). */
  type: number;
  txqlen?: number;
  /** Macvlan broadcast queue length. */
  bcQueueLen?: number;
  bridgePort?: NlBridgePort;
}

export type NlAddress = Address;

export interface NlRoute extends Route {
  /** RTA_OIF (`dev` is its name when it could be resolved). */
  oif?: number;
  nexthops?: Array<{ gateway?: string; dev?: string; oif?: number; weight?: number }>;
}

/** One VLAN of a bridge port (or of the bridge itself). */
export interface BridgeVlan {
  vid: number;
  pvid: boolean;
  untagged: boolean;
}
