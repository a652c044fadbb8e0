// The attempts the tracker holds, as a struct of arrays: one typed array per field, indexed by a
// slot number, slots reused through a free list. Nothing here is an object per attempt: the fields
// a packet touches are numbers in arrays, so the garbage collector has nothing to trace or move.
// The arrays double when every slot is taken; code holding an array across alloc() must reload it.
//
// An attempt's life (status), in one field:
//
//   OPEN ──────────────► LINGERING ──► SETTLED ──► (reported) FREE
//    │  │  (answer)          ▲            ▲
//    │  └─► CONNECTED ───────┘ (rst/fins)  │ (silence, idle, end of input, eviction)
//    │  └─► REJECTED ──(retransmission)──► OPEN
//    └─► SUPERSEDED (a new ISN took its 4-tuple) ──► SETTLED
//   any unsettled ──(live silence, a full table or listing queue)──► TOMBSTONE ──► SETTLED / FREE
//
// `reported` is the one other bit: the reporter has the attempt (the listing may hold a settled
// attempt back until every attempt that started before it is settled). A slot is free once its
// attempt is reported and has left the table.

import type { Verdict } from './outcome.js';

/** The slot holds no attempt. */
export const S_FREE = 0;
/** A handshake in progress (SYN sent, or SYN/ACK seen): in the table, on the deadline heap. */
export const S_OPEN = 1;
/** An open handshake whose 4-tuple a new ISN took over: out of the table, on the heap until its verdict. */
export const S_SUPERSEDED = 2;
/** An established connection that has not ended: in the table, on the idle list. */
export const S_CONNECTED = 3;
/**
 * Decided (answered, aborted, closed, reset): lingers in the table for copies of its packets, and for
 * the SYN a Windows client sends again after a reset.
 */
export const S_LINGERING = 4;
/** Rejected by an ICMP error: waits for a retransmission that would show the error was soft. */
export const S_REJECTED = 5;
/** Has its verdict and has left the table: waits only for its turn in the listing. */
export const S_SETTLED = 6;
/** Has its verdict and stays in the table (live, or settled early) so late retransmissions join it. */
export const S_TOMBSTONE = 7;

/** Frame numbers held in the arrays per attempt; the rest (up to MAX_FRAMES) in a per-slot array. */
export const FRAMES_INLINE = 8;

const INITIAL_SLOTS = 1024;

function grown<T extends Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array | Int16Array>(
  a: T,
  n: number,
): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

export class AttemptStore {
  capacity = INITIAL_SLOTS;
  /** Slots in use. */
  used = 0;
  private free = new Int32Array(INITIAL_SLOTS);
  private freeCount = 0;
  /** Slots never used yet start here. */
  private fresh = 0;

  // --- lifecycle ---
  status = new Uint8Array(INITIAL_SLOTS);
  reported = new Uint8Array(INITIAL_SLOTS);
  /** ST_* handshake progress and END_* how it ended (outcome.ts reads them). */
  state = new Uint8Array(INITIAL_SLOTS);
  end = new Uint8Array(INITIAL_SLOTS);
  verdict: (Verdict | null)[] = [];

  // --- identity (table.ts) ---
  hash = new Int32Array(INITIAL_SLOTS);
  /** Next slot in the same hash bucket, -1 at the end. */
  chain = new Int32Array(INITIAL_SLOTS);
  addrLen = new Uint8Array(INITIAL_SLOTS);
  client4 = new Int32Array(INITIAL_SLOTS);
  server4 = new Int32Array(INITIAL_SLOTS);
  clientPort = new Uint16Array(INITIAL_SLOTS);
  serverPort = new Uint16Array(INITIAL_SLOTS);
  /** 32 bytes per slot: client address then server address, addrLen bytes each. */
  addr = new Uint8Array(INITIAL_SLOTS * 32);
  tunnelKey = new Float64Array(INITIAL_SLOTS);
  tunnelKind = new Uint8Array(INITIAL_SLOTS);
  tunnelId = new Float64Array(INITIAL_SLOTS);
  outerLen = new Uint8Array(INITIAL_SLOTS);
  /** 32 bytes per slot: the tunnel's outer source (at 0) and destination (at 16). */
  outer = new Uint8Array(INITIAL_SLOTS * 32);
  fileIndex = new Int32Array(INITIAL_SLOTS);

