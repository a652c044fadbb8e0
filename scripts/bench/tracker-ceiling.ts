// The tracker's ceiling: how much faster could the handshake tracker be if its attempts lived in
// typed arrays (struct of arrays, no objects, nothing for the GC) instead of Attempt objects?
//
//   npm run build && node --import tsx scripts/bench/tracker-ceiling.ts [--file F] [--runs 3]
//
// Runs the same capture three ways in this process, alternately: decoding only; decoding and the
// real HandshakeTracker; decoding and SoaTracker below. SoaTracker is a probe, not a product: it
// keeps only the core of the state machine (SYN, SYN/ACK, ACK, RST, FIN, retransmissions, a new
// ISN on a 4-tuple; no ICMP, anomalies, filters, evictions or listing limits), with the same hash,
// a deadline heap, the established idle list, a linger FIFO and release in creation order. What it
// leaves out only makes it faster, so the difference of the medians bounds what a rewrite of the
// tracker into typed arrays could save. Default file: the benchmark capture (scripts/bench/bench.ts).

import { parseArgs } from 'node:util';
import { openCapture } from '../../src/capture/open.js';
import type { Frame } from '../../src/capture/source.js';
import { decodePacket } from '../../src/decode/packet.js';
import { DECODE_OK, PacketView } from '../../src/decode/view.js';
import { DEFAULT_TRACKER_OPTIONS, HandshakeTracker } from '../../src/track/handshakes.js';
import { tupleHash } from '../../src/track/table.js';

const CAP = 1 << 17; // slots
const MASK_B = (1 << 17) - 1;
const MAXF = 64;

class SoaTracker {
  private readonly onRelease: (slot: number) => void;
  private readonly head = new Int32Array(MASK_B + 1).fill(-1);
  private readonly next = new Int32Array(CAP);
  private readonly hash = new Int32Array(CAP);
  private readonly c4 = new Int32Array(CAP);
  private readonly s4 = new Int32Array(CAP);
  private readonly cp = new Int32Array(CAP);
  private readonly sp = new Int32Array(CAP);
  private readonly v6 = new Uint8Array(CAP);
  private readonly addr = new Uint8Array(CAP * 32);
  private readonly isn = new Int32Array(CAP);
  private readonly sisn = new Int32Array(CAP);
  private readonly state = new Uint8Array(CAP);
  private readonly syns = new Int32Array(CAP);
  private readonly ready = new Uint8Array(CAP);
  private readonly inTable = new Uint8Array(CAP);
  /** Per slot, 8 times: 0 first SYN, 1 last SYN, 2 last activity, 3 answer, 4 SYN/ACK, 5 deadline, 6 done. */
  private readonly t = new Float64Array(CAP * 8);
  private readonly frames = new Int32Array(CAP * MAXF);
  private readonly nframes = new Int32Array(CAP);
  private readonly heap = new Int32Array(CAP);
  private readonly hidx = new Int32Array(CAP).fill(-1);
  private hn = 0;
  private readonly lprev = new Int32Array(CAP).fill(-1);
  private readonly lnext = new Int32Array(CAP).fill(-1);
  private lhead = -1;
  private ltail = -1;
  private readonly linger = new Int32Array(CAP);
  private lgH = 0;
  private lgT = 0;
  private readonly order = new Int32Array(CAP);
  private oH = 0;
  private oT = 0;
  private readonly free = new Int32Array(CAP);
  private nfree = CAP;
  private now = 0;
  private base = -1;
  private dir = 0;

