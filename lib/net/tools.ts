import fs from 'node:fs';
import path from 'node:path';

// Helpers run as root with what a runtime handed us: its PATH may hold relative or empty entries
// (the working directory) or directories other users can write. Tools are taken from the system
// directories first; an absolute PATH entry is only a fallback for a tool none of them has.
export const SYSTEM_DIRS: readonly string[] = [
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
  '/run/current-system/sw/bin',
];
const found = new Map<string, string>();

/** Absolute path of a program, or the bare name (the spawn then fails with ENOENT) when absent. */
export function toolPath(name: string): string {
  if (name.includes('/')) return name;
  const cached = found.get(name);
  if (cached) return cached;
  const fallback = (process.env.PATH ?? '').split(':').filter((d) => d.startsWith('/') && !SYSTEM_DIRS.includes(d));
  for (const dir of [...SYSTEM_DIRS, ...fallback]) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      found.set(name, candidate);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return name;
}
