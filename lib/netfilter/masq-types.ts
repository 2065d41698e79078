import type { IpFamily } from '../ip';

/** One container address to masquerade, already in canonical text form (no address math here). */
export interface MasqAddress {
  family: IpFamily;
  /** The container's address, e.g. "10.22.0.5" or "fd00:22::5". */
  ip: string;
  prefix: number;
  /** The address with its host bits cleared, e.g. "10.22.0.0". */
  network: string;
}

/** Which attachment the rules belong to. */
export interface MasqOwner {
  network: string;
  containerId: string;
  ifName: string;
}

/** An attachment's masquerading: whose it is, and the opt-in extras. */
export interface MasqAttachment extends MasqOwner {
  /** Also drop the attachment's packets that conntrack marks INVALID (bridge `ipMasqDropInvalid`). */
  dropInvalid?: boolean;
}

/** An attachment the runtime still uses (GC keeps its rules). */
export interface LiveAttachment {
  containerId: string;
  ifName: string;
}

/**
 * GC: whether the stale rules of one attachment may go now. `key` names the attachment's rules in
 * one backend (the iptables chain, the nftables instance hash); the caller decides by their age.
 */
export type RipeForGc = (key: string) => boolean;

export type MasqBackend = 'iptables' | 'nftables';