  constructor(onRelease: (slot: number) => void) {
    this.onRelease = onRelease;
    for (let i = 0; i < CAP; i++) this.free[i] = CAP - 1 - i;
  }
  find(h: number, b: Buffer, so: number, sport: number, d: number, dport: number, len: number): number {
    let s = this.head[h & MASK_B];
    if (len === 4) {
      const src = (b[so] << 24) | (b[so + 1] << 16) | (b[so + 2] << 8) | b[so + 3];
      const dst = (b[d] << 24) | (b[d + 1] << 16) | (b[d + 2] << 8) | b[d + 3];
      while (s >= 0) {
        if (this.v6[s] === 0) {
          if (this.cp[s] === sport && this.sp[s] === dport && this.c4[s] === src && this.s4[s] === dst) { this.dir = 1; return s; }
          if (this.cp[s] === dport && this.sp[s] === sport && this.c4[s] === dst && this.s4[s] === src) { this.dir = 2; return s; }
        }
        s = this.next[s];
      }
      return -1;
    }
    while (s >= 0) {
      if (this.v6[s] === 1) {
        const o = s * 32;
        if (this.cp[s] === sport && this.sp[s] === dport && same(this.addr, o, b, so) && same(this.addr, o + 16, b, d)) { this.dir = 1; return s; }
        if (this.cp[s] === dport && this.sp[s] === sport && same(this.addr, o, b, d) && same(this.addr, o + 16, b, so)) { this.dir = 2; return s; }
      }
      s = this.next[s];
    }
    return -1;
  }
  packet(f: Frame, v: PacketView): void {
    if (this.base < 0) this.base = f.tsSec;
    const t = (f.tsSec - this.base) + f.tsNsec * 1e-9;
    if (t > this.now) { this.now = t; this.expire(t); }
    if (v.kind !== 1) return;
    const b = v.buf, len = v.addrLen;
    const h = tupleHash(b, v.srcOff, v.srcPort, v.dstOff, v.dstPort, len);
    const s = this.find(h, b, v.srcOff, v.srcPort, v.dstOff, v.dstPort, len);
    const flags = v.flags;
    if ((flags & 0x12) === 0x02) { // SYN
      if (s >= 0) {
        if (this.isn[s] === (v.seq | 0)) { this.attach(s, f.number); this.syns[s]++; this.t[s * 8 + 1] = t; this.touch(s, t); return; }
        if (this.state[s] !== 4) this.unlink(s); // superseded: leaves the table
      }
      if (this.nfree === 0) {
        throw new Error(`the probe holds at most ${CAP} attempts at once (frame ${f.number}): not made for floods`);
      }
      const n = this.free[--this.nfree]!;
      this.hash[n] = h; this.v6[n] = len === 16 ? 1 : 0;
      if (len === 4) {
        this.c4[n] = (b[v.srcOff] << 24) | (b[v.srcOff + 1] << 16) | (b[v.srcOff + 2] << 8) | b[v.srcOff + 3];
        this.s4[n] = (b[v.dstOff] << 24) | (b[v.dstOff + 1] << 16) | (b[v.dstOff + 2] << 8) | b[v.dstOff + 3];
      } else {
        const o = n * 32;
        for (let i = 0; i < 16; i++) { this.addr[o + i] = b[v.srcOff + i]; this.addr[o + 16 + i] = b[v.dstOff + i]; }
      }
      this.cp[n] = v.srcPort; this.sp[n] = v.dstPort; this.isn[n] = v.seq | 0; this.state[n] = 1; this.syns[n] = 1; this.ready[n] = 0;
      const tb = n * 8; this.t[tb] = t; this.t[tb + 1] = t; this.t[tb + 2] = t; this.t[tb + 5] = t + 5;
      this.nframes[n] = 0; this.attach(n, f.number);
      this.next[n] = this.head[h & MASK_B]; this.head[h & MASK_B] = n; this.inTable[n] = 1;
      this.heapPush(n);
      this.order[this.oT++ & (CAP - 1)] = n;
      return;
    }
    if (s < 0) return;
    const st = this.state[s], fromClient = this.dir === 1;
    if (st === 1) {
      if (!fromClient && (flags & 0x02) !== 0 && v.ack === ((this.isn[s] + 1) >>> 0)) { this.sisn[s] = v.seq | 0; this.state[s] = 2; this.t[s * 8 + 3] = t; this.t[s * 8 + 4] = t; this.attach(s, f.number); this.touch(s, t); }
      else if (!fromClient && (flags & 0x14) === 0x14) { this.attach(s, f.number); this.decide(s, t); }
    } else if (st === 2) {
      if (fromClient && (flags & 0x05) !== 0) { this.attach(s, f.number); this.decide(s, t); }
      else if (fromClient && (flags & 0x10) !== 0 && v.ack === ((this.sisn[s] + 1) >>> 0)) { this.attach(s, f.number); this.heapRemove(s); this.state[s] = 3; this.lruPush(s); this.t[s * 8 + 2] = t; }
      else if (!fromClient && (flags & 0x04) !== 0) { this.attach(s, f.number); this.decide(s, t); }
    } else if (st === 3) {
      if ((flags & 0x05) !== 0) { this.attach(s, f.number); this.lruRemove(s); this.state[s] = 4; this.t[s * 8 + 6] = t; this.linger[this.lgT++ & (CAP - 1)] = s; return; }
      this.t[s * 8 + 2] = t;
      if (this.ltail !== s) { this.lruRemove(s); this.lruPush(s); }
    }
  }
  attach(s: number, fr: number): void { const k = this.nframes[s]; if (k < MAXF) { this.frames[s * MAXF + k] = fr; this.nframes[s] = k + 1; } }
  touch(s: number, t: number): void { this.t[s * 8 + 2] = t; if (this.hidx[s] >= 0) { this.t[s * 8 + 5] = t + 5; this.heapDown(this.hidx[s]); this.heapUp(this.hidx[s]); } }
  decide(s: number, t: number): void { if (this.hidx[s] >= 0) this.heapRemove(s); this.state[s] = 4; this.t[s * 8 + 6] = t; this.linger[this.lgT++ & (CAP - 1)] = s; }
  expire(now: number): void {
    let rel = false;
    while (this.lgH !== this.lgT) { const s = this.linger[this.lgH & (CAP - 1)]; if (this.t[s * 8 + 6] + 0.5 > now) break; this.lgH++; this.retire(s); rel = true; }
    while (this.hn > 0) { const s = this.heap[0]; if (this.t[s * 8 + 5] > now) break; this.heapRemove(s); this.state[s] = 4; this.retire(s); rel = true; }
    while (this.lhead >= 0) { const s = this.lhead; if (this.t[s * 8 + 2] + 300 > now) break; this.lruRemove(s); this.retire(s); rel = true; }
    if (rel) this.drain();
  }
  retire(s: number): void { if (this.inTable[s]) this.unlink(s); this.ready[s] = 1; }
  drain(): void {
    while (this.oH !== this.oT) { const s = this.order[this.oH & (CAP - 1)]; if (!this.ready[s]) break; this.oH++; this.onRelease(s); this.free[this.nfree++] = s; }
  }
  finish(): void { while (this.hn > 0) { const s = this.heap[0]; this.heapRemove(s); this.retire(s); } while (this.lhead >= 0) { const s = this.lhead; this.lruRemove(s); this.retire(s); } while (this.lgH !== this.lgT) { this.retire(this.linger[this.lgH++ & (CAP - 1)]); } this.drain(); }
  unlink(s: number): void {
    const i = this.hash[s] & MASK_B; let p = -1, c = this.head[i];
    while (c >= 0 && c !== s) { p = c; c = this.next[c]; }
    if (c < 0) return;
    if (p < 0) this.head[i] = this.next[s]; else this.next[p] = this.next[s];
    this.inTable[s] = 0;
  }
  lruPush(s: number): void { this.lprev[s] = this.ltail; this.lnext[s] = -1; if (this.ltail >= 0) this.lnext[this.ltail] = s; else this.lhead = s; this.ltail = s; }
  lruRemove(s: number): void { const p = this.lprev[s], n = this.lnext[s]; if (p >= 0) this.lnext[p] = n; else this.lhead = n; if (n >= 0) this.lprev[n] = p; else this.ltail = p; }
  heapPush(s: number): void { const i = this.hn++; this.heap[i] = s; this.hidx[s] = i; this.heapUp(i); }
  heapRemove(s: number): void { const i = this.hidx[s]; const last = this.heap[--this.hn]; if (last !== s) { this.heap[i] = last; this.hidx[last] = i; this.heapDown(i); this.heapUp(this.hidx[last]); } this.hidx[s] = -1; }
  heapUp(i: number): void { const h = this.heap, T = this.t, s = h[i], d = T[s * 8 + 5]; while (i > 0) { const p = (i - 1) >> 1, q = h[p]; if (T[q * 8 + 5] <= d) break; h[i] = q; this.hidx[q] = i; i = p; } h[i] = s; this.hidx[s] = i; }
  heapDown(i: number): void { const h = this.heap, T = this.t, n = this.hn, s = h[i], d = T[s * 8 + 5]; for (;;) { let c = 2 * i + 1; if (c >= n) break; if (c + 1 < n && T[h[c + 1] * 8 + 5] < T[h[c] * 8 + 5]) c++; const q = h[c]; if (T[q * 8 + 5] >= d) break; h[i] = q; this.hidx[q] = i; i = c; } h[i] = s; this.hidx[s] = i; }
}
function same(a: Uint8Array, ao: number, b: Buffer, bo: number): boolean { for (let i = 0; i < 16; i++) if (a[ao + i] !== b[bo + i]) return false; return true; }

