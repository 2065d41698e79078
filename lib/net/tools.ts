import fs from 'node:fs';
import path from 'node:path';

// Runtimes start plugins with whatever PATH they have (often without /sbin), so the tools are
// looked up in PATH and then in the usual system directories, once per process.
const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const found = new Map<string, string>();

/** Absolute path of a program, or the bare name (the spawn then fails with ENOENT) when absent. */
export function toolPath(name: string): string {
  if (name.includes('/')) return name;
  const cached = found.get(name);
  if (cached) return cached;
  const dirs = [...(process.env.PATH ?? '').split(':').filter((d) => d.startsWith('/')), ...SYSTEM_DIRS];
  for (const dir of dirs) {
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
