// fit.ts: paragraphs and tables within a width, never a word, a number and its unit, or a
// `command` parted when it fits.

import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { fitTable, visibleLength, wrap } from '../../src/report/fit.js';

describe('report/fit', () => {
  it('wrap: no line over the width, the words kept in order, "0.009 ms" and `ss -ltn` never parted', () => {
    const text = "The SYN was answered by a TCP reset after 0.009 ms: run `ss -ltn 'sport = :9'` on 10.77.1.1 now";
    for (let w = 25; w <= 100; w++) {
      const lines = wrap(text, w, 2);
      for (const l of lines) assert.ok(l.length <= w, `${w}: ${l}`);
      assert.equal(lines.join(' ').replace(/ +/g, ' '), text);
      assert.ok(
        lines.some((l) => l.includes('0.009 ms')),
        `${w}`,
      );
      assert.ok(
        lines.some((l) => l.includes("`ss -ltn 'sport = :9'`")),
        `${w}`,
      );
    }
  });

  it('wrap: words longer than the line are cut, after a comma when one is near', () => {
    assert.deepEqual(wrap('frames 1,2,3,4,5,6,7,8', 10), ['frames', '1,2,3,4,5,', '6,7,8']);
  });

  it('fitTable: any cells, any width from 20: no line wider, every character of every cell shown', () => {
    const word = fc.stringMatching(/^[a-z0-9.:>]{1,30}$/);
    const counts = (s: string): Map<string, number> => {
      const m = new Map<string, number>();
      for (const c of s.replace(/[\s-]/g, '')) m.set(c, (m.get(c) ?? 0) + 1);
      return m;
    };
    const cell = fc.array(word, { minLength: 0, maxLength: 5 }).map((ws) => ws.join(' '));
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 8 })
          .chain((n) =>
            fc.tuple(
              fc.array(cell, { minLength: n, maxLength: n }),
              fc.array(fc.array(cell, { minLength: n, maxLength: n }), { maxLength: 6 }),
            ),
          ),
        fc.integer({ min: 20, max: 140 }),
        ([head, rows], width) => {
          const lines = fitTable(head, rows, width);
          for (const l of lines) assert.ok(visibleLength(l) <= width, `${width}: ${JSON.stringify(l)}`);
          const shown = counts(lines.join(''));
          for (const [c, n] of counts([...head, ...rows.flat()].join('')))
            assert.ok((shown.get(c) ?? 0) >= n, `${c} ${n} times`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('fitTable: natural widths when they fit, the wrapped column when not', () => {
    assert.deepEqual(fitTable(['a', 'bb'], [['x', 'y z']], 40), ['a  bb', '-  ---', 'x  y z']);
    assert.deepEqual(fitTable(['a', 'bb'], [['x', 'yyy zzz']], 8), ['a  bb', '-  -----', 'x  yyy', '   zzz']);
  });
});

describe('report/fit: tables too wide even wrapped', () => {
  it('are cut into tables that repeat the first column; later ones skip rows empty in them', () => {
    const head = ['server', 'aaaaaaaaaaaa', 'bbbbbbbbbbbb', 'cccccccccccc'];
    const rows = [
      ['s1', '1', '2', ''],
      ['s2', '3', '4', '5'],
    ];
    assert.deepEqual(fitTable(head, rows, 40), [
      'server  aaaaaaaaaaaa  bbbbbbbbbbbb',
      '------  ------------  ------------',
      's1      1             2',
      's2      3             4',
      '',
      'server  cccccccccccc',
      '------  ------------',
      's2      5',
    ]);
  });
});
