import fs from 'node:fs';
import path from 'node:path';
import { Ip } from '../../../lib/ip';
import { networkDir } from './state-dir';
import { holds, holdsLegacy, type AttachmentKey, type Reservation } from './store';

const HEADER = 'cni-ts host-local index';
const VERSION = 1;
const { O_WRONLY, O_APPEND, O_NOFOLLOW } = fs.constants;

/** `boot`: the boot id the reservation was made in, when cni-ts made it (see boot-id.ts). */
type Holder = { containerId: string; ifName?: string; boot?: string };
type Entry = ['+', string, string, string | null, string?] | ['-', string] | ['~'] | ['S', string] | ['B', string];

function addEntry(ip: string, h: Holder): Entry {
  return h.boot ? ['+', ip, h.containerId, h.ifName ?? null, h.boot] : ['+', ip, h.containerId, h.ifName ?? null];
}

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
 * The file is a journal of JSON lines: a header, `["+", ip, id, ifName|null, bootId?]`, `["-", ip]`,
 * `["~"]` (dirty), `["S", stamp]` and `["B", bootId]` (the boot whose earlier reservations were
 * last released, releaseOnReboot), appended once per operation. Boot ids are the one thing the
 * files cannot tell, so a rebuild carries them over from the old journal for every reservation
 * whose file still names the same holder. A lookup searches the text
 * for the container id instead of parsing every line; once the journal is twice its compacted
 * size it is rewritten. It lives outside the network directory, all of which the Go plugin reads.
 */
export class AttachmentIndex {
  private pending: Entry[] = [];
  private dirtyMarked = false;
  private lastBootSeen: string | undefined;

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
      const journal = replayJournal(text, true);
      const index = new AttachmentIndex(file, undefined, journal.entries);
      index.lastBootSeen = journal.lastBoot;
      return index;
    } catch {
      return undefined;
    }
  }

  /**
   * An index rebuilt from a full scan of the reservation files, keeping the boot ids `previous`
   * recorded for the same holders, and its last release boot.
   */
  static fromScan(file: string, reservations: Reservation[], previous: Journal = { entries: new Map() }): AttachmentIndex {
    const index = new AttachmentIndex(
      file,
      undefined,
      new Map(
        reservations.map((r) => {
          const before = previous.entries.get(r.ip.toString());
          const boot = before?.boot && before.containerId === r.containerId && before.ifName === r.ifName ? before.boot : undefined;
          return [r.ip.toString(), { containerId: r.containerId, ifName: r.ifName, ...(boot ? { boot } : {}) }];
        }),
      ),
    );
    index.lastBootSeen = previous.lastBoot;
    return index;
  }

  /** Whatever journal is there, valid or not (for what only it knows: boot ids); empty if unreadable. */
  static readJournal(file: string): Journal {
    if (!isRealDir(path.dirname(file))) return { entries: new Map() };
    try {
      const fd = fs.openSync(file, fs.constants.O_RDONLY | O_NOFOLLOW);
      try {
        return replayJournal(fs.readFileSync(fd, 'utf8'));
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return { entries: new Map() };
    }
  }

  /** Everything this index knows, pending changes included. */
  journal(): Journal {
    const base: Journal = this.all ? { entries: new Map(this.all), lastBoot: this.lastBootSeen } : replayJournal(this.text ?? '');
    for (const e of this.pending) applyEntry(base, e);
    return base;
  }

  /** The boot id recorded for the reservation of `ip` (index rebuilt by fromScan). */
  bootOf(ip: Ip): string | undefined {
    return this.all?.get(ip.toString())?.boot;
  }

  /** The boot of the last release of earlier boots' reservations, if any: found without replaying the journal. */
  lastBoot(): string | undefined {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const e = this.pending[i];
      if (e[0] === 'B') return e[1];
    }
    if (this.all || this.text === undefined) return this.lastBootSeen;
    const at = this.text.lastIndexOf('\n["B",');
    if (at < 0) return undefined;
    const e = JSON.parse(lineAt(this.text, at + 1)) as Entry;
    return e[0] === 'B' ? e[1] : undefined;
  }

  /** Records that the reservations of boots before `boot` were released. */
  bootReleased(boot: string): void {
    this.lastBootSeen = boot;
    this.pending.push(['B', boot]);
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
    this.pending.push(addEntry(ip.toString(), holder));
  }

  removed(ip: Ip): void {
    this.all?.delete(ip.toString());
    this.pending.push(['-', ip.toString()]);
  }

  /** Records the operation's changes and the directory's stamp after them. */
  commit(stamp: string, tmp: string): void {
    if (this.all) {
      const lines = [...this.all].map(([ip, h]) => JSON.stringify(addEntry(ip, h)));
      if (this.lastBootSeen) lines.push(JSON.stringify(['B', this.lastBootSeen]));
      const body = lines.join('\n');
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

/** What a journal says: every reservation by address and the last release boot. */
export interface Journal {
  entries: Map<string, Holder>;
  lastBoot?: string;
}

function applyEntry(j: Journal, e: Entry): void {
  if (e[0] === '+') j.entries.set(e[1], { containerId: e[2], ifName: e[3] ?? undefined, ...(e[4] ? { boot: e[4] } : {}) });
  else if (e[0] === '-') j.entries.delete(e[1]);
  else if (e[0] === 'B') j.lastBoot = e[1];
}

/**
 * Every entry of a journal, later lines winning. A line that does not parse (a torn append)
 * throws when `strict`, else is skipped.
 */
function replayJournal(text: string, strict = false): Journal {
  const j: Journal = { entries: new Map() };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch (err) {
      if (strict) throw err;
      continue;
    }
    if (Array.isArray(e)) applyEntry(j, e as Entry);
  }
  return j;
}
