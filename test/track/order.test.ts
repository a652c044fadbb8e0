// The contract's listing order (by start, then frame) without holding the capture: ListingOrder alone.

import { strict as assert } from 'node:assert';
import { Attempt } from '../../src/track/attempt.js';
import { ListingOrder } from '../../src/track/order.js';

function attempt(sec: number, frame: number): Attempt {
  return new Attempt(['f'], 0, Buffer.alloc(32), 4, 40000, 80, 1, 0, sec, 0, 6, frame, sec);
}

describe('ListingOrder', () => {
  it('hands attempts out by start once every earlier one is settled', () => {
    const out: number[] = [];
    const order = new ListingOrder((a) => out.push(a.firstFrame));
    const [a, b, c] = [attempt(1, 1), attempt(2, 2), attempt(3, 3)];
    order.add(a);
    order.add(b);
    order.add(c);
    b.ready = true;
    c.ready = true;
    order.drain();
    assert.deepEqual(out, [], 'the first is still open: nothing leaves');
    assert.equal(order.first(), a);
    a.ready = true;
    order.drain();
    assert.deepEqual(out, [1, 2, 3]);
    assert.equal(order.length, 0);
    assert.equal(order.first(), null);
  });

  it('moves an attempt whose clock went backwards up, by start then frame', () => {
    const out: number[] = [];
    const order = new ListingOrder((a) => out.push(a.firstFrame));
    const all = [attempt(5, 1), attempt(6, 2), attempt(4, 3), attempt(6, 4), attempt(5, 5)];
    for (const a of all) order.add(a);
    for (const a of all) a.ready = true;
    order.drain();
    assert.deepEqual(out, [3, 1, 5, 2, 4]);
  });

  it('keeps the order across wrap-around and growth of its ring', () => {
    const out: number[] = [];
    const order = new ListingOrder((a) => out.push(a.firstFrame));
    let frame = 0;
    const open: Attempt[] = [];
    // Settle in waves so the ring's head wraps, then hold one open while thousands queue behind it.
    for (let wave = 0; wave < 5; wave++) {
      for (let i = 0; i < 700; i++) {
        const a = attempt(++frame, frame);
        order.add(a);
        open.push(a);
      }
      for (const a of open.splice(0, 650)) a.ready = true;
      order.drain();
    }
    for (let i = 0; i < 5000; i++) {
      const a = attempt(++frame, frame);
      a.ready = true;
      order.add(a);
    }
    order.drain();
    assert.equal(order.length, 250 + 5000, 'everything behind the first open attempt waits');
    for (const a of open) a.ready = true;
    order.drain();
    assert.equal(order.length, 0);
    assert.equal(out.length, frame);
    assert.deepEqual(out, Array.from({ length: frame }, (_, i) => i + 1));
  });
});
