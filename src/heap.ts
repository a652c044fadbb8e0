// The one binary min-heap of the program, shared like errors.ts by every stage that needs one: the
// tracker's open handshakes by deadline, the merge's open inputs by the time of their next frame,
// the streamed evidence's packets by frame number, and the benchmark generator's packets by time.

/**
 * A binary min-heap of integer ids (0, 1, 2, …: the caller's slots or indices), ordered by two keys
 * held in the heap's own typed arrays, then by the id: `key`, then `minor`, then the lower id. Each
 * id's place in the heap is kept, so its key can change, or the id leave, anywhere in the heap in
 * O(log n) without a search. A sift step reads typed arrays only: no comparator callback, and nothing
 * is allocated per push (the arrays double when an id or the size outgrows them).
 *
 * Keys are float64s: a deadline in seconds, a frame number, or an exact capture time as (seconds,
 * nanoseconds), which one float64 of epoch seconds could not hold exactly.
 */
export class IdHeap {
  /** The heap itself: ids, the least at 0. */
  private items: Int32Array;
  /** By id: its place in items, -1 when not in the heap. */
  private place: Int32Array;
  private major: Float64Array;
  private minor: Float64Array;
  /** Ids in the heap. */
  size = 0;

  /** `ids`: how many ids to make room for at first (more are made room for as they come). */
  constructor(ids = 64) {
    const n = Math.max(ids, 4);
    this.items = new Int32Array(n);
    this.place = new Int32Array(n).fill(-1);
    this.major = new Float64Array(n);
    this.minor = new Float64Array(n);
  }

  /** The id with the least key, -1 when empty. */
  get head(): number {
    return this.size > 0 ? this.items[0]! : -1;
  }

  has(id: number): boolean {
    return id < this.place.length && this.place[id]! >= 0;
  }

  /** The id's major key: as last pushed or updated (it is kept after the id leaves). */
  key(id: number): number {
    return this.major[id]!;
  }

  /** The id's minor key, likewise. */
  minorKey(id: number): number {
    return this.minor[id]!;
  }

  /** The id at place `i` of the heap (0 ≤ i < size): to walk every id held, in no particular order. */
  at(i: number): number {
    return this.items[i]!;
  }

  /** Adds `id`, which must not be in the heap. */
  push(id: number, key: number, minor = 0): void {
    if (id >= this.place.length) this.growIds(id);
    if (this.size === this.items.length) this.items = grown(this.items, this.items.length * 2);
    this.major[id] = key;
    this.minor[id] = minor;
    this.up(this.size++, id);
  }

  /** Gives `id`, which must be in the heap, a new key. */
  update(id: number, key: number, minor = 0): void {
    this.major[id] = key;
    this.minor[id] = minor;
    const i = this.place[id]!;
    if (i > 0 && this.before(id, this.items[(i - 1) >> 1]!)) this.up(i, id);
    else this.down(i, id);
  }

  /** Takes `id`, which must be in the heap, out. */
  remove(id: number): void {
    const i = this.place[id]!;
    this.place[id] = -1;
    const last = this.items[--this.size]!;
    if (last === id) return;
    if (i > 0 && this.before(last, this.items[(i - 1) >> 1]!)) this.up(i, last);
    else this.down(i, last);
  }

  /** Takes the id with the least key out and returns it, -1 when empty. */
  pop(): number {
    if (this.size === 0) return -1;
    const id = this.items[0]!;
    this.remove(id);
    return id;
  }

  /** Empties the heap. */
  clear(): void {
    for (let i = 0; i < this.size; i++) this.place[this.items[i]!] = -1;
    this.size = 0;
  }

  /** Whether id `a` comes before id `b`. */
  private before(a: number, b: number): boolean {
    const ka = this.major[a]!;
    const kb = this.major[b]!;
    if (ka !== kb) return ka < kb;
    const ma = this.minor[a]!;
    const mb = this.minor[b]!;
    if (ma !== mb) return ma < mb;
    return a < b;
  }

  /** Puts `id` at place `i` or above it. */
  private up(i: number, id: number): void {
    const items = this.items;
    const place = this.place;
    const major = this.major;
    const minor = this.minor;
    const k = major[id]!;
    const m = minor[id]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p]!;
      const kp = major[parent]!;
      if (kp < k || (kp === k && (minor[parent]! < m || (minor[parent] === m && parent < id)))) break;
      items[i] = parent;
      place[parent] = i;
      i = p;
    }
    items[i] = id;
    place[id] = i;
  }

  /** Puts `id` at place `i` or below it. */
  private down(i: number, id: number): void {
    const items = this.items;
    const place = this.place;
    const major = this.major;
    const minor = this.minor;
    const n = this.size;
    const k = major[id]!;
    const m = minor[id]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let child = items[c]!;
      let kc = major[child]!;
      if (c + 1 < n) {
        const right = items[c + 1]!;
        const kr = major[right]!;
        const mr = minor[right]!;
        const mc = minor[child]!;
        if (kr < kc || (kr === kc && (mr < mc || (mr === mc && right < child)))) {
          c++;
          child = right;
          kc = kr;
        }
      }
      if (k < kc || (k === kc && (m < minor[child]! || (m === minor[child] && id < child)))) break;
      items[i] = child;
      place[child] = i;
      i = c;
    }
    items[i] = id;
    place[id] = i;
  }

  private growIds(id: number): void {
    let n = this.place.length * 2;
    while (n <= id) n *= 2;
    const old = this.place.length;
    this.place = grown(this.place, n);
    this.place.fill(-1, old);
    this.major = grown(this.major, n);
    this.minor = grown(this.minor, n);
  }
}

/**
 * A min-heap of objects by a numeric key, ties in the order they were pushed: an IdHeap over the
 * objects' places in an array, with a free list of places, so a push allocates nothing once the
 * heap has been as large before.
 */
export class ObjectHeap<T> {
  private readonly ids = new IdHeap();
  private readonly items: (T | undefined)[] = [];
  private readonly free: number[] = [];
  private pushed = 0;

  get size(): number {
    return this.ids.size;
  }

  /** The object with the least key, or undefined when empty. */
  peek(): T | undefined {
    const id = this.ids.head;
    return id < 0 ? undefined : this.items[id];
  }

  /** The least key (the heap must not be empty). */
  peekKey(): number {
    return this.ids.key(this.ids.head);
  }

  push(x: T, key: number): void {
    const id = this.free.length > 0 ? this.free.pop()! : this.items.length;
    this.items[id] = x;
    this.ids.push(id, key, this.pushed++);
  }

  /** Takes the object with the least key out, or undefined when empty. */
  pop(): T | undefined {
    const id = this.ids.pop();
    if (id < 0) return undefined;
    const x = this.items[id];
    this.items[id] = undefined;
    this.free.push(id);
    return x;
  }

  /** The largest key held, -Infinity when empty (a linear scan). */
  maxKey(): number {
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < this.ids.size; i++) max = Math.max(max, this.ids.key(this.ids.at(i)));
    return max;
  }

  clear(): void {
    while (this.size > 0) this.pop();
  }
}

function grown<T extends Int32Array | Float64Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}
