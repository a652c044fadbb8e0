// heap.ts: the heap against a model (a plain list sorted on every question) under random sequences
// of push, pop, update and remove, with keys drawn from few values so that ties are the rule.

import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { IdHeap, ObjectHeap } from '../src/heap.js';

type Op =
  | { op: 'push'; id: number; key: number; minor: number }
  | { op: 'update'; pick: number; key: number; minor: number }
  | { op: 'remove'; pick: number }
  | { op: 'pop' };

/** Keys with many ties, negative and fractional ones, and infinities. */
const key = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(0.5, -0.25, 1e9 + 0.125, Infinity, -Infinity));
const minor = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 }), fc.constant(999_999_999));
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('push' as const), id: fc.nat(200), key, minor }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('update' as const), pick: fc.nat(), key, minor }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('pop' as const) }) },
);

interface Entry {
  id: number;
  key: number;
  minor: number;
}

function sorted(model: Map<number, Entry>): number[] {
  return [...model.values()]
    .sort((a, b) => {
      if (a.key !== b.key) return a.key < b.key ? -1 : 1;
      return a.minor !== b.minor ? a.minor - b.minor : a.id - b.id;
    })
    .map((e) => e.id);
}

/** Runs `ops` on a heap and on the model, checking head and size after each and every id's place. */
function check(ops: readonly Op[], ids: number): void {
  const heap = new IdHeap(ids);
  const model = new Map<number, Entry>();
  for (const o of ops) {
    const held = [...model.keys()];
    switch (o.op) {
      case 'push':
        if (model.has(o.id)) break;
        heap.push(o.id, o.key, o.minor);
        model.set(o.id, { id: o.id, key: o.key, minor: o.minor });
        break;
      case 'update': {
        if (held.length === 0) break;
        const id = held[o.pick % held.length]!;
        heap.update(id, o.key, o.minor);
        model.set(id, { id, key: o.key, minor: o.minor });
        break;
      }
      case 'remove': {
        if (held.length === 0) break;
        const id = held[o.pick % held.length]!;
        heap.remove(id);
        model.delete(id);
        break;
      }
      case 'pop': {
        const want = sorted(model)[0] ?? -1;
        assert.equal(heap.pop(), want);
        model.delete(want);
        break;
      }
    }
    assert.equal(heap.size, model.size);
    assert.equal(heap.head, sorted(model)[0] ?? -1);
    for (let id = 0; id <= 200; id++) assert.equal(heap.has(id), model.has(id));
    for (const e of model.values()) {
      assert.equal(heap.key(e.id), e.key);
      assert.equal(heap.minorKey(e.id), e.minor);
    }
  }
  const rest: number[] = [];
  for (let i = 0; i < heap.size; i++) rest.push(heap.at(i));
  assert.deepEqual(
    [...rest].sort((a, b) => a - b),
    [...model.keys()].sort((a, b) => a - b),
  );
  const order: number[] = [];
  while (heap.size > 0) order.push(heap.pop());
  assert.deepEqual(order, sorted(model));
  assert.equal(heap.pop(), -1);
  assert.equal(heap.head, -1);
}

describe('heap IdHeap', () => {
  it('orders ids like a sorted list by (key, minor, id) through any push/pop/update/remove sequence', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => check(ops, 64)),
      { numRuns: 300 },
    );
  });

  it('makes room for ids and entries past its first size', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 50, maxLength: 300 }), (ops) => check(ops, 1)),
      { numRuns: 100 },
    );
  });

  it('orders exact capture times: seconds, then nanoseconds, then the lower id', () => {
    const heap = new IdHeap(4);
    heap.push(0, 1_700_000_000, 999_999_999);
    heap.push(1, 1_700_000_001, 0);
    heap.push(2, 1_700_000_000, 999_999_998);
    heap.push(3, 1_700_000_000, 999_999_998);
    assert.deepEqual([heap.pop(), heap.pop(), heap.pop(), heap.pop()], [2, 3, 0, 1]);
  });

  it('clear() empties it and leaves every id out', () => {
    const heap = new IdHeap();
    for (let id = 0; id < 100; id++) heap.push(id, id % 7);
    heap.clear();
    assert.equal(heap.size, 0);
    assert.equal(heap.head, -1);
    for (let id = 0; id < 100; id++) assert.equal(heap.has(id), false);
    heap.push(42, 1);
    assert.equal(heap.pop(), 42);
  });
});

describe('heap ObjectHeap', () => {
  it('pops objects by key, ties in push order, reusing the places of popped ones', () => {
    const steps = fc.array(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant(-1)), { maxLength: 200 });
    fc.assert(
      fc.property(steps, (steps) => {
        const heap = new ObjectHeap<{ key: number; n: number }>();
        const model: { key: number; n: number }[] = [];
        let n = 0;
        for (const k of steps) {
          if (k < 0) {
            model.sort((a, b) => a.key - b.key || a.n - b.n);
            assert.equal(heap.pop(), model.shift());
          } else {
            const x = { key: k, n: n++ };
            heap.push(x, k);
            model.push(x);
          }
          assert.equal(heap.size, model.length);
          assert.equal(heap.maxKey(), Math.max(...model.map((x) => x.key)));
          if (model.length > 0) assert.equal(heap.peekKey(), Math.min(...model.map((x) => x.key)));
        }
        model.sort((a, b) => a.key - b.key || a.n - b.n);
        assert.deepEqual(
          model.map(() => heap.pop()),
          model,
        );
        assert.equal(heap.peek(), undefined);
        assert.equal(heap.pop(), undefined);
      }),
      { numRuns: 300 },
    );
  });
});
