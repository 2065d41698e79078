/**
 * A config whose GC removes stale state at once (`gcGracePeriod: 0` for the plugin and its IPAM),
 * for tests of what GC removes rather than of when (test/netns/hardening/gc-grace.test.ts).
 */
export function noGcGrace<T extends Record<string, any>>(conf: T): T {
  return { ...conf, gcGracePeriod: 0, ...(conf.ipam ? { ipam: { ...conf.ipam, gcGracePeriod: 0 } } : {}) };
}
