import fs from 'node:fs';

const NSFS_MAGIC = 0x6e736673;
const PROC_SUPER_MAGIC = 0x9fa0;

export type NetnsState = 'missing' | 'not-netns' | 'own' | 'ok';

/**
 * What CNI_NETNS points at: a bind-mounted namespace (nsfs), a /proc/<pid>/ns/net link, our own
 * namespace (acting on it would reconfigure the node itself), or nothing any more.
 */
export function netnsState(path: string): NetnsState {
  let st: fs.Stats;
  try {
    st = fs.statSync(path);
  } catch {
    return 'missing';
  }
  let magic: number;
  try {
    magic = Number(fs.statfsSync(path).type);
  } catch {
    return 'missing';
  }
  if (magic !== NSFS_MAGIC && magic !== PROC_SUPER_MAGIC) return 'not-netns';
  try {
    const own = fs.statSync('/proc/self/ns/net');
    if (own.ino === st.ino && own.dev === st.dev) return 'own';
  } catch {
    // no /proc: cannot compare, the path itself was fine
  }
  return 'ok';
}
