import { hexDigest } from '../net/digest';

// Names and comments of the masquerade rules, byte for byte those of the Go reference plugins
// (containernetworking/plugins pkg/utils and pkg/ip), so that rules written by either
// implementation are found and removed by the other.

function sha512Hex(text: string): string {
  return hexDigest('sha512', text);
}

/** `prefix` followed by the hex SHA-512 of `toHash`, cut to `length` characters. */
export function hashWithPrefix(length: number, prefix: string, toHash: string): string {
  return `${prefix}${sha512Hex(toHash)}`.slice(0, length);
}

/** The iptables chain of one attachment: `CNI-` + 24 hex characters of SHA-512(network + containerId). */
export function masqChainName(network: string, containerId: string): string {
  return hashWithPrefix(28, 'CNI-', network + containerId);
}

const GO_ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '"': '\\"',
  '\\': '\\\\',
};

/** Go's `%q` for the strings that reach it here (ASCII escapes as strconv.Quote writes them). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (GO_ESCAPES[ch]) out += GO_ESCAPES[ch];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** The comment on every iptables masquerade rule: `name: "<network>" id: "<containerId>"`. */
export function masqComment(network: string, containerId: string): string {
  return `name: ${goQuote(network)} id: ${goQuote(containerId)}`;
}

/** nftables: the hash shared by every masquerade rule of one network. */
export function nftNetworkHash(network: string): string {
  return hashWithPrefix(16, '', network);
}

/** nftables: the hash that starts the comment of every rule of one attachment. */
export function nftInstanceHash(network: string, ifName: string, containerId: string): string {
  return `${nftNetworkHash(network)}-${hashWithPrefix(16, '', `${ifName}:${containerId}`)}`;
}

/** The instance hash that starts an attachment's nftables comment (the whole comment if it has no description). */
export function nftInstanceOfComment(comment: string): string {
  const cut = comment.indexOf(',');
  return cut < 0 ? comment : comment.slice(0, cut);
}

/** nft's limit on comment length in bytes (NFT_USERDATA_MAXLEN). */
export const NFT_COMMENT_MAX = 128;

/** The comment of one attachment's nftables rules: its hash, then a readable (maybe cut) description. */
export function nftMasqComment(network: string, ifName: string, containerId: string): string {
  const strip = (s: string) => s.replaceAll('"', '');
  const comment = `${nftInstanceHash(network, ifName, containerId)}, net: ${strip(network)}, if: ${strip(ifName)}, id: ${strip(containerId)}`;
  return cutToBytes(comment, NFT_COMMENT_MAX);
}

/**
 * The longest prefix of `text` that is at most `max` bytes of UTF-8 and ends on a character
 * boundary: a cut inside a character would decode to U+FFFD (3 bytes) and overrun the limit.
 */
export function cutToBytes(text: string, max: number): string {
  if (Buffer.byteLength(text, 'utf8') <= max) return text;
  let out = '';
  let used = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (used + size > max) break;
    out += ch;
    used += size;
  }
  return out;
}
