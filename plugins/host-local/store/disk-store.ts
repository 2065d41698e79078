import fs from 'node:fs';
import path from 'node:path';
import { CniError, ErrCode } from '../../../lib/cni/errors';
import { Ip } from '../../../lib/ip';
import { AttachmentIndex, indexFiles } from './attachment-index';
import { currentBootId } from './boot-id';
import { FileLockError, lockFile, type HeldLock } from '../../../lib/net/file-lock';
import {
  createExclusive,
  createTemp,
  ensureStateDir,
  ioError,
  networkDir,
  readStateFile,
  removeName,
  replaceFile,
  syncDir,
} from './state-dir';
import { holds, holdsLegacy, parseReservationContent, reservationContent, type AttachmentKey, type Reservation, type Store } from './store';

// The Go plugin's names. Our temporaries start with '.', so no parser takes them for an
// address and the Go plugin's lookups never match them by name.
const LAST_RESERVED_PREFIX = 'last_reserved_ip.';
const LOCK_NAME = 'lock';
const TMP_RESERVE = '.cni-ts-reserve.tmp';
const TMP_LAST = '.cni-ts-last.tmp';
// A filesystem without hard links gets the Go plugin's create-then-write instead.
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

type Holder = { containerId: string; ifName?: string };

function createIfAbsent(file: string, content: string): boolean {
  try {
    createExclusive(file, content);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw ioError(`cannot reserve ${path.basename(file)} in ${path.dirname(file)}`, e);
  }
}

/** The address a file name stands for, if the name is exactly its Go `net.IP.String()`. */
export function ipOfName(name: string): Ip | undefined {
  const ip = Ip.tryParse(name);
  return ip && ip.toString() === name ? ip : undefined;
}

/** The addresses reserved in a state directory, from the names alone (no lock needed for a snapshot). */
export function reservedIps(dir: string): Ip[] {
  const out: Ip[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const ip = entry.isFile() ? ipOfName(entry.name) : undefined;
    if (ip) out.push(ip);
  }
  return out;
}

/**
 * The Go plugin's on-disk format, shared with it: `<dataDir>/<network>/<ip>` holding
 * "<containerId>\r\n<ifName>", `last_reserved_ip.<set>` and the `lock` both take. Open it with
 * `DiskStore.open`, which takes the network lock for the store's lifetime (one lock per CNI
 * operation, not per range set), and `close` it. Lookups by attachment go through an
 * AttachmentIndex when one is valid, else through a full scan that rebuilds it.
 */
export class DiskStore implements Store {
  private index: AttachmentIndex | undefined;
  /** A name was created or removed in the directory since the last `sync`. */
  private changed = false;

  private constructor(
    readonly dir: string,
    private readonly lock: HeldLock,
    private readonly indexFile: { file: string; tmp: string },
    /** The number of range sets: which last_reserved_ip files the index stamp covers. */
    private readonly setCount: number,
  ) {}

  /** undefined when the directory is missing and `create` is off (nothing was ever reserved). */
  static async open(dataDir: string, network: string, create: boolean, setCount: number): Promise<DiskStore | undefined> {
    const dir = networkDir(dataDir, network);
    if (!ensureStateDir(dir, create)) return undefined;
    let lock: HeldLock;
    try {
      lock = await lockFile(path.join(dir, LOCK_NAME));
    } catch (e) {
      if (e instanceof FileLockError) throw new CniError(ErrCode.Internal, `host-local: ${e.message}`);
      throw ioError(`cannot open the lock of ${dir}`, e);
    }
    const store = new DiskStore(dir, lock, indexFiles(dataDir, network), setCount);
    try {
      // Temporaries exist only while the lock is held, so any found now were left by a crash.
      removeName(store.file(TMP_RESERVE));
      removeName(store.file(TMP_LAST));
      store.index = AttachmentIndex.load(store.indexFile.file, store.stamp());
    } catch (e) {
      lock.release();
      throw ioError(`cannot prepare ${dir}`, e);
    }
    return store;
  }

  /**
   * Makes the operation's reservations and releases durable: one fsync of the directory for every
   * name linked, renamed or removed (file contents were synced as they were written). Called
   * before the answer is printed, under the lock, and before the index records the change.
   */
  sync(): void {
    if (!this.changed) return;
    try {
      syncDir(this.dir);
    } catch (e) {
      throw ioError(`cannot sync ${this.dir}`, e);
    }
    this.changed = false;
  }

  /** Saves the index (best effort: it is only a cache) and releases the lock. */
  close(): void {
    try {
      this.index?.commit(this.stamp(), this.indexFile.tmp);
    } catch {
      // A stale index is detected by its stamp and rebuilt.
    } finally {
      this.lock.release();
    }
  }

  private file(name: string): string {
    return path.join(this.dir, name);
  }

  /**
   * What changes whenever anyone reserves an address: the directory's identity and each set's
   * last_reserved_ip file (identity, size, times, content).
   */
  private stamp(): string {
    const d = fs.lstatSync(this.dir, { bigint: true });
    const parts = [`${d.dev}:${d.ino}`];
    for (let i = 0; i < this.setCount; i++) {
      const f = this.file(`${LAST_RESERVED_PREFIX}${i}`);
      try {
        const st = fs.lstatSync(f, { bigint: true });
        parts.push(`${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${readStateFile(f) ?? ''}`);
      } catch {
        parts.push('-');
      }
    }
    return parts.join('|');
  }

