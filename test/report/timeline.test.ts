// --chart's counters: a fixed number of buckets that double in width as the capture goes on, and
// shift when a verdict comes for an earlier time; no attempt is lost or counted twice on the way.

import { strict as assert } from 'node:assert';
import { BUCKETS, OutcomeTimeline, SERIES } from '../../src/report/timeline.js';

const DROPPED = 3; // summary.ts's outcome index
const ESTABLISHED = 0;

function total(t: ReturnType<OutcomeTimeline['result']>, series: string): number {
  return t.counts[SERIES.indexOf(series as (typeof SERIES)[number])]!.reduce((a, c) => a + c, 0);
}

describe('report/timeline', () => {
  it('one hour of attempts, one a second: buckets widen to 64 s, never more than BUCKETS, every attempt kept', () => {
    const t = new OutcomeTimeline();
    for (let s = 0; s < 3600; s++) t.add(1_700_000_000 + s, 500_000_000, DROPPED, false, null);
    const r = t.result();
    assert.equal(r.widthSec, 64); // 96 × 32 s < 3600 s ≤ 96 × 64 s
    assert.ok(r.counts.every((row) => row.length <= BUCKETS));
    assert.equal(total(r, 'dropped'), 3600);
    assert.equal(r.counts[SERIES.indexOf('dropped')]![0], 64, 'a full bucket holds 64 attempts');
    assert.equal(r.startSec, 1_700_000_000);
  });

  it('a verdict for an earlier time shifts the buckets (or widens them) instead of being lost', () => {
    const t = new OutcomeTimeline();
    t.add(1000, 0, DROPPED, false, null);
    t.add(1010, 0, DROPPED, false, null);
    t.add(995, 0, DROPPED, false, null); // 5 s before the first
    let r = t.result();
    assert.equal(r.widthSec, 1);
    assert.equal(r.startSec, 995);
    assert.deepEqual(
      r.counts[SERIES.indexOf('dropped')]!.filter((c) => c > 0),
      [1, 1, 1],
    );
    t.add(1000 - 500, 0, DROPPED, false, null); // far before: the buckets widen
    r = t.result();
    assert.ok(r.widthSec > 1 && r.startSec <= 500);
    assert.equal(total(r, 'dropped'), 4);
  });

  it('established attempts count only for services that fail; a connection reset later is its own series', () => {
    const t = new OutcomeTimeline();
    const failing = { counts: [1, 0, 0, 1, 0, 0, 0], resetByClient: 0, resetByServer: 0 };
    const healthy = { counts: [3, 0, 0, 0, 0, 0, 0], resetByClient: 0, resetByServer: 0 };
    type S = Parameters<OutcomeTimeline['add']>[4];
    t.add(10, 0, ESTABLISHED, false, failing as unknown as S);
    t.add(10, 0, DROPPED, false, failing as unknown as S);
    for (let i = 0; i < 3; i++) t.add(11, 0, ESTABLISHED, false, healthy as unknown as S);
    t.add(12, 0, ESTABLISHED, true, healthy as unknown as S);
    const r = t.result();
    assert.equal(total(r, 'established'), 1);
    assert.equal(total(r, 'dropped'), 1);
    assert.equal(total(r, 'reset'), 1);
  });
});
