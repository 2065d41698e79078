import { CniError, ErrCode } from './errors';

// The Go library's rule for container ids and network names; the same names end up in file
// names, iptables comments and iproute2 batch lines, so nothing else may pass.
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const IFNAME_MAX = 15; // IFNAMSIZ - 1

export function validateContainerId(id: string): void {
  if (id === '') throw new CniError(ErrCode.UnknownContainer, 'missing containerID');
  if (!NAME_RE.test(id)) throw new CniError(ErrCode.InvalidEnvironmentVariables, 'invalid characters in containerID', id);
}

export function validateNetworkName(name: string): void {
  if (name === '') throw new CniError(ErrCode.InvalidNetworkConfig, 'missing network name');
  if (!NAME_RE.test(name)) throw new CniError(ErrCode.InvalidNetworkConfig, 'invalid characters found in network name', name);
}

/**
 * CNI_IFNAME as the Go library checks it: not empty, at most 15 bytes, not "." or "..", no "/",
 * ":" or whitespace. ADD, CHECK (and the CLI) also refuse control characters, because the name
 * is written into iproute2 batch lines; DEL takes whatever else the kernel could have accepted,
 * so an attachment made by another implementation can always be torn down.
 */
export function validateIfName(name: string, opts: { forDel?: boolean } = {}): void {
  if (name === '') throw new CniError(ErrCode.InvalidEnvironmentVariables, 'interface name is empty');
  if (Buffer.byteLength(name) > IFNAME_MAX) {
    throw new CniError(
      ErrCode.InvalidEnvironmentVariables,
      'interface name is too long',
      `interface name should be less than ${IFNAME_MAX + 1} characters`,
    );
  }
  if (name === '.' || name === '..') throw new CniError(ErrCode.InvalidEnvironmentVariables, 'interface name is . or ..');
  // \s covers the whitespace Go's unicode.IsSpace rejects except U+0085 (NEL), added here.
  // eslint-disable-next-line no-control-regex
  const refused = opts.forDel ? /[/:\s\x00\x85]/ : /[/:\s\x00-\x1f\x7f-\x9f]/;
  if (refused.test(name)) {
    throw new CniError(ErrCode.InvalidEnvironmentVariables, 'interface name contains / or : or whitespace characters', name);
  }
}
