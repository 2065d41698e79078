import fs from 'node:fs';
import path from 'node:path';
import { Ip } from '../../../lib/ip';
import { networkDir } from './state-dir';
import { holds, holdsLegacy, type AttachmentKey, type Reservation } from './store';

const HEADER = 'cni-ts host-local index';
const VERSION = 1;
const { O_WRONLY, O_APPEND, O_NOFOLLOW } = fs.constants;

type Holder = { containerId: string; ifName?: string };
type Entry = ['+', string, string, string | null] | ['-', string] | ['~'] | ['S', string];

/**
 * `<dataDir>/.cni-ts-index/<network>`: no network can be called ".cni-ts-index" (names start
 * with a letter or digit), and no temporary name ('.' first) can be a network's index.
 */
export function indexFiles(dataDir: string, network: string): { file: string; tmp: string } {
  const root = networkDir(dataDir, '.cni-ts-index');
  return { file: networkDir(root, network), tmp: networkDir(root, `.${network}.tmp`) };
}

function append(file: string, text: string): void {
  const fd = fs.openSync(file, O_WRONLY | O_APPEND | O_NOFOLLOW);
  try {
    fs.writeSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * O_NOFOLLOW guards only the last component: a symlink planted in place of the index directory
 * would otherwise move the index, which names containers, to wherever it points.
 */
function isRealDir(dir: string): boolean {
  try {
    return fs.lstatSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function lineAt(text: string, pos: number): string {
  const start = text.lastIndexOf('\n', pos) + 1;
  const end = text.indexOf('\n', pos);
  return text.slice(start, end < 0 ? text.length : end);
}

function matches(holder: Holder, key: AttachmentKey): boolean {
  return holds(holder, key) || holdsLegacy(holder, key);
}

/**
 * A cache of "which addresses does each attachment hold", so DEL, CHECK and the ADD duplicate
 * check need not read every reservation file (the Go plugin does, which costs seconds at tens of
 * thousands of reservations). The reservation files stay the only truth:
 *
 * - every address the index offers is read back by the caller and must still name the
 *   attachment, so stale entries (say, a reservation the Go plugin released) cost nothing;
 * - the index is trusted to be complete only while its stamp matches the state directory. The
 *   stamp covers the directory's identity and every `last_reserved_ip.<N>` file, which every
 *   reservation by any writer (the Go plugin too) rewrites; on a mismatch the caller rebuilds
 *   the index from a full scan;
 * - an operation marks the index dirty before it creates a reservation and stamps it when
 *   done, so a crash in between forces a rebuild too.
 *
 * The file is a journal of JSON lines: a header, `["+", ip, id, ifName|null]`, `["-", ip]`,
 * `["~"]` (dirty) and `["S", stamp]`, appended once per operation. A lookup searches the text
 * for the container id instead of parsing every line; once the journal is twice its compacted
 * size it is rewritten. It lives outside the network directory, all of which the Go plugin reads.
 */
export class AttachmentIndex {
  private pending: Entry[] = [];
  private dirtyMarked = false;

  private constructor(
    private readonly file: string,
    /** The journal as loaded (searched for lookups), or undefined when `all` holds everything. */
    private readonly text: string | undefined,
    /** Every entry by address: after a rebuild or for compaction; written in full on commit. */
    private readonly all: Map<string, Holder> | undefined,
  ) {}

  /** The index as last committed, or undefined when missing, unreadable, dirty or stale. */
  static load(file: string, stamp: string): AttachmentIndex | undefined {
    if (!isRealDir(path.dirname(file))) return undefined;
    let text: string;
    let head: unknown;
    let tail: unknown;
    try {
      const fd = fs.openSync(file, fs.constants.O_RDONLY | O_NOFOLLOW);
      try {
        text = fs.readFileSync(fd, 'utf8');
      } finally {
        fs.closeSync(fd);
      }
      head = JSON.parse(text.slice(0, text.indexOf('\n')));
      tail = JSON.parse(lineAt(text, text.length - 2));
    } catch {
      return undefined;
    }
    if (!Array.isArray(head) || head[0] !== HEADER || head[1] !== VERSION || !Array.isArray(tail) || tail[0] !== 'S' || tail[1] !== stamp) {
      return undefined;
    }
    const compactedSize = typeof head[2] === 'number' ? head[2] : 0;
    if (text.length <= 2 * compactedSize + 65536) return new AttachmentIndex(file, text, undefined);
    try {
      return new AttachmentIndex(file, undefined, replay(text));
    } catch {
      return undefined;
    }
  }

  /** An index rebuilt from a full scan of the reservation files. */
  static fromScan(file: string, reservations: Reservation[]): AttachmentIndex {
    return new AttachmentIndex(
      file,
      undefined,
      new Map(reservations.map((r) => [r.ip.toString(), { containerId: r.containerId, ifName: r.ifName }])),
    );
  }

  /**
   * Addresses the index may have for the attachment or its container's legacy reservations: a
   * superset of what it holds, which the caller verifies against the files.
   */
  candidates(key: AttachmentKey): Ip[] {
    const found = new Set<string>();
    if (this.all) {
      for (const [ip, holder] of this.all) if (matches(holder, key)) found.add(ip);
    } else if (this.text) {
      const needle = `,${JSON.stringify(key.containerId.trim())},`;
      for (let at = this.text.indexOf(needle); at >= 0; at = this.text.indexOf(needle, at + needle.length)) {
        const e = JSON.parse(lineAt(this.text, at)) as Entry;
        if (e[0] === '+' && matches({ containerId: e[2], ifName: e[3] ?? undefined }, key)) found.add(e[1]);
      }
    }
    for (const e of this.pending) {
      if (e[0] === '+' && matches({ containerId: e[2], ifName: e[3] ?? undefined }, key)) found.add(e[1]);
    }
    return [...found].map((ip) => Ip.parse(ip));
  }

  /**
   * Called before the operation creates a reservation: until commit, the stored index must not
   * look valid. Without an index file there is nothing to invalidate; one that cannot be
   * marked is removed.
   */
  markDirty(): void {
    if (this.dirtyMarked) return;
    this.dirtyMarked = true;
    // No index there is ever loaded (see load), so there is nothing to invalidate.
    if (!isRealDir(path.dirname(this.file))) return;
    try {
      append(this.file, `${JSON.stringify(['~'])}\n`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') fs.rmSync(this.file, { force: true });
    }
  }

  added(ip: Ip, holder: Holder): void {
    this.all?.set(ip.toString(), holder);
    this.pending.push(['+', ip.toString(), holder.containerId, holder.ifName ?? null]);
  }

  removed(ip: Ip): void {
    this.all?.delete(ip.toString());
    this.pending.push(['-', ip.toString()]);
  }

  /** Records the operation's changes and the directory's stamp after them. */
  commit(stamp: string, tmp: string): void {
    if (this.all) {
      const body = [...this.all].map(([ip, h]) => JSON.stringify(['+', ip, h.containerId, h.ifName ?? null])).join('\n');
      const text = `${JSON.stringify([HEADER, VERSION, body.length])}\n${body}${body ? '\n' : ''}${JSON.stringify(['S', stamp])}\n`;
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      if (!isRealDir(path.dirname(this.file))) throw new Error(`${path.dirname(this.file)} is not a directory`);
      fs.rmSync(tmp, { force: true });
      fs.writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
      fs.renameSync(tmp, this.file);
      return;
    }
    if (this.pending.length === 0 && !this.dirtyMarked) return;
    append(this.file, [...this.pending, ['S', stamp]].map((e) => `${JSON.stringify(e)}\n`).join(''));
  }
}

/** Every entry of a journal, later lines winning. */
function replay(text: string): Map<string, Holder> {
  const all = new Map<string, Holder>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const e = JSON.parse(line) as Entry;
    if (e[0] === '+') all.set(e[1], { containerId: e[2], ifName: e[3] ?? undefined });
    else if (e[0] === '-') all.delete(e[1]);
  }
  return all;
}
