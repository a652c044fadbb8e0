// Timeouts on the capture clock (never wall time): which timer list an attempt waits on, how
// long, and what happens when the wait is over. Live mode feeds the same clock plus idle ticks.

import type { Attempt } from './attempt.js';
import { DeadlineHeap, TimerList } from './table.js';

/** Attempt in SYN-SENT or SYN/ACK-SEEN, waiting for the next packet of its handshake. */
export const LIST_HANDSHAKE = 1;
/** Established connection, waiting for its RST or FINs. */
export const LIST_ESTABLISHED = 2;
/** Decided attempt, kept briefly so copies of its packets (-i any, a router) still join it. */
export const LIST_LINGER = 3;
/** Live only: reported as dropped / timed-out, kept so late SYN retransmissions join it, not a new attempt. */
export const LIST_TOMBSTONE = 4;
/** Rejected by ICMP, waiting REJECTED_WAIT for a retransmission that would reopen it (live too). */
export const LIST_REJECTED = 5;

/**
 * In `read`, an unanswered handshake stays open while its client may still retransmit or an answer
 * may still come. The first retransmission follows the initial RTO (1 s in RFC 6298 and Linux,
 * 3 s in older stacks) and a router's ARP failure answers ~3 s after the SYN, so 5 s of silence
 * after the latest packet ends a single SYN; after that the wait grows with the client's own
 * backoff (each retransmission doubles the gap: Linux sends SYNs at 0, 1, 3, 7, 15, 31, 63 s), as
 * RETRANSMIT_FACTOR times the last gap.
 */
export const READ_MIN_WAIT = 5;
export const RETRANSMIT_FACTOR = 2.5;
/** An established connection with no packet for this long is reported without waiting for its end. */
export const ESTABLISHED_IDLE = 300;
/** Copies of one packet arrive within microseconds; 0.5 s of capture time is plenty. */
export const LINGER = 0.5;
/**
 * Live keeps a settled attempt for copies only this long before printing its verdict (then a
 * tombstone absorbs later packets): copies come in the same batch from libpcap.
 */
export const LIVE_LINGER = 0.01;
/**
 * How long an ICMP rejection waits, in `read` and live alike, for a retransmission that would prove
 * the client ignored it (live prints the verdict that much later, and then agrees with `read`). Linux takes an ICMP error that arrives while connect() still holds the socket lock
 * as a soft error only (tcp_v4_err(): "if (!sock_owned_by_user(sk)) tcp_done_with_error(sk, err);
 * else WRITE_ONCE(sk->sk_err_soft, err);") and retransmits the SYN after its initial RTO of 1 s.
 */
export const REJECTED_WAIT = 2.5;
/** Live tombstones absorb retransmissions for as long as a client can keep sending them. */
export const TOMBSTONE_WAIT = 130;
/**
 * Two SYNs with the same ISN closer than this are one packet seen twice (-i any sees it on the way
 * in and out of a router), not a retransmission: no TCP retransmits a SYN sooner than 200 ms
 * (Linux's TCP_RTO_MIN; the initial SYN timeout is 1 s).
 */
export const DUPLICATE_WINDOW = 0.1;

export class TimerLists {
  readonly handshake = new DeadlineHeap(LIST_HANDSHAKE);
  readonly established = new TimerList(LIST_ESTABLISHED);
  readonly linger = new TimerList(LIST_LINGER);
  readonly tombstone = new TimerList(LIST_TOMBSTONE);
  readonly rejected = new TimerList(LIST_REJECTED);
  private readonly live: boolean;
  private readonly timeout: number;

  /** Seconds a rejection waits for a retransmission that would reopen the attempt. */
  readonly rejectedWait = REJECTED_WAIT;
  /** Seconds a settled attempt waits for copies of its packets before it is handed over. */
  readonly lingerWait: number;

  constructor(live: boolean, timeout: number) {
    this.lingerWait = live ? LIVE_LINGER : LINGER;
    this.live = live;
    this.timeout = timeout;
  }

  /**
   * When silence settles an open handshake. Live verdicts come as soon as --timeout has passed
   * without a packet; `read` waits for the retransmission the client's backoff predicts.
   */
  handshakeDeadline(a: Attempt): number {
    if (this.live) return a.lastActivity + this.timeout;
    return a.lastActivity + Math.max(this.timeout, READ_MIN_WAIT, RETRANSMIT_FACTOR * a.lastGap);
  }

  byId(id: number): TimerList | DeadlineHeap | null {
    switch (id) {
      case LIST_HANDSHAKE: return this.handshake;
      case LIST_ESTABLISHED: return this.established;
      case LIST_LINGER: return this.linger;
      case LIST_TOMBSTONE: return this.tombstone;
      case LIST_REJECTED: return this.rejected;
      default: return null;
    }
  }
}