type Kind = 'decode' | 'objects' | 'soa';

/** One pass over the file; resolves to [wall ms, attempts released]. */
async function run(kind: Kind, file: string): Promise<[number, number]> {
  const v = new PacketView();
  let n = 0;
  let soa: SoaTracker | null = null;
  let objects: HandshakeTracker | null = null;
  if (kind === 'soa') soa = new SoaTracker(() => { n++; });
  if (kind === 'objects') objects = new HandshakeTracker(['f'], DEFAULT_TRACKER_OPTIONS, () => { n++; });
  const t0 = performance.now();
  const src = await openCapture(file);
  await src.run((f) => {
    const st = decodePacket(f.data, f.offset, f.offset + f.caplen, f.linkType, v);
    if (st !== DECODE_OK) return;
    if (soa !== null) soa.packet(f, v);
    else if (objects !== null) objects.packet(f, v);
  });
  soa?.finish();
  objects?.finish();
  return [performance.now() - t0, n];
}

const { values } = parseArgs({ options: { file: { type: 'string' }, runs: { type: 'string' } } });
const file = values.file ?? '/tmp/synscope-bench/synth.pcap';
const runs = Number(values.runs ?? '3');
const times: Record<Kind, number[]> = { decode: [], objects: [], soa: [] };
for (let r = 0; r < runs; r++) {
  for (const k of ['decode', 'objects', 'soa'] as const) {
    const [ms, n] = await run(k, file).catch((e: unknown): never => {
      process.stderr.write(`tracker-ceiling: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    });
    times[k].push(ms);
    process.stdout.write(`run ${r + 1} ${k.padEnd(7)} ${ms.toFixed(0)} ms, ${n} attempts released\n`);
  }
}
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const d = median(times.decode);
process.stdout.write(`median: decoding ${d.toFixed(0)} ms; the tracker +${(median(times.objects) - d).toFixed(0)} ms; `
  + `the typed-array probe +${(median(times.soa) - d).toFixed(0)} ms\n`);
