// The kernel layer: links, addresses, routes, sysctls and namespaces over rtnetlink in-process
// (lib/netlink). Knows nothing of CNI.
export { Batch } from './batch';
export type {
  BatchOutcome,
  BridgeOptions,
  DadWaitOptions,
  LinkOptions,
  MacvlanMode,
  MacvlanOptions,
  NetnsRef,
  RouteAddMode,
  RouteSpec,
  RtnlCall,
  Step,
  StepOp,
  VethPeer,
} from './batch';
export { isNetError, NetError } from './errors';
export type { NetErrorKind } from './errors';
export type { ExecResult } from './exec';
export { currentNs, netnsStatus, Netns, nsAt } from './netns';
export type { LinkSnapshot, NetnsStatus, RouteQuery } from './netns';
export { readSysctl, sysctlPath, writeSysctl } from './sysctl';
export type { Address, BridgePortInfo, Link, Nexthop, Route } from './types';
export { checkCidr, checkIfName, checkIp, checkMac, checkNetnsPath, checkUint, isIfName, NetValidationError } from './validate';
export type { IpFamily, ParsedCidr, ParsedIp } from './validate';
