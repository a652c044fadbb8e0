// `--chart`: attempts per time bucket by outcome, counted while the capture is read. The capture's
// time span is known only at its end, so the buckets start one second wide and double (each pair
// merged into one) whenever an attempt falls past the last: a fixed number of counters, whatever
// the capture's length. Failures are counted for every service (each failure is a failing
// service's); established and incomplete attempts are counted per service, and only those of
// services that turn out to fail are drawn.

import type { ServiceCount } from './summary.js';

/** Buckets drawn: the counters are BUCKETS per series, however long the capture. */
export const BUCKETS = 96;

/** The series, bottom to top in a bar: the outcomes, with an established connection later reset apart. */
export const SERIES = [
  'established',
  'reset',
  'refused',
  'rejected',
  'dropped',
  'timed-out',
  'aborted',
  'incomplete',
] as const;
export type Series = (typeof SERIES)[number];
export const S_ESTABLISHED = 0;
export const S_RESET = 1;
export const S_INCOMPLETE = 7;

/** Services whose established attempts are counted; beyond it they are left out (and the chart says how many). */
export const MAX_CHART_SERVICES = 4096;

/** Per-service rows: established, incomplete. */
const OWN_ROWS = 2;

/**
 * Outcome index (summary.ts's order: established, refused, rejected, dropped, timed-out, aborted,
 * incomplete) → series.
 */
const SERIES_OF_OUTCOME = [S_ESTABLISHED, 2, 3, 4, 5, 6, S_INCOMPLETE];

/** Whether a service counted in the summary had a failure (the summary's failures(), on its counters). */
export function serviceFails(s: ServiceCount): boolean {
  const c = s.counts;
  return c[1]! + c[2]! + c[3]! + c[4]! + c[5]! + s.resetByClient + s.resetByServer > 0;
}

export interface TimelineJson {
  /** Start of the first bucket drawn, in seconds since the epoch, and the width of every bucket. */
  readonly startSec: number;
  readonly widthSec: number;
  /** counts[series][bucket], series in SERIES order. */
  readonly counts: readonly (readonly number[])[];
  /** Failing services whose established attempts were not counted (past MAX_CHART_SERVICES). */
  readonly servicesLeftOut: number;
}

export class OutcomeTimeline {
  /** Time of bucket 0's start (seconds) and the width of a bucket; NaN until the first attempt. */
  private origin = Number.NaN;
  private width = 1;
  /** Every series for every service: SERIES.length rows of BUCKETS. */
  private readonly all = new Uint32Array(SERIES.length * BUCKETS);
  /** Established and incomplete attempts per service. */
  private readonly own = new Map<ServiceCount, Uint32Array>();
  /** Services whose own rows were not kept (the cap was reached), by service. */
  private readonly leftOut = new Set<ServiceCount>();

  /** One settled attempt: its first SYN's time, its outcome index (summary.ts), whether it was reset, its service. */
  add(sec: number, nsec: number, outcome: number, reset: boolean, service: ServiceCount | null): void {
    const t = sec + nsec / 1e9;
    if (Number.isNaN(this.origin)) this.origin = Math.floor(t);
    const i = this.index(t);
    const series = reset && outcome === 0 ? S_RESET : SERIES_OF_OUTCOME[outcome]!;
    this.all[series * BUCKETS + i]!++;
    if (service === null || (series !== S_ESTABLISHED && series !== S_INCOMPLETE)) return;
    let rows = this.own.get(service);
    if (rows === undefined) {
      if (this.own.size >= MAX_CHART_SERVICES) {
        if (this.leftOut.size < MAX_CHART_SERVICES) this.leftOut.add(service);
        return;
      }
      rows = new Uint32Array(OWN_ROWS * BUCKETS);
      this.own.set(service, rows);
    }
    rows[(series === S_ESTABLISHED ? 0 : 1) * BUCKETS + i]!++;
  }

  /** The bucket of time t, after widening or shifting the buckets so that it has one. */
  private index(t: number): number {
    for (;;) {
      const i = Math.floor((t - this.origin) / this.width);
      if (i >= BUCKETS) {
        this.merge();
        continue;
      }
      if (i >= 0) return i;
      // Earlier than bucket 0 (verdicts do not come in strict time order): shift the counts right.
      const shift = -i;
      if (this.lastUsed() + shift < BUCKETS) {
        this.shift(shift);
        continue;
      }
      this.merge();
    }
  }

  private lastUsed(): number {
    let last = -1;
    const visit = (a: Uint32Array, rows: number): void => {
      for (let r = 0; r < rows; r++) for (let b = BUCKETS - 1; b > last; b--) if (a[r * BUCKETS + b] !== 0) last = b;
    };
    visit(this.all, SERIES.length);
    for (const a of this.own.values()) visit(a, OWN_ROWS);
    return last;
  }

  /** Doubles the width: bucket i takes old buckets 2i and 2i+1 (the origin stays). */
  private merge(): void {
    const fold = (a: Uint32Array, rows: number): void => {
      for (let r = 0; r < rows; r++) {
        const o = r * BUCKETS;
        for (let b = 0; b < BUCKETS / 2; b++) a[o + b] = a[o + 2 * b]! + a[o + 2 * b + 1]!;
        a.fill(0, o + BUCKETS / 2, o + BUCKETS);
      }
    };
    fold(this.all, SERIES.length);
    for (const a of this.own.values()) fold(a, OWN_ROWS);
    this.width *= 2;
  }

  /** Moves every count `n` buckets later and the origin `n` buckets earlier. */
  private shift(n: number): void {
    const move = (a: Uint32Array, rows: number): void => {
      for (let r = 0; r < rows; r++) {
        const o = r * BUCKETS;
        a.copyWithin(o + n, o, o + BUCKETS - n);
        a.fill(0, o, o + n);
      }
    };
    move(this.all, SERIES.length);
    for (const a of this.own.values()) move(a, OWN_ROWS);
    this.origin -= n * this.width;
  }

  /** The counts to draw: failures of all services, established and incomplete attempts of failing services only. */
  result(): TimelineJson {
    const counts: number[][] = SERIES.map((_, s) => Array.from(this.all.subarray(s * BUCKETS, (s + 1) * BUCKETS)));
    counts[S_ESTABLISHED]!.fill(0);
    counts[S_INCOMPLETE]!.fill(0);
    for (const [service, rows] of this.own) {
      if (!serviceFails(service)) continue;
      for (let b = 0; b < BUCKETS; b++) {
        counts[S_ESTABLISHED]![b]! += rows[b]!;
        counts[S_INCOMPLETE]![b]! += rows[BUCKETS + b]!;
      }
    }
    let servicesLeftOut = 0;
    for (const s of this.leftOut) if (serviceFails(s)) servicesLeftOut++;
    // Trim the empty buckets at both ends.
    let first = BUCKETS;
    let last = -1;
    for (const row of counts) {
      for (let b = 0; b < BUCKETS; b++) {
        if (row[b] === 0) continue;
        if (b < first) first = b;
        if (b > last) last = b;
      }
    }
    if (last < 0)
      return {
        startSec: Number.isNaN(this.origin) ? 0 : this.origin,
        widthSec: this.width,
        counts: counts.map(() => []),
        servicesLeftOut,
      };
    return {
      startSec: this.origin + first * this.width,
      widthSec: this.width,
      counts: counts.map((row) => row.slice(first, last + 1)),
      servicesLeftOut,
    };
  }
}
