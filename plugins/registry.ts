import type { Plugin, PluginLookup } from '../lib/cni/plugin';

// The one list of plugins. Everything else derives from it: the entry's dispatch on the invoked
// name, the build's links (`cni-ts plugins`), the installer's names, --help, the demo and the
// test lists. Adding a plugin = its folder + one line here.
//
// Each plugin is required lazily so that an invocation initialises just the code of the plugin
// it runs (start-up time is pod start-up time).
/* eslint-disable @typescript-eslint/no-require-imports */
const REGISTRY: Readonly<Record<string, () => Plugin>> = {
  bridge: () => (require('./bridge') as typeof import('./bridge')).bridge,
  macvlan: () => (require('./macvlan') as typeof import('./macvlan')).macvlan,
  dummy: () => (require('./dummy') as typeof import('./dummy')).dummy,
  'host-local': () => (require('./host-local') as typeof import('./host-local')).hostLocal,
};
/* eslint-enable @typescript-eslint/no-require-imports */

export const PLUGIN_NAMES: readonly string[] = Object.keys(REGISTRY);

export function isPluginName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(REGISTRY, name);
}

export const lookupPlugin: PluginLookup = (name) => (isPluginName(name) ? REGISTRY[name]() : undefined);
