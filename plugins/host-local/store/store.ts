import type { Ip } from '../../../lib/ip';

/** Who holds an address: the (container, interface) pair of the CNI attachment. */
export interface AttachmentKey {
  containerId: string;
  ifName: string;
}

/** One reserved address. `ifName` is undefined for legacy reservations that name only the container. */
export interface Reservation {
  ip: Ip;
  containerId: string;
  ifName?: string;
}

/**
 * Reservation state of one network, used while the caller holds the network's lock (the
 * reference's backend.Store, reshaped so the allocator can run against memory in tests).
 */
export interface Store {
  /** Reserves `ip` for `key` unless someone holds it; records it as set `setIndex`'s last reservation. */
  reserve(key: AttachmentKey, ip: Ip, setIndex: number): boolean;
  lastReservedIp(setIndex: number): Ip | undefined;
  /** The addresses held by the attachment and by legacy reservations of its container. */
  findByAttachment(key: AttachmentKey): Ip[];
  /**
   * Removes the attachment's reservations or, only when it has none, the legacy ones of its
   * container (the reference's DEL); returns the released addresses.
   */
  releaseByAttachment(key: AttachmentKey): Ip[];
  /** Removes one reservation (rollback, GC). */
  release(ip: Ip): void;
  /** Every reservation of the network, for GC and STATUS. */
  reservations(): Reservation[];
}

/** A reservation file holds "<containerId>\r\n<ifName>"; older plugins wrote only "<containerId>". */
export const LINE_BREAK = '\r\n';

export function reservationContent(key: AttachmentKey): string {
  return `${key.containerId.trim()}${LINE_BREAK}${key.ifName}`;
}

/** The holder named by a reservation file, compared after trimming as the reference does. */
export function parseReservationContent(text: string): { containerId: string; ifName?: string } {
  const trimmed = text.trim();
  const cut = trimmed.indexOf(LINE_BREAK);
  if (cut < 0) return { containerId: trimmed };
  return { containerId: trimmed.slice(0, cut), ifName: trimmed.slice(cut + LINE_BREAK.length) };
}

export function holds(holder: { containerId: string; ifName?: string }, key: AttachmentKey): boolean {
  return holder.containerId === key.containerId.trim() && holder.ifName === key.ifName;
}

export function holdsLegacy(holder: { containerId: string; ifName?: string }, key: AttachmentKey): boolean {
  return holder.ifName === undefined && holder.containerId === key.containerId.trim();
}
