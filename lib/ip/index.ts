export { Ip } from './address';
export type { IpFamily } from './address';
export { Cidr, formatIpPrefix } from './cidr';
export { IpParseError } from './errors';
export { ipInRange } from './range';
