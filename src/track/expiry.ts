// Timeouts on the capture clock (never wall time): which timer an attempt waits on (one per status,
// store.ts), how long, and what happens when the wait is over. Live mode feeds the same clock plus idle ticks.

import { S_CONNECTED, S_LINGERING, S_OPEN, S_REJECTED, S_SUPERSEDED, S_TOMBSTONE, type AttemptStore } from './store.js';
import { IdHeap } from '../heap.js';
import { TimerList } from './table.js';

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
/**
 * A decided attempt stays this long after its latest SYN for packets that still belong to it: copies
 * of its packets (-i any, a router: microseconds apart), and the SYN a Windows client sends again
 * after a reset, twice, 0.5 s apart, before its connect() fails with ECONNREFUSED (each SYN of the
 * same ISN restarts the wait).
 */
export const LINGER = 1;
/**
 * Live keeps a settled attempt for copies only this long before printing its verdict (then a
 * tombstone absorbs later packets): copies come in the same batch from libpcap.
 */
export const LIVE_LINGER = 0.01;
/**
 * How long an ICMP rejection waits, in `read` and live alike, for a retransmission that would prove
 * the client ignored it (live prints the verdict that much later, and then agrees with `read`). Linux
 * takes an ICMP error that arrives while connect() still holds the socket lock as a soft error only
 * (tcp_v4_err(): "if (!sock_owned_by_user(sk)) tcp_done_with_error(sk, err); else
 * WRITE_ONCE(sk->sk_err_soft, err);") and retransmits the SYN after its initial RTO of 1 s.
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
  /**
   * Open handshakes (S_OPEN, S_SUPERSEDED) by deadline: slots keyed by the capture time their
   * silence settles them; a deadline moves (each retransmission) with update() in O(log n).
   */
  readonly handshake: IdHeap;
  /** Established connections (S_CONNECTED), by last activity. */
  readonly established: TimerList;
  /** Decided attempts (S_LINGERING), kept briefly so copies of their packets (-i any, a router) still join them. */
  readonly linger: TimerList;
  /** Settled attempts kept in the table (S_TOMBSTONE) so late SYN retransmissions join them, not a new attempt. */
  readonly tombstone: TimerList;
  /** Rejected by ICMP (S_REJECTED), waiting REJECTED_WAIT for a retransmission that would reopen them. */
  readonly rejected: TimerList;
  private readonly st: AttemptStore;
  private readonly live: boolean;
  private readonly timeout: number;

  /**
   * No wait on any timer is over before this capture time: the packets before it need no expiry. It is
   * lowered whenever a wait starts that ends sooner (enter, moveDeadline) and set anew after each expiry;
   * a wait that moved later (a touch) leaves it early, which only costs a look.
   */
  nextDue = Number.POSITIVE_INFINITY;

  /** Seconds a rejection waits for a retransmission that would reopen the attempt. */
  readonly rejectedWait = REJECTED_WAIT;
  /** Seconds a settled attempt waits for copies of its packets before it is handed over. */
  readonly lingerWait: number;

  constructor(store: AttemptStore, live: boolean, timeout: number) {
    this.st = store;
    this.handshake = new IdHeap(store.capacity);
    this.established = new TimerList(store);
    this.linger = new TimerList(store);
    this.tombstone = new TimerList(store);
    this.rejected = new TimerList(store);
    this.lingerWait = live ? LIVE_LINGER : LINGER;
    this.live = live;
    this.timeout = timeout;
  }

  /**
   * When silence settles an open handshake. Live verdicts come as soon as --timeout has passed
   * without a packet; `read` waits for the retransmission the client's backoff predicts.
   */
  handshakeDeadline(s: number): number {
    const last = this.st.lastActivity[s]!;
    if (this.live) return last + this.timeout;
    return last + Math.max(this.timeout, READ_MIN_WAIT, RETRANSMIT_FACTOR * this.st.lastGap[s]!);
  }

  /** The list a slot of this status waits on (the heap is not one: see handshake), or null. */
  listOf(status: number): TimerList | null {
    switch (status) {
      case S_CONNECTED:
        return this.established;
      case S_LINGERING:
        return this.linger;
      case S_TOMBSTONE:
        return this.tombstone;
      case S_REJECTED:
        return this.rejected;
      default:
        return null;
    }
  }

  /** Takes `s` off the timer its status puts it on. */
  leave(s: number): void {
    const status = this.st.status[s]!;
    if (status === S_OPEN || status === S_SUPERSEDED) this.handshake.remove(s);
    else this.listOf(status)?.remove(s);
  }

  /** Puts `s` on the timer of its (new) status; an open handshake's deadline is set here. */
  enter(s: number): void {
    const status = this.st.status[s]!;
    if (status === S_OPEN || status === S_SUPERSEDED) this.handshake.push(s, this.handshakeDeadline(s));
    else this.listOf(status)?.push(s);
    const due = this.dueOf(s);
    if (due < this.nextDue) this.nextDue = due;
  }

  /** When the wait of `s` on its timer is over (Infinity for a status with no timer). */
  dueOf(s: number): number {
    const st = this.st;
    switch (st.status[s]) {
      case S_OPEN:
      case S_SUPERSEDED:
        return this.handshake.key(s);
      case S_LINGERING:
        return st.lastActivity[s]! + this.lingerWait;
      case S_REJECTED:
        return st.doneTime[s]! + this.rejectedWait;
      case S_CONNECTED:
        return st.lastActivity[s]! + ESTABLISHED_IDLE;
      case S_TOMBSTONE:
        return st.lastActivity[s]! + TOMBSTONE_WAIT;
      default:
        return Number.POSITIVE_INFINITY;
    }
  }

  /** An open handshake's deadline is now `deadline`. */
  moveDeadline(s: number, deadline: number): void {
    this.handshake.update(s, deadline);
    if (deadline < this.nextDue) this.nextDue = deadline;
  }

  /** When the earliest wait now on a timer is over (Infinity: none): what nextDue becomes after expiry. */
  earliestDue(): number {
    return Math.min(
      this.headDue(this.linger.head),
      this.headDue(this.rejected.head),
      this.headDue(this.handshake.head),
      this.headDue(this.established.head),
      this.headDue(this.tombstone.head),
    );
  }

  private headDue(s: number): number {
    return s < 0 ? Number.POSITIVE_INFINITY : this.dueOf(s);
  }
}
