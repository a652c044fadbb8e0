// Settled attempts as binary slots, so they can cross to another thread in one transferred
// ArrayBuffer: the fields the reporting stage reads, and nothing that only the tracker needs.
// AttemptBatch.add() and next() are inverses for those fields (test/track/wire.test.ts).

import { SettledAttempt, Carrier, MAX_FRAMES, OUTCOMES, type ErrnoName } from './attempt.js';
import type { Verdict } from './outcome.js';

// Float64 indices inside a slot; the frame numbers end it.
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
/** 1 when the frames span inputs: each frame number is then followed by its input's index. */
const F_SPANS = 22;
const F_TUNNEL_KIND = 23;
const F_TUNNEL_ID = 24;
const F_TUNNEL_KEY = 25;
const F_OUTER_LEN = 26;
const F_SYNACK_DELAY = 27;
const F_CONNECT_DELAY = 28;
const F_DOUBT = 29;
const F_SERVER_PACKETS = 30;
const F_UNSEEN_ACKS = 31;
/** Byte area: client and server address (2 × 16 bytes), answerFrom (16 bytes), the tunnel's outer source and destination (2 × 16). */
const F_BYTES = 32;
const BYTES_DOUBLES = 10;
const B_FROM = 32;
const B_OUTER = 48;
const F_FRAMES = F_BYTES + BYTES_DOUBLES;

/** Bytes of the largest slot (MAX_FRAMES frame numbers, each with its input); most are a sixth of that. */
export const MAX_SLOT_BYTES = (F_FRAMES + 2 * MAX_FRAMES) * 8;

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

/**
 * Attempts packed one after the other in one ArrayBuffer, each slot as long as its frame list:
 * add() until it says the batch is full, send the buffer, and read them back in order with next().
 */
export class AttemptBatch {
  readonly buffer: ArrayBuffer;
  private readonly f64: Float64Array;
  private readonly u8: Uint8Array;
  /** Attempts in the batch. */
  count = 0;
  /** Doubles written (add) or read (next) so far. */
  private pos = 0;
  /** Doubles holding attempts: the end for next(). */
  private end: number;

  /** A new, empty batch of `bytes` (a multiple of 8), or the attempts `count`/`used` of a received buffer. */
  constructor(bytesOrBuffer: number | ArrayBuffer, count = 0, used = 0) {
    this.buffer = typeof bytesOrBuffer === 'number' ? new ArrayBuffer(bytesOrBuffer) : bytesOrBuffer;
    this.f64 = new Float64Array(this.buffer);
    this.u8 = new Uint8Array(this.buffer);
    this.count = count;
    this.end = used;
  }

  /** Doubles in use, to send along with the buffer. */
  get used(): number {
    return this.end;
  }

  /** Empties the batch for reuse. */
  clear(): void {
    this.count = 0;
    this.pos = 0;
    this.end = 0;
  }

