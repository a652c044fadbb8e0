// Settled attempts as fixed-size binary slots, so they can cross to another thread in one
// transferred ArrayBuffer: the fields the reporting stage reads, and nothing that only the tracker
// needs. encodeAttempt() and decodeAttempt() are inverses for those fields (test/track/wire.test.ts).

import { Attempt, OUTCOMES, type ErrnoName } from './attempt.js';
import type { Verdict } from './outcome.js';

/** Frame numbers a slot holds: the tracker keeps at most this many per attempt (MAX_FRAMES). */
export const WIRE_FRAMES = 64;

// Float64 indices inside a slot.
const F_VERDICT = 0;
const F_FILE = 1;
const F_ADDR_LEN = 2;
const F_CLIENT4 = 3;
const F_SERVER4 = 4;
const F_CLIENT_PORT = 5;
const F_SERVER_PORT = 6;
const F_START_SEC = 7;
const F_START_NSEC = 8;
const F_START_DIGITS = 9;
const F_FIRST_FRAME = 10;
const F_SYN_COUNT = 11;
const F_ANSWER_KIND = 12;
const F_ANSWER_SEC = 13;
const F_ANSWER_NSEC = 14;
const F_ANSWER_TTL = 15;
const F_ICMP_TYPE = 16;
const F_ICMP_CODE = 17;
const F_ICMP_VERSION = 18;
const F_RESET_BY = 19;
const F_FRAME_COUNT = 20;
/** 1 when the slot carries answerFrom's bytes. */
const F_HAS_FROM = 21;
/** Byte area: client and server address (2 × 16 bytes), then answerFrom (16 bytes). */
const F_BYTES = 22;
const BYTES_DOUBLES = 6;
const F_FRAMES = F_BYTES + BYTES_DOUBLES;

/** Doubles per slot. */
export const SLOT_DOUBLES = F_FRAMES + WIRE_FRAMES;
/** Bytes per slot. */
export const SLOT_BYTES = SLOT_DOUBLES * 8;

/** Errno names in a fixed order; a verdict travels as outcome index × 16 + (errno index + 1). */
export const ERRNOS: readonly ErrnoName[] = [
  'ECONNREFUSED', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH', 'ENOPROTOOPT', 'EOPNOTSUPP', 'EHOSTDOWN', 'ENONET',
  'EPROTO', 'EACCES',
];

function outcomeCode(v: Verdict): number {
  return OUTCOMES.indexOf(v.outcome) * 16 + (v.errno === null ? 0 : ERRNOS.indexOf(v.errno) + 1);
}

/** Verdict objects by code, shared like the tracker's own. */
const verdicts = new Map<number, Verdict>();

function verdictOf(code: number): Verdict {
  let v = verdicts.get(code);
  if (v === undefined) {
    const outcome = OUTCOMES[code >> 4];
    const e = code & 15;
    if (outcome === undefined || e > ERRNOS.length) throw new Error(`wire: bad verdict code ${code}`);
    v = { outcome, errno: e === 0 ? null : ERRNOS[e - 1]! };
    verdicts.set(code, v);
  }
  return v;
}

/** A batch of slots over one ArrayBuffer. */
export class AttemptBatch {
  readonly buffer: ArrayBuffer;
  readonly f64: Float64Array;
  readonly u8: Uint8Array;
  readonly capacity: number;

  constructor(capacityOrBuffer: number | ArrayBuffer) {
    this.buffer = typeof capacityOrBuffer === 'number' ? new ArrayBuffer(capacityOrBuffer * SLOT_BYTES) : capacityOrBuffer;
    this.f64 = new Float64Array(this.buffer);
    this.u8 = new Uint8Array(this.buffer);
    this.capacity = Math.floor(this.buffer.byteLength / SLOT_BYTES);
  }
}

