// The facts of one settled attempt that its diagnosis and its JSON are written from, flat and
// without an object per attempt: one HandshakeFacts is refilled for each attempt reported. Addresses
// are text here (the summary's cached server address, ip4Text's cached dotted quads).

import {
  ANSWER_ICMP,
  ANSWER_NONE,
  DOUBT_NONE,
  RESET_NONE,
  type SettledAttempt,
  type ErrnoName,
  type Outcome,
} from '../track/attempt.js';
import { formatIp } from './address.js';
import { millisBetween } from './text.js';

export class HandshakeFacts {
  outcome: Outcome = 'incomplete';
  errno: ErrnoName | null = null;
  synCount = 1;
  /** SYNs sent when the answer came (synCount when there is none). */
  synsAtAnswer = 1;
  serverIp = '';
  serverPort = 0;
  v6 = false;
  /** ANSWER_*; the fields after it are meaningful only when it is not ANSWER_NONE. */
  answerKind = ANSWER_NONE;
  answerFrom = '';
  afterMs = 0;
  ttl = -1;
  /** -1 unless the answer is an ICMP error. */
  icmpType = -1;
  icmpCode = -1;
  resetBy = RESET_NONE;
  doubt = DOUBT_NONE;

  /** From a settled attempt; `serverIp` is its server's address as text when the caller has it already. */
  ofAttempt(a: SettledAttempt, serverIp: string | null): void {
    const v = a.verdict;
    const len = a.addrLen;
    this.outcome = v === null ? 'incomplete' : v.outcome;
    this.errno = v === null ? null : v.errno;
    this.synCount = a.synCount;
    this.synsAtAnswer = a.answerKind === ANSWER_NONE ? a.synCount : a.synsAtAnswer;
    this.serverIp = serverIp ?? formatIp(a.addr, len, len);
    this.serverPort = a.serverPort;
    this.v6 = len === 16;
    const kind = a.answerKind;
    this.answerKind = kind;
    if (kind !== ANSWER_NONE) {
      this.answerFrom = a.answerFrom === null ? this.serverIp : formatIp(a.answerFrom, 0, len);
      this.afterMs = millisBetween(a.startSec, a.startNsec, a.answerSec, a.answerNsec);
      this.ttl = a.answerTtl;
    }
    this.icmpType = kind === ANSWER_ICMP ? a.icmpType : -1;
    this.icmpCode = kind === ANSWER_ICMP ? a.icmpCode : -1;
    this.resetBy = a.resetBy;
    this.doubt = a.doubt;
  }
}
