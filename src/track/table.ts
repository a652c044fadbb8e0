// Attempts by 4-tuple, without allocating on lookup: a Map from a 32-bit symmetric hash to a
// chain of attempts (Attempt.bucketNext), compared byte by byte against the packet's own Buffer.
// Also the timer lists (intrusive, doubly linked) that expiry.ts walks in deadline order.

import type { Attempt } from './attempt.js';

/**
 * FNV-1a over one endpoint (address bytes, then the port's two bytes). The 4-tuple hash is the
 * sum of both endpoints' hashes, so a packet finds its attempt whichever way it travels.
 */
export function endpointHash(buf: Buffer, off: number, len: number, port: number): number {
  let h = 0x811c9dc5;
  for (let i = off; i < off + len; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  h = Math.imul(h ^ (port >>> 8), 0x01000193);
  h = Math.imul(h ^ (port & 0xff), 0x01000193);
  return h >>> 0;
}

export function tupleHash(buf: Buffer, aOff: number, aPort: number, bOff: number, bPort: number, len: number): number {
  // 30 bits: a small integer (Smi) for V8, so the Map neither boxes its keys nor hashes doubles.
  return (endpointHash(buf, aOff, len, aPort) + endpointHash(buf, bOff, len, bPort)) & 0x3fffffff;
}

function sameBytes(a: Buffer, aOff: number, b: Buffer, bOff: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}

/** Orientation of a lookup match. */
export const MATCH_NONE = 0;
/** The packet goes client → server. */
export const MATCH_FROM_CLIENT = 1;
/** The packet goes server → client. */
export const MATCH_FROM_SERVER = 2;

/** One timer list: attempts in the order their deadline was set, each deadline = key + a fixed wait. */
export class TimerList {
  head: Attempt | null = null;
  tail: Attempt | null = null;
  size = 0;
  readonly id: number;
  constructor(id: number) {
    this.id = id;
  }

  push(a: Attempt): void {
    a.list = this.id;
    a.listPrev = this.tail;
    a.listNext = null;
    if (this.tail) this.tail.listNext = a;
    else this.head = a;
    this.tail = a;
    this.size++;
  }

  remove(a: Attempt): void {
    if (a.listPrev) a.listPrev.listNext = a.listNext;
    else this.head = a.listNext;
    if (a.listNext) a.listNext.listPrev = a.listPrev;
    else this.tail = a.listPrev;
    a.listPrev = null;
    a.listNext = null;
    a.list = 0;
    this.size--;
  }
}

/**
 * The open handshakes by deadline: a binary min-heap indexed through Attempt.heapIndex, so a
 * deadline that moves (each retransmission) is re-sorted in O(log n) without a search.
 */
export class DeadlineHeap {
  private readonly items: Attempt[] = [];
  readonly id: number;
  constructor(id: number) {
    this.id = id;
  }

  get size(): number {
    return this.items.length;
  }

  /** The attempt with the earliest deadline. */
  get head(): Attempt | null {
    return this.items[0] ?? null;
  }

  push(a: Attempt): void {
    a.list = this.id;
    a.heapIndex = this.items.length;
    this.items.push(a);
    this.up(a.heapIndex);
  }

  remove(a: Attempt): void {
    const i = a.heapIndex;
    const last = this.items.pop()!;
    if (last !== a) {
      this.items[i] = last;
      last.heapIndex = i;
      this.down(i);
      this.up(last.heapIndex);
    }
    a.heapIndex = -1;
    a.list = 0;
  }

  /** Call after a.deadline changed. */
  update(a: Attempt): void {
    this.down(a.heapIndex);
    this.up(a.heapIndex);
  }

  private up(i: number): void {
    const items = this.items;
    const a = items[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p]!;
      if (parent.deadline <= a.deadline) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    items[i] = a;
    a.heapIndex = i;
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const a = items[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && items[c + 1]!.deadline < items[c]!.deadline) c++;
      const child = items[c]!;
      if (child.deadline >= a.deadline) break;
      items[i] = child;
      child.heapIndex = i;
      i = c;
    }
    items[i] = a;
    a.heapIndex = i;
  }
}

export class AttemptTable {
  private readonly buckets = new Map<number, Attempt>();
  size = 0;
  /** Set by find(): which way the matched packet travels (MATCH_*). */
  direction = MATCH_NONE;

  /**
   * The newest attempt whose 4-tuple is the packet's (src, sport) → (dst, dport) in either
   * direction; sets `direction`. `hash` is tupleHash() of the same endpoints.
   */
  find(hash: number, buf: Buffer, srcOff: number, srcPort: number, dstOff: number, dstPort: number, len: number): Attempt | null {
    let a = this.buckets.get(hash) ?? null;
    while (a !== null) {
      if (a.addrLen === len) {
        if (a.clientPort === srcPort && a.serverPort === dstPort
          && sameBytes(a.addr, 0, buf, srcOff, len) && sameBytes(a.addr, len, buf, dstOff, len)) {
          this.direction = MATCH_FROM_CLIENT;
          return a;
        }
        if (a.clientPort === dstPort && a.serverPort === srcPort
          && sameBytes(a.addr, 0, buf, dstOff, len) && sameBytes(a.addr, len, buf, srcOff, len)) {
          this.direction = MATCH_FROM_SERVER;
          return a;
        }
      }
      a = a.bucketNext;
    }
    this.direction = MATCH_NONE;
    return null;
  }

  /** Adds an attempt in front of its bucket, so find() prefers it to older ones on the same 4-tuple. */
  insert(a: Attempt): void {
    const head = this.buckets.get(a.hash);
    a.bucketNext = head ?? null;
    this.buckets.set(a.hash, a);
    a.inTable = true;
    this.size++;
  }

  delete(a: Attempt): void {
    let prev: Attempt | null = null;
    let cur = this.buckets.get(a.hash) ?? null;
    while (cur !== null && cur !== a) {
      prev = cur;
      cur = cur.bucketNext;
    }
    if (cur === null) return;
    if (prev === null) {
      if (a.bucketNext === null) this.buckets.delete(a.hash);
      else this.buckets.set(a.hash, a.bucketNext);
    } else {
      prev.bucketNext = a.bucketNext;
    }
    a.bucketNext = null;
    a.inTable = false;
    this.size--;
  }
}
