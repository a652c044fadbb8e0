// Connect latency per service in fixed memory. The first 32 samples of a measure are kept as they
// are, and its percentiles are exact while there are no more; past that, a log-bucketed histogram
// answers: buckets 1/8 of a doubling wide (2^(1/8) ≈ 1.09) from 1 µs to 2^28 µs (~4.5 min), a
// percentile is its bucket's geometric middle, within 4.4 % (2^(1/16) - 1) of the true sample and
// never outside the exact minimum and maximum, which are kept beside. 226 buckets of 4 bytes and
// 32 samples of 8: 1.2 KB per histogram, allocated only for services that answered a SYN.

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

export class Histogram {
  readonly counts = new Uint32Array(BUCKETS);
  /** The first EXACT_SAMPLES samples. */
  private readonly samples = new Float64Array(EXACT_SAMPLES);
  count = 0;
  /** Exact extremes, seconds. */
  min = Number.POSITIVE_INFINITY;
  max = 0;

  /** Adds one delay, in seconds. */
  add(seconds: number): void {
    const us = seconds * 1e6;
    let b = us < 1 ? 0 : 1 + Math.floor(Math.log2(us) * PER_OCTAVE);
    if (b >= BUCKETS) b = BUCKETS - 1;
    this.counts[b]!++;
    if (this.count < EXACT_SAMPLES) this.samples[this.count] = seconds;
    this.count++;
    if (seconds < this.min) this.min = seconds;
    if (seconds > this.max) this.max = seconds;
  }

  /** Adds another histogram's samples (services merged into one line). */
  merge(o: Histogram): void {
    for (let b = 0; b < BUCKETS; b++) this.counts[b]! += o.counts[b]!;
    if (this.count + o.count <= EXACT_SAMPLES) this.samples.set(o.samples.subarray(0, o.count), this.count);
    this.count += o.count;
    if (o.min < this.min) this.min = o.min;
    if (o.max > this.max) this.max = o.max;
  }

  /** The q-quantile (0 < q ≤ 1) in seconds, nearest rank: the sample at rank ceil(q · count). */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    if (this.count <= EXACT_SAMPLES) return this.samples.slice(0, this.count).sort()[rank - 1]!;
    if (rank === this.count) return this.max;
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b]!;
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
  /** From the SYN the server answered (the last one sent before its SYN/ACK) to the SYN/ACK: the round trip and the server's own delay. */
  synAckMs: PercentilesJson;
  /** From the first SYN to the client's ACK that completed the handshake: what connect() waited, retransmissions included. */
  connectMs: PercentilesJson | null;
  /** Completed handshakes whose client had sent its SYN more than once. */
  retransmitted: number;
}

function ms(seconds: number): number {
  return Math.round(seconds * 1e6) / 1000;
}

export function percentiles(h: Histogram): PercentilesJson {
  return { count: h.count, p50: ms(h.quantile(0.5)), p95: ms(h.quantile(0.95)), max: ms(h.max) };
}

/** One service's latency: SYN → SYN/ACK, first SYN → completed handshake, and the retransmitted count. */
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
      connectMs: this.connect.count === 0 ? null : percentiles(this.connect),
      retransmitted: this.retransmitted,
    };
  }
}
