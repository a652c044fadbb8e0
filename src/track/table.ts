// Attempts by 4-tuple, without allocating on lookup: an array of buckets indexed by a symmetric hash, each a
// chain of attempts (Attempt.bucketNext), compared with the packet (IPv4 as integers, IPv6 byte by byte).
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
  // 30 bits: a small integer (Smi) for V8, never boxed.
  return (endpointHash(buf, aOff, len, aPort) + endpointHash(buf, bOff, len, bPort)) & 0x3fffffff;
}

/**
 * The 4-tuple hash of a tunnelled packet: mixed with its tunnel key (decode/view.ts), so equal inner 4-tuples
 * in different VNIs fall apart; bare traffic (key 0) keeps tupleHash() as it is.
 */
export function withTunnel(hash: number, key: number): number {
  if (key === 0) return hash;
  let h = Math.imul(hash ^ (key % 0x40000000), 0x01000193);
  h = Math.imul(h ^ Math.floor(key / 0x40000000), 0x01000193);
  return h & 0x3fffffff;
}

/** The 4 bytes at buf[off] as a signed 32-bit integer (how Attempt.client4 / server4 hold them). */
export function ip4At(buf: Buffer, off: number): number {
  return (buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!;
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

/** First size of the bucket array; it doubles whenever the table holds more attempts than buckets. */
const INITIAL_BUCKETS = 1024;

export class AttemptTable {
  /**
   * Open hashing over a power-of-two array indexed by the hash's low bits: no Map, so no rehash
   * garbage as attempts come and go, and a lookup is one array load.
   */
  private buckets: (Attempt | null)[] = new Array<Attempt | null>(INITIAL_BUCKETS).fill(null);
  private mask = INITIAL_BUCKETS - 1;
  size = 0;
  /** Set by find(): which way the matched packet travels (MATCH_*). */
  direction = MATCH_NONE;

  /**
   * The newest attempt whose 4-tuple is the packet's (src, sport) → (dst, dport) in either
   * direction, carried in the same tunnel (`key`, 0 for bare); sets `direction`. `hash` is
   * withTunnel(tupleHash(), key) of the same endpoints.
   */
  find(
    hash: number, buf: Buffer, srcOff: number, srcPort: number, dstOff: number, dstPort: number, len: number, key: number,
  ): Attempt | null {
    let a: Attempt | null = this.buckets[hash & this.mask] ?? null;
    if (len === 4) {
      // IPv4: compare the integers held on the attempt; its address Buffer stays untouched.
      const src = ip4At(buf, srcOff);
      const dst = ip4At(buf, dstOff);
      while (a !== null) {
        if (a.addrLen === 4 && a.tunnelKey === key) {
          if (a.clientPort === srcPort && a.serverPort === dstPort && a.client4 === src && a.server4 === dst) {
            this.direction = MATCH_FROM_CLIENT;
            return a;
          }
          if (a.clientPort === dstPort && a.serverPort === srcPort && a.client4 === dst && a.server4 === src) {
            this.direction = MATCH_FROM_SERVER;
            return a;
          }
        }
        a = a.bucketNext;
      }
      this.direction = MATCH_NONE;
      return null;
    }
    while (a !== null) {
      if (a.addrLen === len && a.tunnelKey === key) {
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
    if (this.size >= this.buckets.length) this.grow();
    const i = a.hash & this.mask;
    a.bucketNext = this.buckets[i] ?? null;
    this.buckets[i] = a;
    a.inTable = true;
    this.size++;
  }

  /** Doubles the bucket array; each chain splits in two, keeping its order (newest first). */
  private grow(): void {
    const old = this.buckets;
    const size = old.length * 2;
    const next = new Array<Attempt | null>(size).fill(null);
    const tails = new Array<Attempt | null>(size).fill(null);
    const mask = size - 1;
    for (let i = 0; i < old.length; i++) {
      let a: Attempt | null = old[i] ?? null;
      while (a !== null) {
        const after = a.bucketNext;
        const j = a.hash & mask;
        a.bucketNext = null;
        const tail = tails[j] ?? null;
        if (tail === null) next[j] = a;
        else tail.bucketNext = a;
        tails[j] = a;
        a = after;
      }
    }
    this.buckets = next;
    this.mask = mask;
  }

  delete(a: Attempt): void {
    let prev: Attempt | null = null;
    const i = a.hash & this.mask;
    let cur: Attempt | null = this.buckets[i] ?? null;
    while (cur !== null && cur !== a) {
      prev = cur;
      cur = cur.bucketNext;
    }
    if (cur === null) return;
    if (prev === null) {
      this.buckets[i] = a.bucketNext;
    } else {
      prev.bucketNext = a.bucketNext;
    }
    a.bucketNext = null;
    a.inTable = false;
    this.size--;
  }
}
