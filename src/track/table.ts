// Attempts by 4-tuple, without allocating on lookup: a typed array of buckets indexed by a symmetric hash,
// each a chain of slots (AttemptStore.chain), compared with the packet (IPv4 as integers, IPv6 byte by byte).
// Chains rather than open addressing: a decided attempt may still linger on the 4-tuple a new SYN takes,
// and the newest must be found first. Also the timer lists that expiry.ts walks, linked through the
// store's arrays (the open handshakes' deadlines are on a heap: src/heap.ts).

import type { AttemptStore } from './store.js';

/**
 * FNV-1a over one endpoint (address bytes, then the port's two bytes); IPv4 has its own below. The
 * 4-tuple hash is the sum of both endpoints' hashes, so a packet finds its attempt whichever way it
 * travels.
 */
export function endpointHash(buf: Buffer, off: number, len: number, port: number): number {
  let h = 0x811c9dc5;
  for (let i = off; i < off + len; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  h = Math.imul(h ^ (port >>> 8), 0x01000193);
  h = Math.imul(h ^ (port & 0xff), 0x01000193);
  return h >>> 0;
}

/** An IPv4 endpoint's hash, from the address as an integer: a few multiplications instead of six FNV rounds. */
function endpointHash4(ip: number, port: number): number {
  let h = Math.imul(ip ^ Math.imul(port, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function tupleHash(buf: Buffer, aOff: number, aPort: number, bOff: number, bPort: number, len: number): number {
  // 30 bits: a small integer (Smi) for V8, never boxed.
  if (len === 4) {
    return (endpointHash4(ip4At(buf, aOff), aPort) + endpointHash4(ip4At(buf, bOff), bPort)) & 0x3fffffff;
  }
  return (endpointHash(buf, aOff, len, aPort) + endpointHash(buf, bOff, len, bPort)) & 0x3fffffff;
}

/**
 * The 4-tuple hash of a tunnelled packet: mixed with its tunnel key (decode/view.ts), so equal inner 4-tuples
 * in different VNIs fall apart; bare traffic (key 0) keeps tupleHash() as it is.
 */
export function withTunnel(hash: number, key: number): number {
  if (key === 0) return hash;
  let h = Math.imul(hash ^ (key % 0x40000000), 0x01000193);
  h = Math.imul(h ^ Math.floor(key / 0x40000000), 0x01000193);
  return h & 0x3fffffff;
}

/** The 4 bytes at buf[off] as a signed 32-bit integer (how the store's client4 / server4 hold them). */
export function ip4At(buf: Buffer, off: number): number {
  return (buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!;
}

function sameBytes(a: Uint8Array, aOff: number, b: Buffer, bOff: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}

/** Orientation of a lookup match. */
export const MATCH_NONE = 0;
/** The packet goes client → server. */
export const MATCH_FROM_CLIENT = 1;
/** The packet goes server → client. */
export const MATCH_FROM_SERVER = 2;

/** One timer list: slots in the order their deadline was set, each deadline = a key + a fixed wait. */
export class TimerList {
  head = -1;
  tail = -1;
  size = 0;
  private readonly st: AttemptStore;
  constructor(store: AttemptStore) {
    this.st = store;
  }

  push(s: number): void {
    const st = this.st;
    st.listPrev[s] = this.tail;
    st.listNext[s] = -1;
    if (this.tail >= 0) st.listNext[this.tail] = s;
    else this.head = s;
    this.tail = s;
    this.size++;
  }

  remove(s: number): void {
    const st = this.st;
    const prev = st.listPrev[s]!;
    const next = st.listNext[s]!;
    if (prev >= 0) st.listNext[prev] = next;
    else this.head = next;
    if (next >= 0) st.listPrev[next] = prev;
    else this.tail = prev;
    this.size--;
  }

  /** Moves `s` to the end, as if pushed now. */
  touch(s: number): void {
    if (this.tail === s) return;
    this.remove(s);
    this.push(s);
  }
}

/** First size of the bucket array; it doubles whenever the table holds more attempts than buckets. */
const INITIAL_BUCKETS = 1024;

export class AttemptTable {
  /** Bucket heads (slots, -1 for none) over a power-of-two array indexed by the hash's low bits. */
  private buckets = new Int32Array(INITIAL_BUCKETS).fill(-1);
  private mask = INITIAL_BUCKETS - 1;
  size = 0;
  /** Set by find(): which way the matched packet travels (MATCH_*). */
  direction = MATCH_NONE;
  private readonly st: AttemptStore;
  constructor(store: AttemptStore) {
    this.st = store;
  }

  /**
   * The newest attempt whose 4-tuple is the packet's (src, sport) → (dst, dport) in either
   * direction, carried in the same tunnel (`key`, 0 for bare), or -1; sets `direction`. `hash` is
   * withTunnel(tupleHash(), key) of the same endpoints.
   */
  find(
    hash: number,
    buf: Buffer,
    srcOff: number,
    srcPort: number,
    dstOff: number,
    dstPort: number,
    len: number,
    key: number,
  ): number {
    const st = this.st;
    const chain = st.chain;
    const addrLen = st.addrLen;
    const tunnelKey = st.tunnelKey;
    const cp = st.clientPort;
    const sp = st.serverPort;
    let s = this.buckets[hash & this.mask]!;
    if (len === 4) {
      // IPv4: compare the integers held in the store; no address bytes are read.
      const src = ip4At(buf, srcOff);
      const dst = ip4At(buf, dstOff);
      const c4 = st.client4;
      const s4 = st.server4;
      while (s >= 0) {
        if (addrLen[s] === 4 && tunnelKey[s] === key) {
          if (cp[s] === srcPort && sp[s] === dstPort && c4[s] === src && s4[s] === dst) {
            this.direction = MATCH_FROM_CLIENT;
            return s;
          }
          if (cp[s] === dstPort && sp[s] === srcPort && c4[s] === dst && s4[s] === src) {
            this.direction = MATCH_FROM_SERVER;
            return s;
          }
        }
        s = chain[s]!;
      }
      this.direction = MATCH_NONE;
      return -1;
    }
    const addr = st.addr;
    while (s >= 0) {
      if (addrLen[s] === len && tunnelKey[s] === key) {
        const o = s * 32;
        if (
          cp[s] === srcPort &&
          sp[s] === dstPort &&
          sameBytes(addr, o, buf, srcOff, len) &&
          sameBytes(addr, o + len, buf, dstOff, len)
        ) {
          this.direction = MATCH_FROM_CLIENT;
          return s;
        }
        if (
          cp[s] === dstPort &&
          sp[s] === srcPort &&
          sameBytes(addr, o, buf, dstOff, len) &&
          sameBytes(addr, o + len, buf, srcOff, len)
        ) {
          this.direction = MATCH_FROM_SERVER;
          return s;
        }
      }
      s = chain[s]!;
    }
    this.direction = MATCH_NONE;
    return -1;
  }

  /** Adds an attempt in front of its bucket, so find() prefers it to older ones on the same 4-tuple. */
  insert(s: number): void {
    if (2 * this.size >= this.buckets.length) this.grow();
    const i = this.st.hash[s]! & this.mask;
    this.st.chain[s] = this.buckets[i]!;
    this.buckets[i] = s;
    this.size++;
  }

  /** Doubles the bucket array; each chain splits in two, keeping its order (newest first). */
  private grow(): void {
    const old = this.buckets;
    const size = old.length * 2;
    const next = new Int32Array(size).fill(-1);
    const tails = new Int32Array(size).fill(-1);
    const mask = size - 1;
    const chain = this.st.chain;
    const hash = this.st.hash;
    for (let i = 0; i < old.length; i++) {
      let s = old[i]!;
      while (s >= 0) {
        const after = chain[s]!;
        const j = hash[s]! & mask;
        chain[s] = -1;
        const tail = tails[j]!;
        if (tail < 0) next[j] = s;
        else chain[tail] = s;
        tails[j] = s;
        s = after;
      }
    }
    this.buckets = next;
    this.mask = mask;
  }

  /** Takes an attempt out of its chain (it must be in the table). */
  delete(s: number): void {
    const chain = this.st.chain;
    const i = this.st.hash[s]! & this.mask;
    let prev = -1;
    let cur = this.buckets[i]!;
    while (cur >= 0 && cur !== s) {
      prev = cur;
      cur = chain[cur]!;
    }
    if (cur < 0) return;
    if (prev < 0) this.buckets[i] = chain[s]!;
    else chain[prev] = chain[s]!;
    chain[s] = -1;
    this.size--;
  }
}