  // --- the handshake ---
  isn = new Uint32Array(INITIAL_SLOTS);
  serverIsn = new Uint32Array(INITIAL_SLOTS);
  clientNext = new Uint32Array(INITIAL_SLOTS);
  serverNext = new Uint32Array(INITIAL_SLOTS);
  synLen = new Int32Array(INITIAL_SLOTS);
  synCount = new Int32Array(INITIAL_SLOTS);
  /** SYNs sent when the answer came (synCount goes on counting those sent after it); 0 until answered. */
  synsAtAnswer = new Int32Array(INITIAL_SLOTS);
  startSec = new Float64Array(INITIAL_SLOTS);
  startNsec = new Int32Array(INITIAL_SLOTS);
  startDigits = new Uint8Array(INITIAL_SLOTS);
  firstFrame = new Float64Array(INITIAL_SLOTS);
  firstSynTime = new Float64Array(INITIAL_SLOTS);
  lastSynTime = new Float64Array(INITIAL_SLOTS);
  lastActivity = new Float64Array(INITIAL_SLOTS);
  lastGap = new Float64Array(INITIAL_SLOTS);
  doneTime = new Float64Array(INITIAL_SLOTS);
  answerKind = new Uint8Array(INITIAL_SLOTS);
  /** 1 when answerFrom (16 bytes per slot) holds the ICMP sender's address. */
  hasFrom = new Uint8Array(INITIAL_SLOTS);
  answerFrom = new Uint8Array(INITIAL_SLOTS * 16);
  answerSec = new Float64Array(INITIAL_SLOTS);
  answerNsec = new Int32Array(INITIAL_SLOTS);
  answerTtl = new Int16Array(INITIAL_SLOTS);
  icmpType = new Int16Array(INITIAL_SLOTS);
  icmpCode = new Int16Array(INITIAL_SLOTS);
  icmpVersion = new Uint8Array(INITIAL_SLOTS);
  synAckTime = new Float64Array(INITIAL_SLOTS);
  ackTime = new Float64Array(INITIAL_SLOTS);
  synAckDelay = new Float64Array(INITIAL_SLOTS);
  connectDelay = new Float64Array(INITIAL_SLOTS);
  resetBy = new Uint8Array(INITIAL_SLOTS);
  serverPackets = new Int32Array(INITIAL_SLOTS);
  unseenAcks = new Int32Array(INITIAL_SLOTS);
  doubt = new Uint8Array(INITIAL_SLOTS);
  /** Bit 1: the client sent FIN; bit 2: the server did. */
  fins = new Uint8Array(INITIAL_SLOTS);

  // --- frames ---
  frameCount = new Uint8Array(INITIAL_SLOTS);
  /** FRAMES_INLINE per slot; frames past them in moreFrames. */
  frames = new Float64Array(INITIAL_SLOTS * FRAMES_INLINE);
  moreFrames: (number[] | null)[] = [];
  /** Only once an attempt's frames span inputs: the input of each frame. */
  frameFiles: (number[] | null)[] = [];

  // --- timers (table.ts; an open handshake's deadline is kept on the heap, expiry.ts) ---
  listPrev = new Int32Array(INITIAL_SLOTS);
  listNext = new Int32Array(INITIAL_SLOTS);

  /** A slot for a new attempt, its fields to be set by the caller (tracker.ts's start()). */
  alloc(): number {
    let s: number;
    if (this.freeCount > 0) s = this.free[--this.freeCount]!;
    else {
      if (this.fresh === this.capacity) this.grow();
      s = this.fresh++;
    }
    this.used++;
    return s;
  }

