// report/text.ts: millisText must say what String() says for every delay a record can carry.

import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { millisBetween, millisText } from '../../src/report/text.js';

describe('report/text millisText', () => {
  it('equals String() on millisecond delays rounded to the microsecond, and on anything else', () => {
    for (const x of [
      0,
      0.001,
      0.01,
      0.1,
      0.427,
      1,
      10.5,
      3071.2,
      999.999,
      1000,
      2 ** 43 / 1000,
      -1.5,
      NaN,
      1e21,
      0.0001,
    ]) {
      assert.equal(millisText(x), String(x), String(x));
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 44 }), (k) => millisText(k / 1000) === String(k / 1000)),
      { numRuns: 20000 },
    );
    fc.assert(
      fc.property(fc.nat(2 ** 31), fc.nat(999_999_999), fc.nat(3600), fc.nat(999_999_999), (s1, n1, ds, n2) => {
        const x = millisBetween(s1, n1, s1 + ds, n2);
        return millisText(x) === String(x);
      }),
      { numRuns: 20000 },
    );
    fc.assert(fc.property(fc.double(), (x) => millisText(x) === String(x)));
  });
});