  private holderOf(ip: Ip): Holder | undefined {
    const text = readStateFile(this.file(ip.toString()));
    return text === undefined ? undefined : parseReservationContent(text);
  }

  /** The index, rebuilt from a full scan when the stored one was missing or stale. */
  private liveIndex(): AttachmentIndex {
    if (this.index) return this.index;
    // The scan rebuilds the index (keeping the boot ids of the old journal).
    const scanned = this.reservations();
    return (this.index ??= AttachmentIndex.fromScan(this.indexFile.file, scanned));
  }

  /** The attachment's reservations by the index, each confirmed by its file; the index is corrected on the way. */
  private verified(key: AttachmentKey): Reservation[] {
    const index = this.liveIndex();
    const out: Reservation[] = [];
    for (const ip of index.candidates(key)) {
      const holder = this.holderOf(ip);
      if (!holder) index.removed(ip);
      else if (holds(holder, key) || holdsLegacy(holder, key)) out.push({ ip, ...holder });
      else index.added(ip, holder);
    }
    return out;
  }

  /**
   * The content is written to a temporary file which is then hard-linked to the address's
   * name: link(2) fails atomically when the name exists, and the name never appears empty or
   * half-written, so a crash cannot leave a file that blocks the address for good (the Go
   * plugin creates the name first and writes after, plugins#498).
   */
  reserve(key: AttachmentKey, ip: Ip, setIndex: number): boolean {
    // The index must be there to take the reservation's boot id, which no file records.
    this.liveIndex();
    this.markIndexDirty();
    if (!this.create(ip, reservationContent(key))) return false;
    this.changed = true;
    const boot = currentBootId();
    this.index?.added(ip, { containerId: key.containerId.trim(), ifName: key.ifName, ...(boot ? { boot } : {}) });
    try {
      replaceFile(this.file(`${LAST_RESERVED_PREFIX}${setIndex}`), this.file(TMP_LAST), ip.toString());
    } catch (e) {
      // The caller only rolls back reservations it was told about.
      this.remove(ip);
      throw ioError(`cannot record the last reserved address in ${this.dir}`, e);
    }
    return true;
  }

  private create(ip: Ip, content: string): boolean {
    const tmp = this.file(TMP_RESERVE);
    const target = this.file(ip.toString());
    try {
      createTemp(tmp, content);
      fs.linkSync(tmp, target);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (NO_HARD_LINKS.has(code ?? '')) return createIfAbsent(target, content);
      throw ioError(`cannot reserve ${ip.toString()} in ${this.dir}`, e);
    } finally {
      removeName(tmp);
    }
  }

  private markIndexDirty(): void {
    try {
      this.index?.markDirty();
    } catch {
      this.index = undefined;
    }
  }

  lastReservedIp(setIndex: number): Ip | undefined {
    const text = readStateFile(this.file(`${LAST_RESERVED_PREFIX}${setIndex}`));
    return text === undefined ? undefined : (Ip.tryParse(text.trim()) ?? undefined);
  }

  /** A full scan, which also rebuilds the index. */
  reservations(): Reservation[] {
    const out: Reservation[] = [];
    for (const ip of reservedIps(this.dir)) {
      const holder = this.holderOf(ip);
      if (holder) out.push({ ip, ...holder });
    }
    this.index = AttachmentIndex.fromScan(
      this.indexFile.file,
      out,
      this.index?.journal() ?? AttachmentIndex.readJournal(this.indexFile.file),
    );
    return out;
  }

  /** The boot id recorded with a reservation (after `reservations()`); undefined for the Go plugin's. */
  bootOf(ip: Ip): string | undefined {
    return this.index?.bootOf(ip);
  }

  /** The boot whose earlier reservations were last released (releaseOnReboot). */
  lastReleaseBoot(): string | undefined {
    return this.liveIndex().lastBoot();
  }

  recordReleaseBoot(boot: string): void {
    this.liveIndex().bootReleased(boot);
  }

  /** When the reservation file of `ip` was last written, in ms since the epoch (undefined if gone). */
  writtenAt(ip: Ip): number | undefined {
    try {
      return fs.lstatSync(this.file(ip.toString())).mtimeMs;
    } catch {
      return undefined;
    }
  }

  findByAttachment(key: AttachmentKey): Ip[] {
    return this.verified(key).map((r) => r.ip);
  }

  releaseByAttachment(key: AttachmentKey): Ip[] {
    const found = this.verified(key);
    let mine = found.filter((r) => holds(r, key));
    if (mine.length === 0) mine = found.filter((r) => holdsLegacy(r, key));
    return mine.filter((r) => this.remove(r.ip)).map((r) => r.ip);
  }

  release(ip: Ip): void {
    this.remove(ip);
  }

  private remove(ip: Ip): boolean {
    let existed: boolean;
    try {
      existed = removeName(this.file(ip.toString()));
    } catch (e) {
      throw ioError(`cannot release ${ip.toString()} in ${this.dir}`, e);
    }
    this.index?.removed(ip);
    if (existed) this.changed = true;
    return existed;
  }
}
