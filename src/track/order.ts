// Hands settled attempts to the reporter in the contract's listing order (by start, then by
// frame) without holding the whole capture: an attempt leaves as soon as it and every attempt
// that started before it are settled.

import type { Attempt } from './attempt.js';

function before(a: Attempt, b: Attempt): boolean {
  if (a.startSec !== b.startSec) return a.startSec < b.startSec;
  if (a.startNsec !== b.startNsec) return a.startNsec < b.startNsec;
  return a.firstFrame < b.firstFrame;
}

export class ListingOrder {
  private queue: (Attempt | null)[] = [];
  private head = 0;
  private readonly emit: (a: Attempt) => void;

  constructor(emit: (a: Attempt) => void) {
    this.emit = emit;
  }

  get length(): number {
    return this.queue.length - this.head;
  }

  /** The oldest attempt not yet handed out. */
  first(): Attempt | null {
    return this.head < this.queue.length ? this.queue[this.head]! : null;
  }

  /** Adds a new attempt. Attempts come in frame order; only a clock that went backwards moves one up. */
  add(a: Attempt): void {
    const q = this.queue;
    q.push(a);
    let i = q.length - 1;
    while (i > this.head && before(a, q[i - 1]!)) {
      q[i] = q[i - 1]!;
      i--;
    }
    q[i] = a;
  }

  /** Hands out every settled attempt at the front. */
  drain(): void {
    const q = this.queue;
    while (this.head < q.length) {
      const a = q[this.head]!;
      if (!a.ready) break;
      q[this.head] = null;
      this.head++;
      this.emit(a);
    }
    if (this.head > 4096 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head);
      this.head = 0;
    }
  }
}
