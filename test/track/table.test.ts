// AttemptTable alone: lookups in both directions for IPv4 (integers held in the store) and IPv6
// (bytes), attempts sharing a bucket, the newest first on one 4-tuple, and growth of the buckets.

import { strict as assert } from 'node:assert';
import { AttemptStore } from '../../src/track/store.js';
import {
  AttemptTable,
  MATCH_FROM_CLIENT,
  MATCH_FROM_SERVER,
  MATCH_NONE,
  ip4At,
  tupleHash,
  withTunnel,
} from '../../src/track/table.js';

let st = new AttemptStore();

/** A fresh table over a fresh store. */
function table(): AttemptTable {
  st = new AttemptStore();
  return new AttemptTable(st);
}

/** An attempt's slot as the tracker fills it: addr bytes, and for IPv4 the same addresses as integers. */
function attempt(client: number[], server: number[], cport: number, sport: number, hash: number, key = 0): number {
  const s = st.alloc();
  const len = client.length;
  st.addr.set(client, s * 32);
  st.addr.set(server, s * 32 + len);
  st.addrLen[s] = len;
  st.clientPort[s] = cport;
  st.serverPort[s] = sport;
  st.hash[s] = hash;
  st.tunnelKey[s] = key;
  st.client4[s] = len === 4 ? ip4At(Buffer.from(client), 0) : 0;
  st.server4[s] = len === 4 ? ip4At(Buffer.from(server), 0) : 0;
  return s;
}

/** A packet's bytes: source address at 0, destination right after it. */
function packet(src: number[], dst: number[]): Buffer {
  return Buffer.from([...src, ...dst]);
}

const V6A = [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1];
const V6B = [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 2];

describe('AttemptTable', () => {
  it('finds IPv4 and IPv6 attempts from either direction, and nothing for another address or port', () => {
    const t = table();
    const hash = 7; // every attempt in one bucket: the comparisons decide
    const v4 = attempt([10, 0, 0, 1], [192, 168, 200, 250], 40000, 80, hash);
    const v6 = attempt(V6A, V6B, 40000, 80, hash);
    t.insert(v4);
    t.insert(v6);
    const p4 = packet([10, 0, 0, 1], [192, 168, 200, 250]);
    assert.equal(t.find(hash, p4, 0, 40000, 4, 80, 4, 0), v4);
    assert.equal(t.direction, MATCH_FROM_CLIENT);
    const r4 = packet([192, 168, 200, 250], [10, 0, 0, 1]);
    assert.equal(t.find(hash, r4, 0, 80, 4, 40000, 4, 0), v4);
    assert.equal(t.direction, MATCH_FROM_SERVER);
    assert.equal(t.find(hash, packet([10, 0, 0, 2], [192, 168, 200, 250]), 0, 40000, 4, 80, 4, 0), -1);
    assert.equal(t.direction, MATCH_NONE);
    assert.equal(t.find(hash, p4, 0, 40000, 4, 81, 4, 0), -1);
    const p6 = packet(V6B, V6A);
    assert.equal(t.find(hash, p6, 0, 80, 16, 40000, 16, 0), v6);
    assert.equal(t.direction, MATCH_FROM_SERVER);
    assert.equal(t.find(hash, packet(V6A, V6A), 0, 40000, 16, 80, 16, 0), -1);
  });

  it('prefers the newest attempt on a 4-tuple, and keeps every chain through growth', () => {
    const t = table();
    const all: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const a = attempt(
        [10, 1, (i >> 8) & 255, i & 255],
        [10, 2, 0, 1],
        30000 + (i % 7),
        443,
        (i * 2654435761) & 0x3fffffff,
      );
      t.insert(a);
      all.push(a);
    }
    const older = all[42]!;
    const port = st.clientPort[older]!;
    const hash = st.hash[older]!;
    const newer = attempt([10, 1, 0, 42], [10, 2, 0, 1], port, 443, hash);
    t.insert(newer);
    assert.equal(t.size, 5001);
    const p = packet([10, 1, 0, 42], [10, 2, 0, 1]);
    assert.equal(t.find(hash, p, 0, port, 4, 443, 4, 0), newer);
    t.delete(newer);
    assert.equal(t.find(hash, p, 0, port, 4, 443, 4, 0), older);
    for (const a of all) {
      const q = packet([...st.addr.subarray(a * 32, a * 32 + 4)], [10, 2, 0, 1]);
      assert.equal(t.find(st.hash[a]!, q, 0, st.clientPort[a]!, 4, 443, 4, 0), a);
    }
    for (const a of all) t.delete(a);
    assert.equal(t.size, 0);
    assert.equal(t.find(hash, p, 0, port, 4, 443, 4, 0), -1);
  });

  it('the tunnel key is part of the identity: one 4-tuple in VNIs 42 and 43, and bare, are three attempts', () => {
    const t = table();
    const p = packet([10, 0, 0, 1], [10, 0, 0, 2]);
    const base = tupleHash(p, 0, 40000, 4, 80, 4);
    assert.equal(withTunnel(base, 0), base, 'bare traffic keeps its hash');
    const keys = [0, 2 ** 32 + 42, 2 ** 32 + 43];
    const as = keys.map((key) => {
      const a = attempt([10, 0, 0, 1], [10, 0, 0, 2], 40000, 80, withTunnel(base, key), key);
      t.insert(a);
      return a;
    });
    assert.notEqual(withTunnel(base, keys[1]!), withTunnel(base, keys[2]!));
    keys.forEach((key, i) => {
      assert.equal(t.find(withTunnel(base, key), p, 0, 40000, 4, 80, 4, key), as[i]);
      assert.equal(t.find(withTunnel(base, key), packet([10, 0, 0, 2], [10, 0, 0, 1]), 0, 80, 4, 40000, 4, key), as[i]);
    });
    // Forced into one bucket, the key still tells them apart.
    assert.equal(t.find(withTunnel(base, keys[1]!), p, 0, 40000, 4, 80, 4, 2 ** 32 + 44), -1);
  });
});
