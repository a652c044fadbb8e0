// A binary min-heap of timed items: by time, then by the order they were pushed (so two
// packets scheduled for the same microsecond keep their causal order).

export interface Timed {
  /** Time key (microseconds). */
  t: number;
  /** Push order, set by the heap. */
  n: number;
}

export class MinHeap<T extends Timed> {
  private readonly items: T[] = [];
  private counter = 0;

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  /** Largest time key held (a linear scan; for the end of generation only). */
  maxTime(): number {
    let m = -Infinity;
    for (const x of this.items) if (x.t > m) m = x.t;
    return m;
  }

  push(x: T): void {
    x.n = this.counter++;
    const a = this.items;
    let i = a.length;
    a.push(x);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p]!;
      if (!less(x, parent)) break;
      a[i] = parent;
      i = p;
    }
    a[i] = x;
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    let i = 0;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && less(a[r]!, a[l]!)) c = r;
      if (!less(a[c]!, last)) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

function less(a: Timed, b: Timed): boolean {
  return a.t < b.t || (a.t === b.t && a.n < b.n);
}
