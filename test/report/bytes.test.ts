// ByteOut writes numbers and JSON strings byte by byte: it must say exactly what String() and
// JSON.stringify say, for every number and every string.

import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { ip4Text } from '../../src/report/address.js';
import { ByteOut } from '../../src/report/bytes.js';
import { isoTime, writeIsoTime } from '../../src/report/text.js';

function render(write: (o: ByteOut) => void, size = 4): string {
  const o = new ByteOut(size);
  write(o);
  return o.buf.toString('utf8', 0, o.pos);
}

describe('report/bytes ByteOut', () => {
  it('writes numbers as String() does', () => {
    for (const x of [
      0,
      -0,
      1,
      9,
      10,
      99,
      100,
      65535,
      2 ** 31,
      2 ** 32 + 7,
      Number.MAX_SAFE_INTEGER,
      0.427,
      3071.2,
      -1,
      1e21,
      1.5e-7,
      NaN,
    ]) {
      assert.equal(
        render((o) => o.number(x)),
        String(x),
        String(x),
      );
    }
    fc.assert(
      fc.property(fc.oneof(fc.nat(), fc.double(), fc.maxSafeNat()), (x) => render((o) => o.number(x)) === String(x)),
    );
    // Milliseconds rounded to the microsecond (answer delays): k / 1000, through the fast path.
    for (const k of [1, 10, 100, 427, 1000, 1001, 3071200, 2 ** 43 - 1, 2 ** 43, 2 ** 50 + 3]) {
      assert.equal(
        render((o) => o.number(k / 1000)),
        String(k / 1000),
        String(k / 1000),
      );
    }
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 44 }), (k) => render((o) => o.number(k / 1000)) === String(k / 1000)),
      { numRuns: 20000 },
    );
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e7, noNaN: true }), (ms) => {
        const x = Math.round(ms * 1000) / 1000;
        return render((o) => o.number(x)) === String(x);
      }),
      { numRuns: 20000 },
    );
  });

  it('writes JSON strings as JSON.stringify does (quotes, backslashes, controls, non-ASCII, lone surrogates)', () => {
    for (const s of [
      '',
      'plain',
      'a "quoted" \\ path',
      'tab\there\nnewline',
      'caf\u00e9 \u2603 \ud83d\ude00',
      'lone \ud800 surrogate',
      '\u007f del',
    ]) {
      assert.equal(
        render((o) => o.jsonString(s)),
        JSON.stringify(s),
        s,
      );
    }
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => render((o) => o.jsonString(s)) === JSON.stringify(s)),
    );
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => render((o) => o.jsonString(s)) === JSON.stringify(s)));
  });

  it('grows its buffer and keeps what was written', () => {
    const o = new ByteOut(2);
    o.ascii('abc');
    o.ascii(`${'x'.repeat(20)}${o.pos}`); // longer than a short string, and a concatenation
    o.bytes(Buffer.from('def'));
    o.text('\u00e9');
    o.number(12345);
    assert.equal(o.buf.toString('utf8', 0, o.pos), `abc${'x'.repeat(20)}3def\u00e912345`);
  });

  it('writes IPv4 dotted quads as ip4Text does, from signed or unsigned 32-bit integers', () => {
    for (const x of [0, 1, 0x0a000001, 0x7fffffff, -1, -0x80000000, 0xffffffff, 0x64656667]) {
      assert.equal(
        render((o) => o.ip4(x)),
        ip4Text(x),
        String(x),
      );
    }
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }), (x) => render((o) => o.ip4(x)) === ip4Text(x)),
    );
  });

  it('writes capture times as isoTime does, at every precision', () => {
    const times = fc.tuple(
      fc.integer({ min: 0, max: 2 ** 33 }),
      fc.integer({ min: 0, max: 999_999_999 }),
      fc.integer({ min: 0, max: 12 }),
    );
    fc.assert(
      fc.property(
        times,
        ([sec, nsec, digits]) => render((o) => writeIsoTime(o, sec, nsec, digits)) === isoTime(sec, nsec, digits),
      ),
      { numRuns: 5000 },
    );
    assert.equal(
      render((o) => writeIsoTime(o, 1763632195, 426830000, 6)),
      '2025-11-20T09:49:55.426830Z',
    );
  });
});
