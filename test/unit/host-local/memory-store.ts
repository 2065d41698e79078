import { Ip } from '../../../lib/ip';
import { holds, holdsLegacy, type AttachmentKey, type Reservation, type Store } from '../../../plugins/host-local/store/store';

/** The Store contract in memory, for allocator tests: reservations keyed by the address text. */
export class MemoryStore implements Store {
  readonly held = new Map<string, { containerId: string; ifName?: string }>();
  readonly last = new Map<number, Ip>();
  /** Every reserve() call in order, taken or not, to check the order addresses are tried in. */
  readonly attempts: string[] = [];

  constructor(initial: Record<string, string> = {}, last: Record<number, string> = {}) {
    for (const [ip, holder] of Object.entries(initial)) {
      const [containerId, ifName] = holder.split('/');
      this.held.set(ip, { containerId, ifName });
    }
    for (const [set, ip] of Object.entries(last)) this.last.set(Number(set), Ip.parse(ip));
  }

  reserve(key: AttachmentKey, ip: Ip, setIndex: number): boolean {
    this.attempts.push(ip.toString());
    if (this.held.has(ip.toString())) return false;
    this.held.set(ip.toString(), { containerId: key.containerId, ifName: key.ifName });
    this.last.set(setIndex, ip);
    return true;
  }

  lastReservedIp(setIndex: number): Ip | undefined {
    return this.last.get(setIndex);
  }

  reservations(): Reservation[] {
    return [...this.held].map(([ip, h]) => ({ ip: Ip.parse(ip), ...h }));
  }

  findByAttachment(key: AttachmentKey): Ip[] {
    return this.reservations()
      .filter((r) => holds(r, key) || holdsLegacy(r, key))
      .map((r) => r.ip);
  }

  releaseByAttachment(key: AttachmentKey): Ip[] {
    let mine = this.reservations().filter((r) => holds(r, key));
    if (mine.length === 0) mine = this.reservations().filter((r) => holdsLegacy(r, key));
    for (const r of mine) this.held.delete(r.ip.toString());
    return mine.map((r) => r.ip);
  }

  release(ip: Ip): void {
    this.held.delete(ip.toString());
  }

  /** The holder of each address, "id/ifname" (or "id" for legacy), sorted by address text. */
  snapshot(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [ip, h] of [...this.held].sort()) out[ip] = h.ifName === undefined ? h.containerId : `${h.containerId}/${h.ifName}`;
    return out;
  }
}
