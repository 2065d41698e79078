/**
 * The message is Go's `net.ParseError` text ("invalid CIDR address: 10.0.0.0/33") so errors
 * surfaced to users read the same as the reference plugins'; `reason` says what was wrong.
 */
export class IpParseError extends Error {
  constructor(
    readonly kind: 'IP address' | 'CIDR address',
    readonly input: string,
    readonly reason: string,
  ) {
    super(`invalid ${kind}: ${input}`);
    this.name = 'IpParseError';
  }
}
