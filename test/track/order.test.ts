// The contract's listing order (by start, then frame) without holding the capture: ListingOrder alone.

import { strict as assert } from 'node:assert';
import { ListingOrder } from '../../src/track/order.js';
import { AttemptStore, S_OPEN, S_SETTLED } from '../../src/track/store.js';

const store = new AttemptStore();

/** A slot of an open attempt that started at `sec` with frame `frame`. */
function attempt(sec: number, frame: number): number {
  const s = store.alloc();
  store.status[s] = S_OPEN;
  store.startSec[s] = sec;
  store.startNsec[s] = 0;
  store.firstFrame[s] = frame;
  return s;
}

function settle(s: number): void {
  store.status[s] = S_SETTLED;
}

/** The order, handing out each slot's first frame and freeing the slot. */
function listing(out: number[]): ListingOrder {
  return new ListingOrder(store, (s) => {
    out.push(store.firstFrame[s]!);
    store.release(s);
  });
}

describe('ListingOrder', () => {
  it('hands attempts out by start once every earlier one is settled', () => {
    const out: number[] = [];
    const order = listing(out);
    const [a, b, c] = [attempt(1, 1), attempt(2, 2), attempt(3, 3)];
    order.add(a);
    order.add(b);
    order.add(c);
    settle(b);
    settle(c);
    order.drain();
    assert.deepEqual(out, [], 'the first is still open: nothing leaves');
    assert.equal(order.first(), a);
    settle(a);
    order.drain();
    assert.deepEqual(out, [1, 2, 3]);
    assert.equal(order.length, 0);
    assert.equal(order.first(), -1);
  });

  it('moves an attempt whose clock went backwards up, by start then frame', () => {
    const out: number[] = [];
    const order = listing(out);
    const all = [attempt(5, 1), attempt(6, 2), attempt(4, 3), attempt(6, 4), attempt(5, 5)];
    for (const a of all) order.add(a);
    for (const a of all) settle(a);
    order.drain();
    assert.deepEqual(out, [3, 1, 5, 2, 4]);
  });

  it('keeps the order across wrap-around and growth of its ring (and of the store)', () => {
    const out: number[] = [];
    const order = listing(out);
    let frame = 0;
    const open: number[] = [];
    // Settle in waves so the ring's head wraps, then hold one open while thousands queue behind it.
    for (let wave = 0; wave < 5; wave++) {
      for (let i = 0; i < 700; i++) {
        const a = attempt(++frame, frame);
        order.add(a);
        open.push(a);
      }
      for (const a of open.splice(0, 650)) settle(a);
      order.drain();
    }
    for (let i = 0; i < 5000; i++) {
      const a = attempt(++frame, frame);
      settle(a);
      order.add(a);
    }
    order.drain();
    assert.equal(order.length, 250 + 5000, 'everything behind the first open attempt waits');
    for (const a of open) settle(a);
    order.drain();
    assert.equal(order.length, 0);
    assert.equal(out.length, frame);
    assert.deepEqual(
      out,
      Array.from({ length: frame }, (_, i) => i + 1),
    );
    assert.equal(store.used, 0, 'every slot handed out was freed');
  });
});
