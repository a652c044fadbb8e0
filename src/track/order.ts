// Hands settled attempts to the reporter in the contract's listing order (by start, then by
// frame) without holding the whole capture: an attempt leaves as soon as it and every attempt
// that started before it are settled.

import type { Attempt } from './attempt.js';

function before(a: Attempt, b: Attempt): boolean {
  if (a.startSec !== b.startSec) return a.startSec < b.startSec;
  if (a.startNsec !== b.startNsec) return a.startNsec < b.startNsec;
  return a.firstFrame < b.firstFrame;
}

/** First capacity of the queue; it doubles when full and never shrinks. */
const INITIAL_CAPACITY = 1024;

export class ListingOrder {
  /**
   * A ring over a power-of-two array: attempts at ring[(head + i) & mask] for i < count. Adding and
   * handing out move indices only; no array is sliced or grown while the queue stays below its peak.
   */
  private ring: (Attempt | null)[] = new Array<Attempt | null>(INITIAL_CAPACITY).fill(null);
  private mask = INITIAL_CAPACITY - 1;
  private head = 0;
  private count = 0;
  private readonly emit: (a: Attempt) => void;

  constructor(emit: (a: Attempt) => void) {
    this.emit = emit;
  }

  get length(): number {
    return this.count;
  }

  /** The oldest attempt not yet handed out. */
  first(): Attempt | null {
    return this.count > 0 ? this.ring[this.head] ?? null : null;
  }

  /** Adds a new attempt. Attempts come in frame order; only a clock that went backwards moves one up. */
  add(a: Attempt): void {
    if (this.count === this.ring.length) this.grow();
    const r = this.ring;
    const mask = this.mask;
    let i = this.count++;
    while (i > 0) {
      const prev = r[(this.head + i - 1) & mask]!;
      if (!before(a, prev)) break;
      r[(this.head + i) & mask] = prev;
      i--;
    }
    r[(this.head + i) & mask] = a;
  }

  /** Hands out every settled attempt at the front. */
  drain(): void {
    while (this.count > 0) {
      const r = this.ring; // emit() may add, and adding may grow the ring
      const a = r[this.head]!;
      if (!a.ready) break;
      r[this.head] = null;
      this.head = (this.head + 1) & this.mask;
      this.count--;
      this.emit(a);
    }
  }

  /** Doubles the ring, unrolling it so the oldest attempt is at 0. */
  private grow(): void {
    const r = this.ring;
    const next = new Array<Attempt | null>(r.length * 2).fill(null);
    for (let i = 0; i < this.count; i++) next[i] = r[(this.head + i) & this.mask] ?? null;
    this.ring = next;
    this.mask = next.length - 1;
    this.head = 0;
  }
}
