import { CNI_TS_VERSION } from '../cni/skel';
import { ALL_VERSIONS, CURRENT_VERSION } from '../cni/version';

/** The usage lines; `plugins` are the names this executable answers to (the plugin registry). */
export function usage(plugins: readonly string[]): string {
  return `Usage:
  cni-ts add    <network-name> <netns-path>    attach: ADD through the plugin chain, print the result
  cni-ts check  <network-name> <netns-path>    CHECK the attachment against the cached ADD result
  cni-ts del    <network-name> <netns-path>    detach: DEL through the chain in reverse order
  cni-ts status <network-name> [<netns-path>]  STATUS of every plugin (needs cniVersion >= 1.1.0)
  cni-ts gc     <network-name> [<netns-path>]  DEL cached attachments whose namespace is gone,
                                               then GC every plugin (GC needs cniVersion >= 1.1.0)
  cni-ts install --bin-dir DIR [--conf FILE --conf-dir DIR [--conf-name NAME]] [--watch [--interval S]]
                 [--pod-cidr-from-node] [--uninstall]
                                               copy this executable into DIR as cni-ts and
${wrap(plugins.join(', '), 47, 54)}
                                               (atomic; skipped when unchanged) and
                                               FILE into the config directory with every \${NAME} filled
                                               in from the environment; --watch re-installs whatever is
                                               removed or changed (what a DaemonSet runs, see deploy/);
                                               --pod-cidr-from-node sets NODE_POD_CIDR from the API
                                               server's Node NODE_NAME (spec.podCIDR) unless it is set
  cni-ts plugins                               the plugin names this executable answers to
  cni-ts --help | --version
`;
}

/** Lines of at most `width` characters, each indented by `indent` spaces (the first one too). */
function wrap(text: string, indent: number, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.map((l) => `${' '.repeat(indent)}${l}`).join('\n');
}

export function help(plugins: readonly string[]): string {
  const names = plugins.join(', ');
  return `cni-ts ${CNI_TS_VERSION}: the CNI plugins ${names} in one executable.
Run as "cni-ts" it is a cnitool-compatible client that runs a network configuration against a
network namespace, the way a container runtime (libcni) does; run through a link named after one
of its plugins it is that plugin.

${usage(plugins)}
Options:
  -i, --ifname NAME  interface name inside the namespace (default: $CNI_IFNAME, else eth0)
  -h, --help         this text
      --version      versions of cni-ts and of the CNI protocol

Environment:
  NETCONFPATH    directory of network configs (default /etc/cni/net.d): *.conflist first, then
                 single-plugin *.conf / *.json, in file-name order; the first whose "name" matches
                 wins; files that cannot be parsed are skipped with a warning
  CNI_PATH       ':'-separated plugin directories (default /opt/cni/bin)
  CNI_IFNAME     interface name (default eth0)
  CNI_ARGS       plugin arguments KEY=VALUE;KEY2=VALUE2, e.g. IgnoreUnknown=1;IP=10.201.0.50
  CAP_ARGS       capability arguments as a JSON object, e.g. {"ips":["10.201.0.50/24"]}; a plugin
                 gets in runtimeConfig only the capabilities its config declares true
  CNI_CACHE_DIR  result cache directory (default /var/lib/cni), libcni's layout:
                 <dir>/results/<network>-<container-id>-<ifname>

The container id is derived from the namespace path as cnitool does it ("cnitool-" + the first 20
hex digits of the SHA-512 of the absolute path), so cnitool and cni-ts can undo each other's work.
A failed plugin's CNI error code and message are printed on stderr; the exit status is then 1
(2 for a wrong command line).

Example, with conf-examples/10-cni-ts-bridge.conflist copied to /etc/cni/net.d:
  ip netns add pod1
  cni-ts add cni-ts-bridge /run/netns/pod1      # prints the result: interfaces, addresses, routes
  cni-ts check cni-ts-bridge /run/netns/pod1
  cni-ts del cni-ts-bridge /run/netns/pod1
`;
}

export function versionText(): string {
  return `cni-ts ${CNI_TS_VERSION}\nCNI spec ${CURRENT_VERSION}; protocol versions ${ALL_VERSIONS.join(', ')}\n`;
}
