// The contract's outcome and errno tables as a pure function of an attempt (Zeek's conn_state()):
// no packets, no clock but the one passed in, so every row can be unit-tested on its own.

import {
  ANSWER_ICMP,
  END_ABORTED,
  END_ESTABLISHED,
  END_REFUSED,
  END_REJECTED,
  ST_DONE,
  ST_ESTABLISHED,
  ST_SYNACK_SEEN,
  type ErrnoName,
  type Outcome,
} from './attempt.js';
import { icmpMeaning } from '../decode/icmp-codes.js';

/** The fields of an attempt that decide its outcome. */
export interface OutcomeInput {
  readonly state: number;
  readonly end: number;
  readonly answerKind: number;
  readonly icmpVersion: number;
  readonly icmpType: number;
  readonly icmpCode: number;
  readonly firstSynTime: number;
  readonly synAckTime: number;
}

export interface Verdict {
  readonly outcome: Outcome;
  readonly errno: ErrnoName | null;
}

/** Below the finest timestamp resolution a capture has (1 ns). */
const EPSILON = 1e-10;

const V_ESTABLISHED: Verdict = { outcome: 'established', errno: null };
const V_REFUSED: Verdict = { outcome: 'refused', errno: 'ECONNREFUSED' };
const V_DROPPED: Verdict = { outcome: 'dropped', errno: 'ETIMEDOUT' };
const V_TIMED_OUT: Verdict = { outcome: 'timed-out', errno: 'ETIMEDOUT' };
const V_ABORTED: Verdict = { outcome: 'aborted', errno: null };
const V_INCOMPLETE: Verdict = { outcome: 'incomplete', errno: null };

/**
 * The errno a client in SYN-SENT gets for an ICMP error, or null when Linux does not abort the
 * connect() for it (v4 type 3 code 4 or > 15, source quench, v6 packet too big, anything else):
 * the errno column of decode/icmp-codes.ts.
 */
export function icmpErrno(version: number, type: number, code: number): ErrnoName | null {
  return icmpMeaning(version, type, code).errno;
}

/**
 * Classifies an attempt. `endTime` is how far the capture is known to go (its last packet's
 * time, or the live clock); `timeout` decides, for an unfinished handshake, between
 * dropped / timed-out (the capture went on at least that long) and incomplete (too early to tell).
 */
export function outcome(a: OutcomeInput, endTime: number, timeout: number): Verdict {
  // Clocks are float seconds from the capture's first packet; EPSILON keeps an exact
  // "timeout seconds later" (3.000000000 s) on the dropped side of the line.
  const due = timeout - EPSILON;
  if (a.state === ST_DONE || a.state === ST_ESTABLISHED) {
    switch (a.end) {
      case END_ESTABLISHED:
        return V_ESTABLISHED;
      case END_REFUSED:
        return V_REFUSED;
      case END_ABORTED:
        return V_ABORTED;
      case END_REJECTED:
        if (a.answerKind === ANSWER_ICMP) {
          return { outcome: 'rejected', errno: icmpErrno(a.icmpVersion, a.icmpType, a.icmpCode) };
        }
        return { outcome: 'rejected', errno: null };
      default:
        return V_INCOMPLETE;
    }
  }
  if (a.state === ST_SYNACK_SEEN) {
    return endTime - a.synAckTime >= due ? V_TIMED_OUT : V_INCOMPLETE;
  }
  return endTime - a.firstSynTime >= due ? V_DROPPED : V_INCOMPLETE;
}