/** Writes a settled attempt (its verdict set) into slot `i`, with the index of its input file. */
export function encodeAttempt(a: Attempt, fileIndex: number, batch: AttemptBatch, i: number): void {
  const v = a.verdict;
  if (v === null) throw new Error('wire: attempt not settled');
  const f = batch.f64;
  const o = i * SLOT_DOUBLES;
  f[o + F_VERDICT] = outcomeCode(v);
  f[o + F_FILE] = fileIndex;
  f[o + F_ADDR_LEN] = a.addrLen;
  f[o + F_CLIENT4] = a.client4;
  f[o + F_SERVER4] = a.server4;
  f[o + F_CLIENT_PORT] = a.clientPort;
  f[o + F_SERVER_PORT] = a.serverPort;
  f[o + F_START_SEC] = a.startSec;
  f[o + F_START_NSEC] = a.startNsec;
  f[o + F_START_DIGITS] = a.startDigits;
  f[o + F_FIRST_FRAME] = a.firstFrame;
  f[o + F_SYN_COUNT] = a.synCount;
  f[o + F_ANSWER_KIND] = a.answerKind;
  f[o + F_ANSWER_SEC] = a.answerSec;
  f[o + F_ANSWER_NSEC] = a.answerNsec;
  f[o + F_ANSWER_TTL] = a.answerTtl;
  f[o + F_ICMP_TYPE] = a.icmpType;
  f[o + F_ICMP_CODE] = a.icmpCode;
  f[o + F_ICMP_VERSION] = a.icmpVersion;
  f[o + F_RESET_BY] = a.resetBy;
  const n = Math.min(a.frameCount, WIRE_FRAMES);
  f[o + F_FRAME_COUNT] = n;
  const frames = a.frames;
  for (let k = 0; k < n; k++) f[o + F_FRAMES + k] = frames[k]!;
  const u8 = batch.u8;
  const b = (o + F_BYTES) * 8;
  const len = a.addrLen;
  const addr = a.addr;
  for (let k = 0; k < 2 * len; k++) u8[b + k] = addr[k]!;
  const from = a.answerFrom;
  f[o + F_HAS_FROM] = from === null ? 0 : 1;
  if (from !== null) for (let k = 0; k < len; k++) u8[b + 32 + k] = from[k]!;
}

/**
 * Reads slot `i` into `a` (a reused object whose addr holds 32 bytes); returns the input's index.
 * answerFrom is written into `from` (16 bytes, reused too) when the slot has one.
 */
export function decodeAttempt(batch: AttemptBatch, i: number, files: readonly string[], a: Attempt, from: Buffer): number {
  const f = batch.f64;
  const o = i * SLOT_DOUBLES;
  const fileIndex = f[o + F_FILE]!;
  a.verdict = verdictOf(f[o + F_VERDICT]!);
  a.file = files[fileIndex] ?? '';
  const len = f[o + F_ADDR_LEN]!;
  a.addrLen = len;
  a.client4 = f[o + F_CLIENT4]!;
  a.server4 = f[o + F_SERVER4]!;
  a.clientPort = f[o + F_CLIENT_PORT]!;
  a.serverPort = f[o + F_SERVER_PORT]!;
  a.startSec = f[o + F_START_SEC]!;
  a.startNsec = f[o + F_START_NSEC]!;
  a.startDigits = f[o + F_START_DIGITS]!;
  a.firstFrame = f[o + F_FIRST_FRAME]!;
  a.synCount = f[o + F_SYN_COUNT]!;
  a.answerKind = f[o + F_ANSWER_KIND]!;
  a.answerSec = f[o + F_ANSWER_SEC]!;
  a.answerNsec = f[o + F_ANSWER_NSEC]!;
  a.answerTtl = f[o + F_ANSWER_TTL]!;
  a.icmpType = f[o + F_ICMP_TYPE]!;
  a.icmpCode = f[o + F_ICMP_CODE]!;
  a.icmpVersion = f[o + F_ICMP_VERSION]!;
  a.resetBy = f[o + F_RESET_BY]!;
  const n = f[o + F_FRAME_COUNT]!;
  const frames = a.frames;
  for (let k = 0; k < n; k++) {
    const x = f[o + F_FRAMES + k]!;
    if (k < frames.length) frames[k] = x;
    else frames.push(x);
  }
  a.frameCount = n;
  const u8 = batch.u8;
  const b = (o + F_BYTES) * 8;
  const addr = a.addr;
  for (let k = 0; k < 2 * len; k++) addr[k] = u8[b + k]!;
  if (f[o + F_HAS_FROM] === 1) {
    for (let k = 0; k < len; k++) from[k] = u8[b + 32 + k]!;
    a.answerFrom = from;
  } else {
    a.answerFrom = null;
  }
  a.packets = null;
  return fileIndex;
}
