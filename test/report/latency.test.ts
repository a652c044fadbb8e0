// The latency histogram: percentiles within its stated error of the exact nearest-rank ones, in
// fixed memory, merged as if the samples had gone into one.

import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import {
  BUCKETS,
  EXACT_SAMPLES,
  Histogram,
  MAX_RELATIVE_ERROR,
  ServiceLatency,
  percentiles,
} from '../../src/report/latency.js';

/** The exact nearest-rank quantile of the samples. */
function exact(samples: number[], q: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.max(1, Math.ceil(q * s.length)) - 1]!;
}

describe('report/latency', () => {
  it('percentiles are within MAX_RELATIVE_ERROR (4.4 %) of the exact ones, max and min exact', () => {
    assert.ok(Math.abs(MAX_RELATIVE_ERROR - 0.0443) < 0.0001);
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1e-6, max: 200, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.constantFrom(0.5, 0.9, 0.95, 0.99, 1),
        (samples, q) => {
          const h = new Histogram();
          for (const x of samples) h.add(x);
          const want = exact(samples, q);
          const got = h.quantile(q);
          assert.ok(Math.abs(got - want) <= want * MAX_RELATIVE_ERROR * 1.0000001, `q ${q}: ${got} for ${want}`);
          assert.equal(h.max, Math.max(...samples));
          assert.equal(h.min, Math.min(...samples));
          assert.equal(h.count, samples.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('up to 32 samples the percentiles are exact (nearest rank)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 200, noNaN: true }), { minLength: 1, maxLength: EXACT_SAMPLES }),
        fc.constantFrom(0.01, 0.5, 0.95, 1),
        (samples, q) => {
          const h = new Histogram();
          for (const x of samples) h.add(x);
          assert.equal(h.quantile(q), exact(samples, q));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('memory does not grow with the samples: one fixed array of buckets', () => {
    const h = new Histogram();
    for (let i = 0; i < EXACT_SAMPLES; i++) h.add(i * 1e-3);
    assert.equal(h.counts, null, 'no buckets while the samples are kept');
    for (let i = 0; i < 100_000; i++) h.add((i % 5000) * 1e-4);
    assert.equal(h.counts!.length, BUCKETS);
    assert.ok(BUCKETS * 4 < 1024);
    assert.equal(h.count, 100_000 + EXACT_SAMPLES);
  });

  it('a few samples: the median of 1, 2, 3 ms is 2 ms (within the error), the max exact; 1 µs and minutes fit', () => {
    const l = new ServiceLatency();
    for (const x of [0.001, 0.002, 0.003]) l.synAck.add(x);
    const p = percentiles(l.synAck);
    assert.ok(Math.abs(p.p50 - 2) <= 2 * MAX_RELATIVE_ERROR);
    assert.equal(p.max, 3);
    assert.equal(p.count, 3);
    const h = new Histogram();
    h.add(0);
    h.add(1e-7);
    h.add(3600);
    assert.equal(h.quantile(0.5), 1e-7, 'exact: three samples');
    for (let i = 0; i < 40; i++) h.add(1e-7);
    assert.equal(h.quantile(0.5), 0.5e-6, 'past 32 samples, under 1 µs is half a microsecond');
    assert.equal(h.quantile(1), 3600, 'the largest sample: exact');
  });

  it('merging two histograms equals adding every sample to one', () => {
    const a = new ServiceLatency();
    const b = new ServiceLatency();
    const both = new ServiceLatency();
    for (let i = 1; i <= 50; i++) {
      const x = i * 0.0013;
      (i % 2 === 0 ? a : b).connect.add(x);
      both.connect.add(x);
    }
    a.retransmitted = 2;
    b.retransmitted = 3;
    a.merge(b);
    assert.deepEqual(a.connect.counts, both.connect.counts);
    assert.deepEqual(percentiles(a.connect), percentiles(both.connect));
    assert.equal(a.retransmitted, 5);
  });
});