  /** Gives a slot back: its objects are let go, its numbers overwritten by the next alloc(). */
  release(s: number): void {
    this.status[s] = S_FREE;
    this.verdict[s] = null;
    this.moreFrames[s] = null;
    this.frameFiles[s] = null;
    this.free[this.freeCount++] = s;
    this.used--;
  }

  /** Frame number `i` of slot `s`. */
  frameAt(s: number, i: number): number {
    return i < FRAMES_INLINE ? this.frames[s * FRAMES_INLINE + i]! : this.moreFrames[s]![i - FRAMES_INLINE]!;
  }

  setFrame(s: number, i: number, n: number): void {
    if (i < FRAMES_INLINE) {
      this.frames[s * FRAMES_INLINE + i] = n;
      return;
    }
    let more = this.moreFrames[s] ?? null;
    if (more === null) this.moreFrames[s] = more = [];
    more[i - FRAMES_INLINE] = n;
  }

  private grow(): void {
    const n = this.capacity * 2;
    this.capacity = n;
    this.free = grown(this.free, n);
    this.status = grown(this.status, n);
    this.reported = grown(this.reported, n);
    this.state = grown(this.state, n);
    this.end = grown(this.end, n);
    this.hash = grown(this.hash, n);
    this.chain = grown(this.chain, n);
    this.addrLen = grown(this.addrLen, n);
    this.client4 = grown(this.client4, n);
    this.server4 = grown(this.server4, n);
    this.clientPort = grown(this.clientPort, n);
    this.serverPort = grown(this.serverPort, n);
    this.addr = grown(this.addr, n * 32);
    this.tunnelKey = grown(this.tunnelKey, n);
    this.tunnelKind = grown(this.tunnelKind, n);
    this.tunnelId = grown(this.tunnelId, n);
    this.outerLen = grown(this.outerLen, n);
    this.outer = grown(this.outer, n * 32);
    this.fileIndex = grown(this.fileIndex, n);
    this.isn = grown(this.isn, n);
    this.serverIsn = grown(this.serverIsn, n);
    this.clientNext = grown(this.clientNext, n);
    this.serverNext = grown(this.serverNext, n);
    this.synLen = grown(this.synLen, n);
    this.synCount = grown(this.synCount, n);
    this.synsAtAnswer = grown(this.synsAtAnswer, n);
    this.startSec = grown(this.startSec, n);
    this.startNsec = grown(this.startNsec, n);
    this.startDigits = grown(this.startDigits, n);
    this.firstFrame = grown(this.firstFrame, n);
    this.firstSynTime = grown(this.firstSynTime, n);
    this.lastSynTime = grown(this.lastSynTime, n);
    this.lastActivity = grown(this.lastActivity, n);
    this.lastGap = grown(this.lastGap, n);
    this.doneTime = grown(this.doneTime, n);
    this.answerKind = grown(this.answerKind, n);
    this.hasFrom = grown(this.hasFrom, n);
    this.answerFrom = grown(this.answerFrom, n * 16);
    this.answerSec = grown(this.answerSec, n);
    this.answerNsec = grown(this.answerNsec, n);
    this.answerTtl = grown(this.answerTtl, n);
    this.icmpType = grown(this.icmpType, n);
    this.icmpCode = grown(this.icmpCode, n);
    this.icmpVersion = grown(this.icmpVersion, n);
    this.synAckTime = grown(this.synAckTime, n);
    this.ackTime = grown(this.ackTime, n);
    this.synAckDelay = grown(this.synAckDelay, n);
    this.connectDelay = grown(this.connectDelay, n);
    this.resetBy = grown(this.resetBy, n);
    this.serverPackets = grown(this.serverPackets, n);
    this.unseenAcks = grown(this.unseenAcks, n);
    this.doubt = grown(this.doubt, n);
    this.fins = grown(this.fins, n);
    this.frameCount = grown(this.frameCount, n);
    this.frames = grown(this.frames, n * FRAMES_INLINE);
    this.listPrev = grown(this.listPrev, n);
    this.listNext = grown(this.listNext, n);
  }
}
