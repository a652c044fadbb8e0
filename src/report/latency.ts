// Connect latency per service in fixed memory. The first 32 samples of a measure are kept as they
// are, and its percentiles are exact while there are no more; past that, a log-bucketed histogram
// answers: buckets 1/8 of a doubling wide (2^(1/8) ≈ 1.09) from 1 µs to 2^28 µs (~4.5 min), a
// percentile is its bucket's geometric middle, within 4.4 % (2^(1/16) - 1) of the true sample and
// never outside the exact minimum and maximum, which are kept beside. A histogram holds its samples
// (8 bytes each) up to 32, then 226 buckets of 4 bytes: at most 1.2 KB, for services that answered.

/** Buckets per doubling of the delay. */
const PER_OCTAVE = 8;
/** Doublings above 1 µs covered; longer delays fall into the last bucket (the maximum stays exact). */
const OCTAVES = 28;
/** Bucket 0 holds delays under 1 µs; bucket b ≥ 1 holds [2^((b-1)/8), 2^(b/8)) µs. */
export const BUCKETS = OCTAVES * PER_OCTAVE + 2;
/** The largest relative error of a percentile (half a bucket, geometrically). */
export const MAX_RELATIVE_ERROR = 2 ** (1 / (2 * PER_OCTAVE)) - 1;

/** Samples kept as they are: percentiles are exact up to this many. */
export const EXACT_SAMPLES = 32;

function bucketOf(seconds: number): number {
  const us = seconds * 1e6;
  const b = us < 1 ? 0 : 1 + Math.floor(Math.log2(us) * PER_OCTAVE);
  return b >= BUCKETS ? BUCKETS - 1 : b;
}

export class Histogram {
  /**
   * Bucket counts, allocated once the samples outgrow EXACT_SAMPLES: a service seen a few times (a
   * port scan answers thousands of them once) costs a few dozen bytes, not the buckets' 0.9 KB.
   */
  counts: Uint32Array | null = null;
  /** The first EXACT_SAMPLES samples. */
  private readonly samples: number[] = [];
  count = 0;
  /** Exact extremes, seconds. */
  min = Number.POSITIVE_INFINITY;
  max = 0;

  /** Adds one delay, in seconds. */
  add(seconds: number): void {
    if (this.count < EXACT_SAMPLES) this.samples.push(seconds);
    else this.buckets()[bucketOf(seconds)]!++;
    this.count++;
    if (seconds < this.min) this.min = seconds;
    if (seconds > this.max) this.max = seconds;
  }

  /** The bucket counts, made from the samples the first time they are needed. */
  private buckets(): Uint32Array {
    let c = this.counts;
    if (c === null) {
      c = new Uint32Array(BUCKETS);
      for (const x of this.samples) c[bucketOf(x)]!++;
      this.counts = c;
    }
    return c;
  }

  /** Adds another histogram's samples (services merged into one line). */
  merge(o: Histogram): void {
    if (this.count + o.count <= EXACT_SAMPLES) {
      for (const x of o.samples) this.samples.push(x);
    } else {
      const c = this.buckets();
      if (o.counts !== null) for (let b = 0; b < BUCKETS; b++) c[b]! += o.counts[b]!;
      else for (const x of o.samples) c[bucketOf(x)]!++;
    }
    this.count += o.count;
    if (o.min < this.min) this.min = o.min;
    if (o.max > this.max) this.max = o.max;
  }

  /** The q-quantile (0 < q ≤ 1) in seconds, nearest rank: the sample at rank ceil(q · count). */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    if (this.count <= EXACT_SAMPLES) return [...this.samples].sort((a, b) => a - b)[rank - 1]!;
    if (rank === this.count) return this.max;
    const c = this.buckets();
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += c[b]!;
      if (seen < rank) continue;
      const middle = b === 0 ? 0.5e-6 : 2 ** ((b - 0.5) / PER_OCTAVE) * 1e-6;
      return Math.min(this.max, Math.max(this.min, middle));
    }
    return this.max;
  }
}

/** Percentiles of one measure, in milliseconds rounded to the microsecond. */
export interface PercentilesJson {
  count: number;
  p50: number;
  p95: number;
  max: number;
}

/** A service's connect latency, as json prints it. */
export interface LatencyJson {
  /**
   * From the SYN the server answered (the last one sent before its SYN/ACK) to the SYN/ACK: the round trip
   * and the server's own delay.
   */
  synAckMs: PercentilesJson;
  /**
   * From the first SYN to the client's ACK that completed the handshake: what connect() waited,
   * retransmissions included.
   */
  connectMs: PercentilesJson;
  /** Completed handshakes whose client had sent its SYN more than once. */
  retransmitted: number;
}

function ms(seconds: number): number {
  return Math.round(seconds * 1e6) / 1000;
}

export function percentiles(h: Histogram): PercentilesJson {
  return { count: h.count, p50: ms(h.quantile(0.5)), p95: ms(h.quantile(0.95)), max: ms(h.max) };
}

/**
 * One service's latency over its completed handshakes: SYN → SYN/ACK, first SYN → completed, and the
 * retransmitted count.
 */
export class ServiceLatency {
  readonly synAck = new Histogram();
  readonly connect = new Histogram();
  retransmitted = 0;

  merge(o: ServiceLatency): void {
    this.synAck.merge(o.synAck);
    this.connect.merge(o.connect);
    this.retransmitted += o.retransmitted;
  }

  json(): LatencyJson {
    return {
      synAckMs: percentiles(this.synAck),
      connectMs: percentiles(this.connect),
      retransmitted: this.retransmitted,
    };
  }
}
