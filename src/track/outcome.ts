// The contract's outcome and errno tables as a pure function of an attempt (Zeek's conn_state()):
// no packets, no clock but the one passed in, so every row can be unit-tested on its own.

import {
  ANSWER_ICMP, END_ABORTED, END_ESTABLISHED, END_REFUSED, END_REJECTED, ST_DONE, ST_ESTABLISHED,
  ST_SYNACK_SEEN, type ErrnoName, type Outcome,
} from './attempt.js';

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
 * ICMPv4 destination-unreachable code → errno, as Linux's icmp_err_convert[] (net/ipv4/icmp.c)
 * maps it; tcp_v4_err() makes every one of them fatal in SYN-SENT. Code 4 (fragmentation needed)
 * only lowers the path MTU and is never a rejection: null.
 */
const ICMP4_UNREACH_ERRNO: readonly (ErrnoName | null)[] = [
  'ENETUNREACH', // 0 net unreachable
  'EHOSTUNREACH', // 1 host unreachable
  'ENOPROTOOPT', // 2 protocol unreachable
  'ECONNREFUSED', // 3 port unreachable
  null, // 4 fragmentation needed: PMTU only
  'EOPNOTSUPP', // 5 source route failed
  'ENETUNREACH', // 6 destination network unknown
  'EHOSTDOWN', // 7 destination host unknown
  'ENONET', // 8 source host isolated
  'ENETUNREACH', // 9 network administratively prohibited
  'EHOSTUNREACH', // 10 host administratively prohibited
  'ENETUNREACH', // 11 network unreachable for TOS
  'EHOSTUNREACH', // 12 host unreachable for TOS
  'EHOSTUNREACH', // 13 communication administratively prohibited
  'EHOSTUNREACH', // 14 host precedence violation
  'EHOSTUNREACH', // 15 precedence cutoff in effect
];

/** ICMPv6 destination-unreachable code → errno, as Linux's icmpv6_err_convert() tab_unreach[]. */
const ICMP6_UNREACH_ERRNO: readonly ErrnoName[] = [
  'ENETUNREACH', // 0 no route to destination
  'EACCES', // 1 communication administratively prohibited
  'EHOSTUNREACH', // 2 beyond scope of source address
  'EHOSTUNREACH', // 3 address unreachable
  'ECONNREFUSED', // 4 port unreachable
  'EACCES', // 5 source address failed ingress/egress policy
  'EACCES', // 6 reject route to destination
];

/**
 * The errno a client in SYN-SENT gets for an ICMP error, or null when Linux does not abort the
 * connect() for it (v4 type 3 code 4 or > 15, source quench, v6 packet too big, anything else).
 */
export function icmpErrno(version: number, type: number, code: number): ErrnoName | null {
  if (version === 4) {
    if (type === 3) return code >= 0 && code < ICMP4_UNREACH_ERRNO.length ? (ICMP4_UNREACH_ERRNO[code] ?? null) : null;
    if (type === 11) return 'EHOSTUNREACH'; // time exceeded
    if (type === 12) return 'EPROTO'; // parameter problem
    return null;
  }
  if (version === 6) {
    // icmpv6_err_convert(): an unreachable code past the table is EPROTO, still fatal.
    if (type === 1) return code >= 0 && code < ICMP6_UNREACH_ERRNO.length ? (ICMP6_UNREACH_ERRNO[code] ?? 'EPROTO') : 'EPROTO';
    if (type === 3) return 'EHOSTUNREACH'; // time exceeded
    if (type === 4) return 'EPROTO'; // parameter problem
    return null;
  }
  return null;
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
      case END_ESTABLISHED: return V_ESTABLISHED;
      case END_REFUSED: return V_REFUSED;
      case END_ABORTED: return V_ABORTED;
      case END_REJECTED:
        if (a.answerKind === ANSWER_ICMP) {
          return { outcome: 'rejected', errno: icmpErrno(a.icmpVersion, a.icmpType, a.icmpCode) };
        }
        return { outcome: 'rejected', errno: null };
      default: return V_INCOMPLETE;
    }
  }
  if (a.state === ST_SYNACK_SEEN) {
    return endTime - a.synAckTime >= due ? V_TIMED_OUT : V_INCOMPLETE;
  }
  return endTime - a.firstSynTime >= due ? V_DROPPED : V_INCOMPLETE;
}