  /** Appends a settled attempt; false, with nothing written, when the batch has no room for it. */
  add(a: SettledAttempt): boolean {
    const v = a.verdict;
    const n = Math.min(a.frameCount, MAX_FRAMES);
    const spans = a.spans;
    const size = spans ? 2 * n : n;
    const o = this.end;
    if (o + F_FRAMES + size > this.f64.length) return false;
    const f = this.f64;
    f[o + F_VERDICT] = outcomeCode(v);
    f[o + F_FILE] = a.fileIndex;
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
    const carrier = a.tunnelKey === 0 ? null : a.carrier;
    f[o + F_TUNNEL_KEY] = a.tunnelKey;
    f[o + F_TUNNEL_KIND] = carrier === null ? 0 : carrier.kind;
    f[o + F_TUNNEL_ID] = carrier === null ? -1 : carrier.id;
    f[o + F_OUTER_LEN] = carrier === null ? 0 : carrier.outerLen;
    f[o + F_SYNACK_DELAY] = a.synAckDelay;
    f[o + F_CONNECT_DELAY] = a.connectDelay;
    f[o + F_DOUBT] = a.doubt;
    f[o + F_SERVER_PACKETS] = a.serverPackets;
    f[o + F_UNSEEN_ACKS] = a.unseenAcks;
    f[o + F_FRAME_COUNT] = n;
    f[o + F_SPANS] = spans ? 1 : 0;
    const frames = a.frames;
    if (spans) {
      const files = a.frameFiles;
      for (let k = 0; k < n; k++) {
        f[o + F_FRAMES + 2 * k] = frames[k]!;
        f[o + F_FRAMES + 2 * k + 1] = files[k]!;
      }
    } else {
      for (let k = 0; k < n; k++) f[o + F_FRAMES + k] = frames[k]!;
    }
    const u8 = this.u8;
    const b = (o + F_BYTES) * 8;
    const len = a.addrLen;
    const addr = a.addr;
    for (let k = 0; k < 2 * len; k++) u8[b + k] = addr[k]!;
    const from = a.answerFrom;
    f[o + F_HAS_FROM] = from === null ? 0 : 1;
    if (from !== null) for (let k = 0; k < len; k++) u8[b + B_FROM + k] = from[k]!;
    if (carrier !== null) {
      const outer = carrier.outer;
      for (let k = 0; k < carrier.outerLen; k++) {
        u8[b + B_OUTER + k] = outer[k]!;
        u8[b + B_OUTER + 16 + k] = outer[16 + k]!;
      }
    }
    this.end = o + F_FRAMES + size;
    this.count++;
    return true;
  }

  /**
   * Reads the next attempt into `a` (a reused object whose addr holds 32 bytes): false after the
   * last. answerFrom is written into `from` (16 bytes, reused too); `files` names the inputs.
   */
  next(files: readonly string[], a: SettledAttempt, from: Buffer): boolean {
    const o = this.pos;
    if (o >= this.end) return false;
    const f = this.f64;
    const fileIndex = f[o + F_FILE]!;
    a.verdict = verdictOf(f[o + F_VERDICT]!);
    a.files = files;
    a.fileIndex = fileIndex;
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
    a.tunnelKey = f[o + F_TUNNEL_KEY]!;
    a.synAckDelay = f[o + F_SYNACK_DELAY]!;
    a.connectDelay = f[o + F_CONNECT_DELAY]!;
    a.doubt = f[o + F_DOUBT]!;
    a.serverPackets = f[o + F_SERVER_PACKETS]!;
    a.unseenAcks = f[o + F_UNSEEN_ACKS]!;
    const n = f[o + F_FRAME_COUNT]!;
    const spans = f[o + F_SPANS] === 1;
    const frames = a.frames;
    const frameFiles = a.frameFiles;
    for (let k = 0; k < n; k++) {
      const x = spans ? f[o + F_FRAMES + 2 * k]! : f[o + F_FRAMES + k]!;
      if (k < frames.length) frames[k] = x;
      else frames.push(x);
      if (spans) frameFiles[k] = f[o + F_FRAMES + 2 * k + 1]!;
    }
    a.frameCount = n;
    a.spans = spans;
    const u8 = this.u8;
    const b = (o + F_BYTES) * 8;
    const addr = a.addr;
    for (let k = 0; k < 2 * len; k++) addr[k] = u8[b + k]!;
    if (f[o + F_HAS_FROM] === 1) {
      for (let k = 0; k < len; k++) from[k] = u8[b + B_FROM + k]!;
      a.answerFrom = from;
    } else {
      a.answerFrom = null;
    }
    if (a.tunnelKey !== 0) {
      const c = a.carrier ?? (a.carrier = new Carrier());
      c.kind = f[o + F_TUNNEL_KIND]!;
      c.id = f[o + F_TUNNEL_ID]!;
      const outerLen = f[o + F_OUTER_LEN]!;
      c.outerLen = outerLen;
      for (let k = 0; k < outerLen; k++) {
        c.outer[k] = u8[b + B_OUTER + k]!;
        c.outer[16 + k] = u8[b + B_OUTER + 16 + k]!;
      }
    }
    a.packets = null;
    this.pos = o + F_FRAMES + (spans ? 2 * n : n);
    return true;
  }
}
