import type { IpFamily } from './validate';

/** A link as `ip -json -d link show` reports it, reduced to what the plugins look at. */
export interface Link {
  ifindex: number;
  name: string;
  /** `linkinfo.info_kind`: bridge, veth, macvlan, dummy, vlan, …; '' for a plain device. */
  kind: string;
  mac?: string;
  mtu: number;
  /** IFF_* names as iproute2 prints them (UP, LOWER_UP, PROMISC, …). */
  flags: string[];
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** Lower-case operstate: up, down, unknown, lowerlayerdown, dormant, notpresent, testing. */
  operstate: string;
  /** IFF_PROMISC, the flag `ip link set promisc on` sets (a bridge port's promiscuity count does not count). */
  promisc: boolean;
  master?: string;
  /** IFLA_IFALIAS, when set. */
  alias?: string;
  /** IFLA_LINK: a veth's peer, a macvlan's or vlan's parent. */
  parentIndex?: number;
  /** The same, by name, when iproute2 could resolve it in this namespace. */
  parentName?: string;
  /** Set when the parent lives in another namespace (its id as seen from this one). */
  parentNetnsId?: number;
  macvlanMode?: string;
  vlanId?: number;
  /** Bridges only. */
  vlanFiltering?: boolean;
  /** Bridge ports only. */
  bridgePort?: BridgePortInfo;
}

export interface BridgePortInfo {
  state?: string;
  hairpin: boolean;
  isolated: boolean;
}

export interface Address {
  ifindex: number;
  ifname: string;
  family: IpFamily;
  address: string;
  prefix: number;
  /** `address/prefix`. */
  cidr: string;
  /** global, link, host, site or a number. */
  scope: string;
  tentative: boolean;
  dadfailed: boolean;
  /** Every flag iproute2 printed as true (tentative, nodad, noprefixroute, deprecated, …). */
  flags: string[];
}

export interface Nexthop {
  gateway?: string;
  dev?: string;
  weight?: number;
}

export interface Route {
  family: IpFamily;
  /** Always a CIDR: `default` becomes 0.0.0.0/0 or ::/0, a host route gets /32 or /128. */
  dst: string;
  gateway?: string;
  dev?: string;
  /** Numeric table: 254 main, 255 local, 253 default. */
  table: number;
  /** unicast, local, broadcast, multicast, blackhole, … */
  type: string;
  protocol?: string;
  /** global, link, host, site, or a number. */
  scope: string;
  metric?: number;
  prefsrc?: string;
  nexthops?: Nexthop[];
  /** Route metrics (RTAX_MTU, RTAX_ADVMSS), when set on the route. */
  mtu?: number;
  advmss?: number;
}
