// Hands settled attempts to the reporter in the contract's listing order (by start, then by
// frame) without holding the whole capture: an attempt leaves as soon as it and every attempt
// that started before it are settled.

import { S_SETTLED, S_TOMBSTONE, type AttemptStore } from './store.js';

/** First capacity of the queue; it doubles when full and never shrinks. */
const INITIAL_CAPACITY = 1024;

export class ListingOrder {
  /**
   * A ring of slots over a power-of-two array: slots at ring[(head + i) & mask] for i < count. Adding and
   * handing out move indices only.
   */
  private ring = new Int32Array(INITIAL_CAPACITY);
  private mask = INITIAL_CAPACITY - 1;
  private head = 0;
  private count = 0;
  private readonly st: AttemptStore;
  private readonly emit: (s: number) => void;

  constructor(store: AttemptStore, emit: (s: number) => void) {
    this.st = store;
    this.emit = emit;
  }

  get length(): number {
    return this.count;
  }

  /** The oldest attempt not yet handed out, -1 when none. */
  first(): number {
    return this.count > 0 ? this.ring[this.head]! : -1;
  }

  /** `a` starts before `b`. */
  private before(a: number, b: number): boolean {
    const st = this.st;
    if (st.startSec[a] !== st.startSec[b]) return st.startSec[a]! < st.startSec[b]!;
    if (st.startNsec[a] !== st.startNsec[b]) return st.startNsec[a]! < st.startNsec[b]!;
    return st.firstFrame[a]! < st.firstFrame[b]!;
  }

  /** Adds a new attempt. Attempts come in frame order; only a clock that went backwards moves one up. */
  add(s: number): void {
    if (this.count === this.ring.length) this.grow();
    const r = this.ring;
    const mask = this.mask;
    let i = this.count++;
    while (i > 0) {
      const prev = r[(this.head + i - 1) & mask]!;
      if (!this.before(s, prev)) break;
      r[(this.head + i) & mask] = prev;
      i--;
    }
    r[(this.head + i) & mask] = s;
  }

  /**
   * Hands out the settled attempts at the front, at most `max` of them; returns true when it stopped
   * at `max` with more settled ones waiting.
   */
  drain(max = Number.POSITIVE_INFINITY): boolean {
    const status = this.st.status;
    for (let n = 0; this.count > 0; n++) {
      const s = this.ring[this.head]!; // emit() may add, and adding may grow the ring
      const x = status[s];
      if (x !== S_SETTLED && x !== S_TOMBSTONE) break;
      if (n === max) return true;
      this.head = (this.head + 1) & this.mask;
      this.count--;
      this.emit(s);
    }
    return false;
  }

  /** Doubles the ring, unrolling it so the oldest attempt is at 0. */
  private grow(): void {
    const r = this.ring;
    const next = new Int32Array(r.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = r[(this.head + i) & this.mask]!;
    this.ring = next;
    this.mask = next.length - 1;
    this.head = 0;
  }
}
