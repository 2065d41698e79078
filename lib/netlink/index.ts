// rtnetlink, namespaces by fd and flock(2), in-process. The message layer (requests, parse,
// conn, rtnl) is pure and runs anywhere; NetnsHandle, NetlinkSocket and the locks call libc
// through bun:ffi, loaded on first use, so importing this module under Node is harmless.
export * as C from './constants';
export { DUMP_ATTEMPTS, kernelError, NetlinkConn } from './conn';
export type { KernelError, Transport } from './conn';
export { errnoName, kindOfErrno, NetlinkError, strerror, SyscallError } from './errors';
export { lockFile, lockFileSync, LockError, tryLockFile } from './flock';
export type { HeldLock } from './flock';
export { AddressSyntaxError, formatIp, formatMac, parseCidr, parseIp, parseMac } from './inet';
export { attrList, attrMap, MessageWriter, parseMessages } from './message';
export type { Attr, Message } from './message';
export { NamespaceEscapeError, NetnsHandle } from './netns';
export { parseAddress, parseBridgeVlans, parseLink, parseLinks, parseRoute } from './parse';
export * as requests from './requests';
export { checkLinkName, NetlinkArgumentError } from './requests';
export type { BridgePortFlags, MacvlanMode, RouteAddMode, VlanFlags } from './requests';
export { Rtnl } from './rtnl';
export type {
  BridgeOptions,
  DadState,
  LinkOptions,
  MacvlanOptions,
  NetnsTarget,
  RouteQuery,
  RouteScope,
  RouteSpec,
  VethPeer,
  VlanOptions,
} from './rtnl';
export { getTableRequest, nftChainExists, nftRemoveChains, nftTableExists } from './nftables';
export type { NftFamily } from './nftables';
export { NetlinkSocket } from './socket';
export type { BridgeVlan, NlAddress, NlBridgePort, NlLink, NlRoute } from './types';
