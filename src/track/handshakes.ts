// The handshake state machine: PacketViews in, settled attempts out (in listing order in `read`,
// the moment each is settled in live).
// It decides what each packet means for its attempt; outcome.ts names the result.
//
// Transitions (state × event → state). "client"/"server" say who sent the packet.
//
//   (none)         client SYN                         → SYN_SENT      new attempt (a new ISN on a 4-tuple is a
//                                                                     new attempt; an unfinished old one waits for
//                                                                     its verdict)
//   SYN_SENT       client SYN, same ISN               → SYN_SENT      retransmission (synCount++), or a copy (< 100 ms)
//   SYN_SENT       server SYN/ACK, ack = ISN+1        → SYNACK_SEEN   (ack up to ISN+1+data for a Fast Open SYN)
//   SYN_SENT       server RST+ACK, ack = ISN+1        → DONE refused
//   SYN_SENT       ICMP error quoting seq = ISN       → DONE rejected (only the types Linux aborts a connect() on)
//   SYN_SENT       client ACK (SYN/ACK not captured)  → ESTABLISHED   anomaly synack_not_captured
//   SYN_SENT       client RST or FIN                  → DONE aborted  the client gave up before any answer
//   SYNACK_SEEN    client ACK, ack = server ISN+1     → ESTABLISHED
//   SYNACK_SEEN    client RST or FIN                  → DONE aborted
//   SYNACK_SEEN    ICMP error quoting seq = ISN       → DONE rejected (the SYN/ACK never reached the client)
//   SYNACK_SEEN    client SYN, same ISN               → SYNACK_SEEN   the SYN/ACK was lost on its way back
//   SYNACK_SEEN    server RST+ACK, ack = ISN+1        → DONE refused  (the client never acknowledged the SYN/ACK)
//   DONE lingering client SYN, same ISN               → DONE          joins it (synCount++): a Windows client sends
//                                                                     its SYN again after a reset, twice, 0.5 s apart
//   DONE rejected  client SYN, same ISN, ≥ 200 ms     → SYN_SENT      the client took the ICMP error (answering its
//                  later (read and live: REJECTED_WAIT)               first SYN) as soft: reopened
//   ESTABLISHED    RST from either side               → DONE established, resetBy that side
//   ESTABLISHED    FIN from both sides                → DONE established
//   SYN_SENT / SYNACK_SEEN   silence (expiry.ts)       → DONE dropped / timed-out (incomplete at end of input)
//   DONE (live)    a late SYN retransmission          → (tombstone)   joins the attempt already reported
//   (none)         server SYN/ACK, or RST+ACK seq 0   → (held)        waits REORDER_WINDOW (5 ms) for its SYN,
//                  ICMP error quoting a SYN                           then joins it (answer_before_syn), or counts
//                                                                     as an answer without its SYN (capture loss)
//   DONE rejected  ICMP error, before a retransmission → (held)       may answer the retransmission stamped after it
//
// Capture clock: never goes back. A packet stamped before the previous one is counted
// (timestamps_backwards) and taken at the clock's time; a step back of CLOCK_STEP (1 s) or more
// shifts every later packet so the clock carries on. Capture loss (Zeek's capture_loss): every ACK
// of a tracked handshake or connection is counted, and a gap when it acknowledges sequence space
// the capture never showed from the other side. A verdict reached without an answer carries a
// doubt: client-only when no packet has gone server → client yet, capture-loss after a gap —
// unless the client sent SYNS_WITHOUT_DOUBT SYNs (3): its own retransmissions say no answer reached it.
//
// Limitations:
// - A RST without ACK does not refuse a SYN (RFC 793 and Linux drop it in SYN-SENT); it is
//   counted as the anomaly rst_without_ack and the attempt goes on to its real outcome.
// - In `read`, silence settles an open handshake after max(--timeout, 5 s, 2.5 × the last gap
//   between its packets): a client that retransmits later than that starts a new attempt.
// - When more than `maxAttempts` are open at once (a flood), the oldest are settled early and
//   counted as evicted: an unanswered one is reported dropped (timed-out after a SYN/ACK) as if the
//   capture went on past --timeout; an answer after that is counted as answer_after_verdict.
// - An established connection still open when `maxPending` (10 000) later attempts wait behind it for
//   the listing is reported then; a reset after that is not seen (counted as released_early). An
//   open handshake is reported early (as an evicted one is) only when five times as many wait.
// - Simultaneous open (both sides send SYN) is counted as an anomaly, not tracked.
// - A doubt is decided when the verdict is: an unanswered SYN before the capture's first server →
//   client packet is client-only even if answers come later; capture loss counts only tracked traffic,
//   and an ACK of a packet reordered behind it as a gap.
// - An answer stamped more than REORDER_WINDOW before its SYN, or past HOLD_MAX (32) held at once,
//   is an answer without its SYN.
// - Addresses translated on the way (NAT between two capture points) are different 4-tuples.

import { Frame } from '../capture/source.js';
import type { FragmentFrames } from '../decode/reassembly.js';
import { decodePacket } from '../decode/packet.js';
import {
  DECODE_OK,
  KIND_ICMP_ERROR,
  KIND_TCP,
  PacketView,
  TCP_FLAG_ACK,
  TCP_FLAG_FIN,
  TCP_FLAG_RST,
  TCP_FLAG_SYN,
} from '../decode/view.js';
import {
  ANSWER_ICMP,
  ANSWER_NONE,
  ANSWER_RST,
  ANSWER_SYNACK,
  Carrier,
  DOUBT_CAPTURE_LOSS,
  DOUBT_CLIENT_ONLY,
  DOUBT_NONE,
  END_ABORTED,
  END_ESTABLISHED,
  END_NONE,
  END_REFUSED,
  END_REJECTED,
  MAX_FRAMES,
  RESET_BY_CLIENT,
  RESET_BY_SERVER,
  RESET_NONE,
  SYNS_WITHOUT_DOUBT,
  ST_DONE,
  ST_ESTABLISHED,
  ST_SYNACK_SEEN,
  ST_SYN_SENT,
  SettledAttempt,
} from './attempt.js';
import { DUPLICATE_WINDOW, TimerLists } from './expiry.js';
import { KeptPackets } from './kept.js';
import { ListingOrder } from './order.js';
import { icmpErrno, outcome, type Verdict } from './outcome.js';
import { TimeWindow, hostMatch, type HostNets, type PortSet, type Selection } from './select.js';
import {
  AttemptStore,
  FRAMES_INLINE,
  S_CONNECTED,
  S_LINGERING,
  S_OPEN,
  S_REJECTED,
  S_SETTLED,
  S_SUPERSEDED,
  S_TOMBSTONE,
} from './store.js';
import { AttemptTable, MATCH_FROM_CLIENT, ip4At, tupleHash, withTunnel } from './table.js';

export interface TrackerOptions {
  /** --timeout, seconds. */
  readonly timeout: number;
  /** Live capture: verdicts as soon as the timeout passes, tombstones for late retransmissions. */
  readonly live: boolean;
  /** Keep a copy of every packet of every attempt (for --evidence). */
  readonly keepPackets: boolean;
  /** Open attempts before the oldest is settled early (evicted). */
  readonly maxAttempts: number;
  /** Settled attempts waiting behind an open one before that one is reported early. */
  readonly maxPending: number;
  /** --host: only packets with an address in one of these networks on either side; null for all. */
  readonly hosts: HostNets | null;
  /** --port: only packets with one of these ports on either side; null for all. */
  readonly ports: PortSet | null;
  /** --since / --until: only attempts that started inside it are handed over (all are tracked); null for all. */
  readonly window: TimeWindow | null;
}

export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = {
  timeout: 3,
  live: false,
  keepPackets: false,
  maxAttempts: 50_000,
  maxPending: 10_000,
  hosts: null,
  ports: null,
  window: null,
};

/** The tracker's options for a selection: one TimeWindow for all the inputs of a run. */
export function trackerSelection(
  s: Selection,
  window?: TimeWindow | null,
): Pick<TrackerOptions, 'hosts' | 'ports' | 'window'> {
  return {
    hosts: s.hosts,
    ports: s.ports,
    window:
      window !== undefined ? window : s.since === null && s.until === null ? null : new TimeWindow(s.since, s.until),
  };
}

/** Odd sequences, counted by name (Zeek's weirds). */
export interface Anomalies {
  rst_without_ack: number;
  synack_bad_ack: number;
  synack_not_captured: number;
  simultaneous_open: number;
  icmp_not_fatal: number;
  icmp_soft_error: number;
  answer_after_verdict: number;
  released_early: number;
  /** Packets stamped earlier than the packet before them (see Coverage.backwards for where). */
  timestamps_backwards: number;
  /** Answers (SYN/ACK, RST, ICMP error) captured before the SYN they answer, and paired with it. */
  answer_before_syn: number;
  /**
   * Handshakes whose completing ACK is not in the capture, though a later client packet acknowledges the
   * SYN/ACK (a FIN, data, or an ACK of server data): established, without a connect time.
   */
  handshake_ack_not_captured: number;
}

/**
 * What the capture shows and misses, beyond the verdicts (Zeek's capture_loss, and the direction
 * of the packets): the evidence the report's findings stand on.
 */
export interface Coverage {
  /** Packets that went from a server to a client: SYN/ACKs, resets, data, ACKs, ICMP errors. */
  serverToClient: number;
  /** ACKs seen in tracked handshakes and connections, and those acknowledging a packet never captured. */
  acks: number;
  gaps: number;
  /** SYN/ACKs, and resets answering a SYN (sequence number 0), whose SYN is not in the capture. */
  answersWithoutSyn: number;
  /**
   * TCP packets with none of SYN, FIN and RST set (data, pure ACKs), in any flow. None at all: the capture
   * was taken with a filter on TCP flags, and holds no handshake's completing ACK.
   */
  plain: number;
  /**
   * Timed-out attempts whose client sent no SYN after the SYN/ACK (it would have, had the SYN/ACK not reached
   * it), decided while the capture held no plain packet: a filter on TCP flags may have left their ACK out.
   */
  ackFiltered: number;
}

/** Timestamps that went backwards in one input: how often, where first, by how much at most. */
export interface ClockSteps {
  count: number;
  firstFrame: number;
  maxSeconds: number;
}

/** A packet held for the SYN it may answer (reordering): its own copy, its 4-tuple hash, its clock. */
interface Held {
  readonly frame: Frame;
  readonly hash: number;
  readonly t: number;
  /** Its place in the timeline (the tracker's packet count when it came). */
  readonly seq: number;
}

/**
 * How long an answer whose SYN is not there yet waits for it. With -i any or a multi-queue NIC a
 * SYN/ACK (or RST, or ICMP error) can be stamped a fraction of a millisecond before its SYN; two
 * capture points whose clocks differ, a few milliseconds.
 */
export const REORDER_WINDOW = 0.005;
/** Answers held at once; past that an answer without its SYN counts as one at once. */
const HOLD_MAX = 32;
/**
 * A packet this much older than the one before it is a clock step (NTP stepping the clock, files
 * joined out of order), not reordering: the capture clock carries on from where it was, taking the
 * unknown time between the two packets as DUPLICATE_WINDOW (the least that cannot make a SYN
 * retransmitted across the step look like a copy), so that verdicts keep to the time that passed.
 */
export const CLOCK_STEP = 1;

/**
 * Only an ICMP error answering the first SYN can be soft (connect() holds the socket lock only
 * while it sends that one; retransmissions go out from the timer), and only a retransmission that
 * comes later than TCP_RTO_MIN (200 ms) after the error can be the client's reaction to it: a SYN
 * closer to it was already on its way when the error passed the capture point.
 */
const SOFT_ERROR_MIN_GAP = 0.2;

/**
 * A pure ACK from the client with the completing ACK's numbers this soon after it is a copy of it
 * (the same packet seen twice: -i any, both sides of a router). Tighter than DUPLICATE_WINDOW, the
 * SYNs' rule: a genuine pure ACK (a window update) may well follow within 100 ms.
 */
const ACK_COPY_WINDOW = 0.01;

/** An open handshake at the head of the listing is reported early only past this many times maxPending. */
const HANDSHAKE_PENDING_FACTOR = 5;

/** The fields outcome() reads, refilled from a slot for each verdict. */
class OutcomeProbe {
  state = 0;
  end = 0;
  answerKind = 0;
  icmpVersion = 0;
  icmpType = 0;
  icmpCode = 0;
  firstSynTime = 0;
  synAckTime = 0;
}

export class HandshakeTracker {
  /** The inputs' names, by Frame.fileIndex: several files read as one timeline share one tracker. */
  readonly files: readonly string[];
  private readonly opts: TrackerOptions;
  /** Every attempt held, as typed arrays indexed by slot (store.ts: the fields and the lifecycle). */
  private readonly st = new AttemptStore();
  private readonly table: AttemptTable;
  /** Live: attempts in creation (so first-frame) order, with that frame, until reported. */
  private readonly unreported: number[] = [];
  private readonly unreportedFrames: number[] = [];
  private unreportedHead = 0;
  private readonly timers: TimerLists;
  /** `read` lists by start; live hands each attempt over the moment it is settled. */
  readonly order: ListingOrder;
  private readonly onAttempt: (a: SettledAttempt) => void;
  /** The record handed to onAttempt, refilled for every attempt; its carrier and answer address too. */
  private readonly settled = new SettledAttempt();
  private readonly carrier = new Carrier();
  private readonly from = Buffer.alloc(16);
  private readonly probe = new OutcomeProbe();
  /** --evidence: the copies of each attempt's packets; null when none are kept. */
  private readonly kept: KeptPackets | null;
  /** Capture clock: seconds since baseSec, of the latest packet (never goes back). */
  now = 0;
  private baseSec = -1;
  /** Attempts pushed out of a full table before their handshake ended. */
  evicted = 0;
  /** Packets fed so far: a kept packet's place in the timeline (evidence order across inputs). */
  private seq = 0;
  /** The fragments' frames of the packet being handled, when it was reassembled. */
  private parts: FragmentFrames | null = null;
  readonly anomalies: Anomalies = {
    rst_without_ack: 0,
    synack_bad_ack: 0,
    synack_not_captured: 0,
    simultaneous_open: 0,
    icmp_not_fatal: 0,
    icmp_soft_error: 0,
    answer_after_verdict: 0,
    released_early: 0,
    timestamps_backwards: 0,
    answer_before_syn: 0,
    handshake_ack_not_captured: 0,
  };
  readonly coverage: Coverage = {
    serverToClient: 0,
    acks: 0,
    gaps: 0,
    answersWithoutSyn: 0,
    plain: 0,
    ackFiltered: 0,
  };
  /** Per input (by fileIndex): where its timestamps went backwards. */
  readonly backwards: ClockSteps[] = [];
  /** Raw clock of the latest packet, and what clock steps added to the clock since. */
  private lastRaw = Number.NEGATIVE_INFINITY;
  private shift = 0;
  /** Answers waiting for their SYN (REORDER_WINDOW), and a view to decode them again. */
  private readonly held: Held[] = [];
  private replaying = false;
  private heldView: PacketView | null = null;

  /** Whether --host or --port narrows the packets looked at. */
  private readonly filtered: boolean;

  constructor(files: readonly string[], opts: TrackerOptions, onAttempt: (a: SettledAttempt) => void) {
    this.files = files;
    this.opts = opts;
    this.table = new AttemptTable(this.st);
    this.timers = new TimerLists(this.st, opts.live, opts.timeout);
    this.onAttempt = onAttempt;
    this.order = new ListingOrder(this.st, this.emit);
    this.filtered = opts.hosts !== null || opts.ports !== null;
    this.kept = opts.keepPackets ? new KeptPackets() : null;
  }

  /** Adds the anomalies that occurred (count > 0) to `into`, by name. */
  addAnomalies(into: Record<string, number>): void {
    for (const [k, n] of Object.entries(this.anomalies)) if (n > 0) into[k] = (into[k] ?? 0) + n;
  }

  /**
   * A place in the timeline for a packet that is not fed (a fragment held for reassembly), so that its
   * kept copy sorts into the evidence where it was captured.
   */
  nextSeq(): number {
    return ++this.seq;
  }

  /** Whether attempts keep copies of their packets (--evidence). */
  get keepsPackets(): boolean {
    return this.opts.keepPackets;
  }

  /** Open attempts: those in the table that are not tombstones of attempts already settled. */
  get open(): number {
    return this.table.size - this.timers.tombstone.size;
  }

  /** Capture-clock seconds of an absolute timestamp. */
  clockOf(sec: number, nsec: number): number {
    if (this.baseSec < 0) {
      this.baseSec = sec;
      this.opts.window?.anchor(sec, nsec);
    }
    return sec - this.baseSec + nsec * 1e-9;
  }

  /**
   * Feeds one decoded packet (decodePacket() returned DECODE_OK). A reassembled datagram comes with the
   * frames of its fragments (`parts`, `frame` being the one that completed it): they are its frames.
   */
  packet(frame: Frame, v: PacketView, parts: FragmentFrames | null = null): void {
    this.seq++;
    this.parts = parts;
    const t = this.advance(frame);
    if (v.kind === KIND_TCP) this.tcp(frame, v, t);
    else if (v.kind === KIND_ICMP_ERROR) this.icmp(frame, v, t);
  }

  /** A packet that is not for the tracker (ARP, UDP, damaged): it moves the capture clock all the same. */
  otherPacket(frame: Frame): void {
    this.advance(frame);
  }

  /**
   * The capture clock for a packet. It never goes back: a packet stamped before the latest one is
   * counted (timestamps_backwards) and taken at the clock's time, so nothing is settled early and no
   * deadline lies in the past; a step back of CLOCK_STEP or more also shifts the packets after it.
   */
  private advance(frame: Frame): number {
    const raw = this.clockOf(frame.tsSec, frame.tsNsec);
    if (raw < this.lastRaw) this.backwardsStep(frame, this.lastRaw - raw);
    this.lastRaw = raw;
    const t = raw + this.shift;
    if (t > this.now) {
      this.now = t;
      if (this.held.length > 0) this.expireHeld(t);
      if (t >= this.timers.nextDue) this.expire(t);
    }
    return this.now;
  }

  /** A packet stamped `back` seconds before the one before it. */
  private backwardsStep(frame: Frame, back: number): void {
    let b = this.backwards[frame.fileIndex];
    if (b === undefined) {
      b = { count: 0, firstFrame: frame.number, maxSeconds: 0 };
      while (this.backwards.length < frame.fileIndex) this.backwards.push({ count: 0, firstFrame: 0, maxSeconds: 0 });
      this.backwards[frame.fileIndex] = b;
    }
    b.count++;
    if (back > b.maxSeconds) b.maxSeconds = back;
    this.anomalies.timestamps_backwards++;
    if (back >= CLOCK_STEP) this.shift += back + DUPLICATE_WINDOW;
  }

  /**
   * Advances the clock without a packet (live idle tick); `sec`/`nsec` absolute. Held answers wait
   * for packets' time only: a tick between an answer and its SYN, both already on their way from the
   * kernel, must not part them.
   */
  tick(sec: number, nsec: number): void {
    const t = this.clockOf(sec, nsec) + this.shift;
    if (t > this.now) {
      this.now = t;
      if (t >= this.timers.nextDue) this.expire(t);
    }
  }

  /** End of input: settles everything still open against the capture's last packet time, and hands it all out. */
  finish(): void {
    this.settleAll();
    this.order.drain();
  }

  /**
   * End of input, settling only: every attempt still open gets its verdict against the capture's last
   * packet time; the listing then hands them out through drain().
   */
  settleAll(): void {
    this.expireHeld(Number.POSITIVE_INFINITY);
    const end = this.now;
    const t = this.timers;
    while (t.handshake.head >= 0) this.retire(t.handshake.head, end, false);
    for (const list of [t.established, t.linger, t.rejected]) {
      while (list.head >= 0) this.retire(list.head, end, false);
    }
    while (t.tombstone.head >= 0) {
      const s = t.tombstone.head;
      t.tombstone.remove(s);
      this.leaveTable(s);
    }
  }

  /**
   * Hands out at most `max` settled attempts in listing order (after settleAll(): then every attempt
   * is settled); true while more wait.
   */
  drain(max: number): boolean {
    return this.order.drain(max);
  }

  // ---------------------------------------------------------------- filters

  private wanted(buf: Buffer, aOff: number, aPort: number, bOff: number, bPort: number, len: number): boolean {
    const ports = this.opts.ports;
    if (ports !== null && ports[aPort] === 0 && ports[bPort] === 0) return false;
    const hosts = this.opts.hosts;
    return hosts === null || hostMatch(hosts, buf, aOff, len) || hostMatch(hosts, buf, bOff, len);
  }

  // ---------------------------------------------------------------- TCP

  private tcp(frame: Frame, v: PacketView, t: number): void {
    if ((v.flags & (TCP_FLAG_SYN | TCP_FLAG_FIN | TCP_FLAG_RST)) === 0) this.coverage.plain++;
    const buf = v.buf;
    const len = v.addrLen;
    if (this.filtered && !this.wanted(buf, v.srcOff, v.srcPort, v.dstOff, v.dstPort, len)) return;
    const key = v.tunnelKey;
    const hash = withTunnel(tupleHash(buf, v.srcOff, v.srcPort, v.dstOff, v.dstPort, len), key);
    const s = this.table.find(hash, buf, v.srcOff, v.srcPort, v.dstOff, v.dstPort, len, key);
    const fromClient = this.table.direction === MATCH_FROM_CLIENT;
    const flags = v.flags;
    if ((flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) === TCP_FLAG_SYN) {
      this.syn(s, fromClient, hash, frame, v, t);
      return;
    }
    if (s < 0) {
      // Mid-stream, or an answer whose SYN is not (yet) in the capture.
      if (
        (flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) === (TCP_FLAG_SYN | TCP_FLAG_ACK) ||
        ((flags & (TCP_FLAG_RST | TCP_FLAG_ACK)) === (TCP_FLAG_RST | TCP_FLAG_ACK) && v.seq === 0)
      ) {
        // RFC 793: a reset answering a segment without ACK (a SYN) "has sequence number zero".
        if (!this.replaying && this.hold(frame, hash, t)) return;
        this.coverage.serverToClient++;
        this.coverage.answersWithoutSyn++;
      }
      return;
    }
    if (!fromClient) {
      this.st.serverPackets[s]++;
      this.coverage.serverToClient++;
    }
    switch (this.st.state[s]) {
      case ST_SYN_SENT:
        this.onSynSent(s, fromClient, frame, v, t);
        break;
      case ST_SYNACK_SEEN:
        this.onSynAckSeen(s, fromClient, frame, v, t);
        break;
      case ST_ESTABLISHED:
        this.onEstablished(s, fromClient, frame, v, t);
        break;
      default:
        this.onDone(s, frame, v, t);
        break;
    }
  }

  /** A SYN without ACK: a new attempt, a retransmission, or a copy of one. */
  private syn(s: number, fromClient: boolean, hash: number, frame: Frame, v: PacketView, t: number): void {
    if (s >= 0) {
      if (!fromClient) {
        this.anomalies.simultaneous_open++;
        return;
      }
      const st = this.st;
      if (st.isn[s] === v.seq) {
        if (st.status[s] === S_REJECTED && st.synCount[s] === 1 && t - st.doneTime[s]! >= SOFT_ERROR_MIN_GAP)
          this.reopen(s);
        this.attach(s, frame);
        if (t - st.lastSynTime[s]! >= DUPLICATE_WINDOW) st.synCount[s]++;
        st.lastSynTime[s] = t;
        this.touch(s, t);
        if (this.held.length > 0) this.replayHeld(hash);
        return;
      }
      // A new ISN on the same 4-tuple: the client moved on and the old attempt will get no more
      // packets. It leaves the table; an unfinished one still waits for its verdict until the
      // capture has gone on --timeout past it (dropped / timed-out) or ends (incomplete).
      if (st.state[s] === ST_ESTABLISHED) this.retire(s, t);
      else if (st.state[s] !== ST_DONE) this.supersede(s);
    }
    if (this.table.size >= this.opts.maxAttempts) this.evictOldest(t);
    const n = this.start(hash, frame, v, t);
    this.table.insert(n);
    this.timers.enter(n);
    if (!this.opts.live) {
      this.order.add(n);
      if (this.order.length > this.opts.maxPending) this.releaseEarly(t);
    } else {
      this.unreported.push(n);
      this.unreportedFrames.push(frame.number);
    }
    if (this.held.length > 0) this.replayHeld(hash);
  }

  /** A slot for the attempt this SYN starts, every field set (S_OPEN, in SYN-SENT), in no table or timer yet. */
  private start(hash: number, frame: Frame, v: PacketView, t: number): number {
    const st = this.st;
    const n = st.alloc(); // the store's arrays may have grown: read them after this
    st.status[n] = S_OPEN;
    st.reported[n] = 0;
    st.state[n] = ST_SYN_SENT;
    st.end[n] = END_NONE;
    st.verdict[n] = null;
    st.hash[n] = hash;
    st.chain[n] = -1;
    const len = v.addrLen;
    st.addrLen[n] = len;
    // A byte loop beats Buffer#copy for 4- and 16-byte copies.
    const addr = st.addr;
    const b = v.buf;
    const o = n * 32;
    for (let i = 0, src = v.srcOff, dst = v.dstOff; i < len; i++) {
      addr[o + i] = b[src + i]!;
      addr[o + len + i] = b[dst + i]!;
    }
    st.client4[n] = len === 4 ? ip4At(b, v.srcOff) : 0;
    st.server4[n] = len === 4 ? ip4At(b, v.dstOff) : 0;
    st.clientPort[n] = v.srcPort;
    st.serverPort[n] = v.dstPort;
    st.tunnelKey[n] = v.tunnelKey;
    if (v.tunnelKey !== 0) this.carriedBy(n, v);
    st.fileIndex[n] = frame.fileIndex;
    const isn = v.seq;
    st.isn[n] = isn;
    st.serverIsn[n] = 0;
    st.synLen[n] = v.payloadLen;
    st.clientNext[n] = (isn + 1 + v.payloadLen) >>> 0;
    st.serverNext[n] = 0;
    st.synCount[n] = 1;
    st.startSec[n] = frame.tsSec;
    st.startNsec[n] = frame.tsNsec;
    st.startDigits[n] = frame.tsDigits;
    st.firstFrame[n] = frame.number;
    st.firstSynTime[n] = t;
    st.lastSynTime[n] = t;
    st.lastActivity[n] = t;
    st.lastGap[n] = 0;
    st.doneTime[n] = 0;
    this.clearAnswer(n);
    st.synAckTime[n] = 0;
    st.ackTime[n] = Number.NEGATIVE_INFINITY;
    st.synAckDelay[n] = -1;
    st.connectDelay[n] = -1;
    st.resetBy[n] = RESET_NONE;
    st.serverPackets[n] = 0;
    st.unseenAcks[n] = 0;
    st.doubt[n] = DOUBT_NONE;
    st.fins[n] = 0;
    st.moreFrames[n] = null;
    st.frameFiles[n] = null;
    this.kept?.open(n);
    st.frameCount[n] = 0;
    this.attach(n, frame);
    return n;
  }

  /**
   * Live: the first frame of the oldest attempt not yet handed over (Infinity when none is). Every
   * packet an unreported attempt will still bring has this number or a higher one, so a live
   * --evidence file can write everything below it in capture order.
   */
  oldestUnreportedFrame(): number {
    const q = this.unreported;
    const frames = this.unreportedFrames;
    const st = this.st;
    let h = this.unreportedHead;
    // An entry is done once its attempt was reported (or its slot reused for a later attempt).
    while (h < q.length && (st.reported[q[h]!] === 1 || st.firstFrame[q[h]!] !== frames[h])) h++;
    if (h > 4096 && h * 2 > q.length) {
      q.splice(0, h);
      frames.splice(0, h);
      h = 0;
    }
    this.unreportedHead = h;
    let oldest = h < q.length ? frames[h]! : Number.POSITIVE_INFINITY;
    // A held answer joins the attempt its SYN starts, with its own, lower frame number.
    for (const x of this.held) if (x.frame.number < oldest) oldest = x.frame.number;
    return oldest;
  }

  private onSynSent(s: number, fromClient: boolean, frame: Frame, v: PacketView, t: number): void {
    const st = this.st;
    const flags = v.flags;
    if (!fromClient) {
      if ((flags & TCP_FLAG_SYN) !== 0) {
        // SYN/ACK
        if (!this.ackAcceptable(s, v.ack)) {
          this.anomalies.synack_bad_ack++;
          this.attach(s, frame);
          return;
        }
        this.answer(s, ANSWER_SYNACK, v, frame);
        this.coverage.acks++;
        st.serverIsn[s] = v.seq;
        st.serverNext[s] = (v.seq + 1 + v.payloadLen) >>> 0; // RFC 793 lets a SYN/ACK carry data
        st.synAckTime[s] = t;
        st.synAckDelay[s] = t - st.lastSynTime[s]!;
        st.state[s] = ST_SYNACK_SEEN;
        this.attach(s, frame);
        this.touch(s, t);
        return;
      }
      if ((flags & TCP_FLAG_RST) !== 0) {
        this.attach(s, frame);
        // RFC 793 (SYN-SENT): "If the ACK bit is set: If SEG.ACK =< ISS, or SEG.ACK > SND.NXT ...
        // If the RST bit is set: If the ACK was acceptable then signal the user 'error: connection
        // reset' ... Otherwise (no ACK) drop the segment and return." Linux does the same.
        if ((flags & TCP_FLAG_ACK) === 0 || !this.ackAcceptable(s, v.ack)) {
          this.anomalies.rst_without_ack++;
          return;
        }
        this.answer(s, ANSWER_RST, v, frame);
        this.decide(s, END_REFUSED, t);
      }
      return;
    }
    // From the client, no SYN. A reset, or a FIN without ACK, before any answer: the client gave up on
    // its own (a cancelled connect, a scanner), or reset a SYN/ACK the capture missed (Zeek's RSTOS0, SH).
    if ((flags & TCP_FLAG_RST) !== 0 || (flags & (TCP_FLAG_FIN | TCP_FLAG_ACK)) === TCP_FLAG_FIN) {
      this.attach(s, frame);
      this.decide(s, END_ABORTED, t);
      return;
    }
    // Its ACK proves a SYN/ACK reached it that the capture missed.
    if ((flags & TCP_FLAG_ACK) !== 0) {
      this.anomalies.synack_not_captured++;
      st.serverIsn[s] = (v.ack - 1) >>> 0; // what the ACK acknowledges: the SYN/ACK's sequence number + 1
      st.serverNext[s] = v.ack;
      this.coverage.gaps++;
      st.unseenAcks[s]++;
      if ((flags & TCP_FLAG_FIN) !== 0) {
        this.establishUnseen(s, frame, v, t);
        return;
      }
      this.attach(s, frame);
      this.coverage.acks++;
      this.clientSent(s, v);
      this.establish(s, t);
    }
  }

  private onSynAckSeen(s: number, fromClient: boolean, frame: Frame, v: PacketView, t: number): void {
    const flags = v.flags;
    if (fromClient) {
      const st = this.st;
      const hasAck = (flags & TCP_FLAG_ACK) !== 0;
      // The completing ACK, alone or carrying data.
      if (hasAck && (flags & (TCP_FLAG_RST | TCP_FLAG_FIN)) === 0 && this.synAckAcked(s, v.ack)) {
        this.attach(s, frame);
        this.coverage.acks++;
        this.clientSent(s, v);
        this.establish(s, t);
        return;
      }
      // A later packet acknowledges server data, or a FIN the SYN/ACK: the client completed the
      // handshake and the capture missed its ACK (a lossy capture, or a filter on TCP flags).
      const beyond = hasAck && seqAfter(v.ack, st.serverNext[s]!);
      if (beyond || (hasAck && (flags & TCP_FLAG_FIN) !== 0 && seqAfter(v.ack, st.serverIsn[s]!))) {
        this.anomalies.handshake_ack_not_captured++;
        this.establishUnseen(s, frame, v, t);
        return;
      }
      // A reset (or a FIN without an acceptable ACK) instead of the ACK: the client gave up, or its
      // kernel reset a SYN/ACK for a socket already closed.
      if ((flags & (TCP_FLAG_RST | TCP_FLAG_FIN)) !== 0) {
        this.attach(s, frame);
        this.decide(s, END_ABORTED, t);
      }
      return;
    }
    if ((flags & TCP_FLAG_RST) !== 0) {
      this.attach(s, frame);
      // The server resets before the client acknowledged its SYN/ACK (a proxy with no backend, a
      // server giving up). A client still in SYN-SENT — its SYN/ACK lost — takes the reset as
      // "connection refused" when its ACK is acceptable (RFC 793), as it would the SYN's answer.
      if ((flags & TCP_FLAG_ACK) !== 0 && this.ackAcceptable(s, v.ack)) {
        this.answer(s, ANSWER_RST, v, frame);
        this.decide(s, END_REFUSED, t);
      }
      return;
    }
    if ((flags & TCP_FLAG_SYN) !== 0) {
      // a SYN/ACK retransmission
      this.attach(s, frame);
      this.touch(s, t);
    }
  }

  private onEstablished(s: number, fromClient: boolean, frame: Frame, v: PacketView, t: number): void {
    const st = this.st;
    const flags = v.flags;
    if ((flags & TCP_FLAG_RST) === 0) {
      if (fromClient) this.clientSent(s, v);
      else this.serverSent(s, v);
    }
    // A copy of the ACK that completed the handshake (-i any, a router's capture) is one of its packets.
    if (
      fromClient &&
      t - st.ackTime[s]! < ACK_COPY_WINDOW &&
      (flags & (TCP_FLAG_SYN | TCP_FLAG_RST | TCP_FLAG_FIN)) === 0 &&
      v.payloadLen === 0 &&
      v.seq === (st.isn[s]! + 1) >>> 0 &&
      v.ack === (st.serverIsn[s]! + 1) >>> 0
    ) {
      this.attach(s, frame);
    }
    if ((flags & TCP_FLAG_RST) !== 0) {
      this.attach(s, frame);
      st.resetBy[s] = fromClient ? RESET_BY_CLIENT : RESET_BY_SERVER;
      this.decide(s, END_ESTABLISHED, t);
      return;
    }
    if ((flags & TCP_FLAG_FIN) !== 0) {
      this.attach(s, frame);
      const fins = st.fins[s]! | (fromClient ? FIN_CLIENT : FIN_SERVER);
      st.fins[s] = fins;
      if (fins === (FIN_CLIENT | FIN_SERVER)) {
        this.decide(s, END_ESTABLISHED, t);
        return;
      }
    }
    this.touch(s, t);
  }

  /** A packet of an attempt already decided: copies of its packets still belong to it. */
  private onDone(s: number, frame: Frame, v: PacketView, t: number): void {
    if ((v.flags & (TCP_FLAG_SYN | TCP_FLAG_RST | TCP_FLAG_FIN)) === 0) return;
    this.attach(s, frame);
    if (this.st.status[s] === S_TOMBSTONE) {
      if ((v.flags & TCP_FLAG_SYN) !== 0 && (v.flags & TCP_FLAG_ACK) === 0) this.st.synCount[s]++;
      else this.anomalies.answer_after_verdict++;
      this.touch(s, t);
    }
  }

  // ---------------------------------------------------------------- ICMP

  private icmp(frame: Frame, v: PacketView, t: number): void {
    const buf = v.buf;
    const len = v.addrLen;
    if (this.filtered && !this.wanted(buf, v.qSrcOff, v.qSrcPort, v.qDstOff, v.qDstPort, len)) return;
    // An ICMP error about a tunnelled SYN comes back inside the same tunnel (the same key).
    const key = v.tunnelKey;
    const hash = withTunnel(tupleHash(buf, v.qSrcOff, v.qSrcPort, v.qDstOff, v.qDstPort, len), key);
    const s = this.table.find(hash, buf, v.qSrcOff, v.qSrcPort, v.qDstOff, v.qDstPort, len, key);
    const st = this.st;
    // The quoted packet went client → server, and Linux's tcp_v4_err()/tcp_v6_err() ignore an
    // error whose quoted sequence number is outside [snd_una, snd_nxt]: in SYN-SENT, the ISN.
    if (s < 0 || this.table.direction !== MATCH_FROM_CLIENT || v.qSeq !== st.isn[s]) {
      // Perhaps an error stamped before the SYN it quotes.
      if (!this.replaying && icmpErrno(v.ipVersion, v.icmpType, v.icmpCode) !== null) this.hold(frame, hash, t);
      return;
    }
    // An error while a rejection waits for a retransmission that would reopen it may answer that
    // retransmission, stamped before it: it waits for it too.
    if (st.status[s] === S_REJECTED && st.synCount[s] === 1 && !this.replaying && this.hold(frame, hash, t)) return;
    this.coverage.serverToClient++;
    const state = st.state[s];
    if (state === ST_SYN_SENT || state === ST_SYNACK_SEEN) {
      const version = v.ipVersion;
      this.attach(s, frame);
      if (icmpErrno(version, v.icmpType, v.icmpCode) === null) {
        this.anomalies.icmp_not_fatal++;
        return;
      }
      this.answer(s, ANSWER_ICMP, v, frame); // decides even after a SYN/ACK that never arrived
      st.icmpVersion[s] = version;
      st.icmpType[s] = v.icmpType;
      st.icmpCode[s] = v.icmpCode;
      this.decide(s, END_REJECTED, t);
    } else if (state === ST_DONE) {
      this.attach(s, frame);
      if (st.status[s] === S_TOMBSTONE) this.anomalies.answer_after_verdict++;
    }
  }

  // ---------------------------------------------------------------- capture loss

  /**
   * A client packet of a handshake or connection: the sequence space it shows, and whether its ACK
   * acknowledges server packets the capture never held (Zeek's capture_loss: ACKs above a gap).
   */
  private clientSent(s: number, v: PacketView): void {
    const st = this.st;
    const end = (v.seq + v.payloadLen + ((v.flags & TCP_FLAG_FIN) !== 0 ? 1 : 0)) >>> 0;
    if (seqAfter(end, st.clientNext[s]!)) st.clientNext[s] = end;
    if ((v.flags & TCP_FLAG_ACK) === 0 || st.state[s] !== ST_ESTABLISHED) return;
    this.coverage.acks++;
    if (seqAfter(v.ack, st.serverNext[s]!)) {
      this.coverage.gaps++;
      st.unseenAcks[s]++;
      st.serverNext[s] = v.ack;
    }
  }

  /** A server packet of an established connection, as clientSent(). */
  private serverSent(s: number, v: PacketView): void {
    const st = this.st;
    const end = (v.seq + v.payloadLen + ((v.flags & TCP_FLAG_FIN) !== 0 ? 1 : 0)) >>> 0;
    if (seqAfter(end, st.serverNext[s]!)) st.serverNext[s] = end;
    if ((v.flags & TCP_FLAG_ACK) === 0) return;
    this.coverage.acks++;
    if (seqAfter(v.ack, st.clientNext[s]!)) {
      this.coverage.gaps++;
      st.clientNext[s] = v.ack;
    }
  }

  /** Keeps a copy of an answer whose SYN is not in the table yet; false when there is no room. */
  private hold(frame: Frame, hash: number, t: number): boolean {
    // A reassembled answer's fragments are several frames: not held (rare enough to count as loss).
    if (this.held.length >= HOLD_MAX || this.parts !== null) return false;
    const data = Buffer.allocUnsafe(frame.caplen);
    frame.data.copy(data, 0, frame.offset, frame.offset + frame.caplen);
    // A Frame, not a literal of its fields: replayed, it goes through tcp() / icmp() as the readers'
    // Frames do, and one object shape keeps those call sites monomorphic.
    const copy = new Frame();
    copy.number = frame.number;
    copy.tsSec = frame.tsSec;
    copy.tsNsec = frame.tsNsec;
    copy.tsDigits = frame.tsDigits;
    copy.linkType = frame.linkType;
    copy.interfaceId = frame.interfaceId;
    copy.caplen = frame.caplen;
    copy.origLen = frame.origLen;
    copy.data = data;
    copy.fileOffset = frame.fileOffset;
    copy.fileIndex = frame.fileIndex;
    this.held.push({ frame: copy, hash, t, seq: this.seq });
    return true;
  }

  /** A SYN on 4-tuple `hash` came: the answers held for it are its answers, stamped before it. */
  private replayHeld(hash: number): void {
    const held = this.held;
    for (let i = 0; i < held.length;) {
      const h = held[i]!;
      if (h.hash !== hash) {
        i++;
        continue;
      }
      held.splice(i, 1);
      this.anomalies.answer_before_syn++;
      this.replay(h);
    }
  }

  /** Answers held past REORDER_WINDOW go through as they are: without their SYN. */
  private expireHeld(now: number): void {
    const held = this.held;
    while (held.length > 0 && held[0]!.t + REORDER_WINDOW <= now) this.replay(held.shift()!);
  }

  private replay(h: Held): void {
    const f = h.frame;
    const v = this.heldView ?? (this.heldView = new PacketView());
    if (decodePacket(f.data, 0, f.caplen, f.linkType, v) !== DECODE_OK) return;
    this.replaying = true;
    const seq = this.seq;
    const parts = this.parts;
    this.seq = h.seq; // a kept copy keeps its own place in the timeline (evidence order)
    this.parts = null;
    if (v.kind === KIND_TCP) this.tcp(f, v, this.now);
    else if (v.kind === KIND_ICMP_ERROR) this.icmp(f, v, this.now);
    this.seq = seq;
    this.parts = parts;
    this.replaying = false;
  }

  // ---------------------------------------------------------------- the handshake's fields

  /**
   * RFC 793 SYN-SENT: an ACK is acceptable when SND.UNA < SEG.ACK =< SND.NXT, that is from ISN+1
   * up to ISN+1 plus the data a Fast Open SYN carried (Linux: tcp_rcv_synsent_state_process()).
   */
  private ackAcceptable(s: number, ack: number): boolean {
    return (ack - this.st.isn[s]! - 1) >>> 0 <= this.st.synLen[s]!;
  }

  /**
   * The client's ACK completes the handshake: it acknowledges the SYN/ACK, and at most the data the
   * SYN/ACK carried (RFC 793 allows it; the ACK then covers it too).
   */
  private synAckAcked(s: number, ack: number): boolean {
    const isn = this.st.serverIsn[s]!;
    return (ack - isn - 1) >>> 0 <= (this.st.serverNext[s]! - isn - 1) >>> 0;
  }

  /** Copies how the SYN was carried (its tunnel, as the innermost encapsulation) into a new attempt's slot. */
  private carriedBy(s: number, v: PacketView): void {
    const st = this.st;
    st.tunnelKind[s] = v.tunnelKind;
    st.tunnelId[s] = v.tunnelId;
    const len = v.outerAddrLen;
    st.outerLen[s] = len;
    const b = v.buf;
    const outer = st.outer;
    const o = s * 32;
    for (let i = 0; i < len; i++) {
      outer[o + i] = b[v.outerSrcOff + i]!;
      outer[o + 16 + i] = b[v.outerDstOff + i]!;
    }
  }

  /** The packet (or the fragments it was reassembled from) is one of the attempt's: its frame(s), its copy. */
  private attach(s: number, frame: Frame): void {
    const parts = this.parts;
    if (parts !== null) {
      for (let i = 0; i < parts.count; i++) this.attachNumber(s, parts.numbers[i]!, parts.files[i]!);
      this.kept?.addParts(s, parts.packets);
      return;
    }
    if (this.st.frameCount[s]! >= MAX_FRAMES) return;
    this.attachNumber(s, frame.number, frame.fileIndex);
    this.kept?.add(s, frame, this.seq);
  }

  private attachNumber(s: number, number: number, fileIndex: number): void {
    const st = this.st;
    const n = st.frameCount[s]!;
    if (n >= MAX_FRAMES) return;
    st.frameCount[s] = n + 1;
    let files = st.frameFiles[s] ?? null;
    // The input of each frame is written down only once they differ (several files read as one).
    if (files !== null || fileIndex !== st.fileIndex[s]) files = this.spanFrame(s, n, fileIndex);
    if (n < FRAMES_INLINE) {
      // An answer held for its SYN (reordering) has a lower number than the frames of its file before it.
      const frames = st.frames;
      const o = s * FRAMES_INLINE;
      let i = n;
      for (; i > 0 && frames[o + i - 1]! > number && (files === null || files[i - 1] === files[n]); i--) {
        frames[o + i] = frames[o + i - 1]!;
      }
      frames[o + i] = number;
      return;
    }
    st.setFrame(s, n, number);
    for (
      let i = n;
      i > 0 && st.frameAt(s, i - 1) > st.frameAt(s, i) && (files === null || files[i - 1] === files[i]);
      i--
    ) {
      const x = st.frameAt(s, i);
      st.setFrame(s, i, st.frameAt(s, i - 1));
      st.setFrame(s, i - 1, x);
    }
  }

  /** Frame `n` of `s` is from input `fileIndex`: the attempt spans inputs (its earlier frames are from its first). */
  private spanFrame(s: number, n: number, fileIndex: number): number[] {
    const st = this.st;
    let files = st.frameFiles[s] ?? null;
    if (files === null) {
      files = [];
      for (let k = 0; k < n; k++) files[k] = st.fileIndex[s]!;
      st.frameFiles[s] = files;
    }
    files[n] = fileIndex;
    return files;
  }

  /** Records the first answer to the SYN (a later, different one — ICMP after SYN/ACK — overrides in icmp()). */
  private answer(s: number, kind: number, v: PacketView, frame: Frame): void {
    const st = this.st;
    // The first answer stays, unless a later one decides instead (an ICMP error, or a reset after
    // a SYN/ACK the client never acknowledged).
    if (st.answerKind[s] !== ANSWER_NONE && kind === ANSWER_SYNACK) return;
    st.answerKind[s] = kind;
    st.synsAtAnswer[s] = st.synCount[s]!;
    // A SYN/ACK or RST matched the 4-tuple, so it came from the server's address: only an ICMP
    // sender (a router, a firewall) needs its own copy.
    if (kind === ANSWER_ICMP) {
      const from = st.answerFrom;
      const o = s * 16;
      for (let i = 0; i < v.addrLen; i++) from[o + i] = v.buf[v.srcOff + i]!;
      st.hasFrom[s] = 1;
    } else {
      st.hasFrom[s] = 0;
    }
    st.answerSec[s] = frame.tsSec;
    st.answerNsec[s] = frame.tsNsec;
    st.answerTtl[s] = v.ttl;
  }

  /** No answer recorded: a new attempt, or one reopened after an ICMP error it took as soft. */
  private clearAnswer(s: number): void {
    const st = this.st;
    st.answerKind[s] = ANSWER_NONE;
    st.synsAtAnswer[s] = 0;
    st.hasFrom[s] = 0;
    st.answerSec[s] = 0;
    st.answerNsec[s] = 0;
    st.answerTtl[s] = -1;
    st.icmpType[s] = -1;
    st.icmpCode[s] = -1;
    st.icmpVersion[s] = 0;
  }

  /** The verdict of slot `s` were the capture to end at `endTime`. */
  private verdictOf(s: number, endTime: number): Verdict {
    const st = this.st;
    const p = this.probe;
    p.state = st.state[s]!;
    p.end = st.end[s]!;
    p.answerKind = st.answerKind[s]!;
    p.icmpVersion = st.icmpVersion[s]!;
    p.icmpType = st.icmpType[s]!;
    p.icmpCode = st.icmpCode[s]!;
    p.firstSynTime = st.firstSynTime[s]!;
    p.synAckTime = st.synAckTime[s]!;
    return outcome(p, endTime, this.opts.timeout);
  }

  /** What the capture leaves in doubt about a verdict just reached without an answer. */
  private qualify(s: number): void {
    const st = this.st;
    const o = st.verdict[s]?.outcome;
    const c = this.coverage;
    if (o === 'dropped' && st.synCount[s]! >= SYNS_WITHOUT_DOUBT) return;
    if (o === 'dropped' && c.serverToClient === 0) st.doubt[s] = DOUBT_CLIENT_ONLY;
    else if ((o === 'dropped' || o === 'timed-out') && c.gaps + c.answersWithoutSyn > 0)
      st.doubt[s] = DOUBT_CAPTURE_LOSS;
    // No data or pure ACK in the capture so far, and the client did not send its SYN again after the
    // SYN/ACK (it would have, had the SYN/ACK not reached it): a filter on TCP flags left its ACK out.
    else if (o === 'timed-out' && c.plain === 0 && st.synCount[s] === st.synsAtAnswer[s]) {
      st.doubt[s] = DOUBT_CAPTURE_LOSS;
      c.ackFiltered++;
    }
  }

  // ---------------------------------------------------------------- the lifecycle (store.ts draws it)

  /** The client's ACK (this packet) completed the handshake: S_OPEN → S_CONNECTED. */
  private establish(s: number, t: number): void {
    const st = this.st;
    st.state[s] = ST_ESTABLISHED;
    st.end[s] = END_ESTABLISHED;
    this.moveTo(s, S_CONNECTED);
    st.lastActivity[s] = t;
    st.ackTime[s] = t;
    st.connectDelay[s] = t - st.firstSynTime[s]!;
  }

  /**
   * A client packet after the handshake (a FIN, data) shows it completed, its ACK not captured:
   * established without a connect time, and the packet taken as the connection's.
   */
  private establishUnseen(s: number, frame: Frame, v: PacketView, t: number): void {
    this.establish(s, t);
    this.st.connectDelay[s] = -1; // when the handshake completed is not known
    this.onEstablished(s, true, frame, v, t);
  }

  /**
   * The attempt's outcome is known: it lingers briefly for copies of its packets (S_LINGERING), then
   * is settled; a rejected one waits longer (S_REJECTED), for a retransmission that would show the
   * error was soft.
   */
  private decide(s: number, end: number, t: number): void {
    const st = this.st;
    st.state[s] = ST_DONE;
    st.end[s] = end;
    st.doneTime[s] = t;
    st.verdict[s] = this.verdictOf(s, t);
    st.lastActivity[s] = t;
    this.moveTo(s, end === END_REJECTED ? S_REJECTED : S_LINGERING);
  }

  /**
   * The client retransmitted its SYN after an ICMP error: the error did not end its connect()
   * (a soft error), so the attempt is open again (S_REJECTED → S_OPEN) and a later answer decides it.
   */
  private reopen(s: number): void {
    const st = this.st;
    st.state[s] = ST_SYN_SENT;
    st.end[s] = END_NONE;
    st.verdict[s] = null;
    this.clearAnswer(s);
    this.moveTo(s, S_OPEN);
    this.anomalies.icmp_soft_error++;
  }

  /** A packet of the attempt came: its wait starts again. */
  private touch(s: number, t: number): void {
    const st = this.st;
    const gap = t - st.lastActivity[s]!;
    if (gap >= DUPLICATE_WINDOW) st.lastGap[s] = gap;
    st.lastActivity[s] = t;
    const status = st.status[s]!;
    if (status === S_OPEN || status === S_SUPERSEDED) {
      this.timers.moveDeadline(s, this.timers.handshakeDeadline(s));
      return;
    }
    this.timers.listOf(status)?.touch(s);
  }

  /** The one way an attempt changes status: off its old timer, onto the new one's. */
  private moveTo(s: number, status: number): void {
    this.timers.leave(s);
    this.st.status[s] = status;
    this.timers.enter(s);
  }

  /**
   * A new ISN took the 4-tuple of an open handshake (S_OPEN → S_SUPERSEDED): its verdict is due --timeout
   * after its start.
   */
  private supersede(s: number): void {
    const st = this.st;
    this.table.delete(s);
    st.status[s] = S_SUPERSEDED;
    const since = st.state[s] === ST_SYNACK_SEEN ? st.synAckTime[s]! : st.firstSynTime[s]!;
    this.timers.moveDeadline(s, since + this.opts.timeout);
  }

  /**
   * Settles an attempt (its verdict, if it has none yet, as of `t`) and hands it over. It leaves the
   * table (S_SETTLED), except live, where it stays as a tombstone (S_TOMBSTONE) so that a late
   * retransmission (after an ICMP error the client took as soft) joins the attempt already reported
   * instead of starting a new one.
   */
  private retire(s: number, t: number, tombstone = this.opts.live): void {
    const st = this.st;
    if (st.verdict[s] === null) {
      st.verdict[s] = this.verdictOf(s, t);
      this.qualify(s);
    }
    if (tombstone && st.status[s] !== S_SUPERSEDED) {
      st.state[s] = ST_DONE;
      st.lastActivity[s] = t;
      this.moveTo(s, S_TOMBSTONE);
      this.trimTombstones();
    } else {
      this.timers.leave(s);
      this.leaveTable(s);
    }
    if (this.opts.live) this.emit(s);
  }

  /**
   * Settles an open attempt before its end (a full table or listing queue, or live silence) and keeps
   * it as a tombstone, so that its late retransmissions still join it rather than start a new attempt.
   */
  private settleEarly(s: number, t: number): void {
    const st = this.st;
    // Live expiry comes --timeout after the last packet, so the capture has gone on that long; a
    // full table or listing queue (a flood) assumes it will, rather than call the attempt incomplete.
    st.verdict[s] = this.verdictOf(s, Number.POSITIVE_INFINITY);
    this.qualify(s);
    st.state[s] = ST_DONE;
    st.doneTime[s] = t;
    st.lastActivity[s] = t;
    this.moveTo(s, S_TOMBSTONE);
    this.trimTombstones();
    if (this.opts.live) this.emit(s);
  }

  /** Takes a settled attempt out of the table: its slot is free once it is reported too. */
  private leaveTable(s: number): void {
    const st = this.st;
    if (st.status[s] !== S_SUPERSEDED) this.table.delete(s);
    if (st.reported[s] === 1) st.release(s);
    else st.status[s] = S_SETTLED;
  }

  /** Hands an attempt to the reporter (live: once settled; read: in listing order, from ListingOrder). */
  private readonly emit = (s: number): void => {
    const st = this.st;
    st.reported[s] = 1;
    const w = this.opts.window;
    if (w === null || w.has(st.startSec[s]!, st.startNsec[s]!)) this.onAttempt(this.fill(s));
    this.kept?.take(s); // handed over (or left out): a tombstone keeps no more
    if (st.status[s] === S_SETTLED) st.release(s);
  };

  /** The record of slot `s` for the reporter. */
  private fill(s: number): SettledAttempt {
    const st = this.st;
    const a = this.settled;
    const fileIndex = st.fileIndex[s]!;
    a.files = this.files;
    a.fileIndex = fileIndex;
    a.file = this.files[fileIndex] ?? '';
    const len = st.addrLen[s]!;
    a.addrLen = len;
    const o = s * 32;
    for (let i = 0; i < 2 * len; i++) a.addr[i] = st.addr[o + i]!;
    a.client4 = st.client4[s]!;
    a.server4 = st.server4[s]!;
    a.clientPort = st.clientPort[s]!;
    a.serverPort = st.serverPort[s]!;
    const key = st.tunnelKey[s]!;
    a.tunnelKey = key;
    a.carrier = key === 0 ? null : this.carrierOf(s);
    a.startSec = st.startSec[s]!;
    a.startNsec = st.startNsec[s]!;
    a.startDigits = st.startDigits[s]!;
    a.firstFrame = st.firstFrame[s]!;
    a.synCount = st.synCount[s]!;
    a.synsAtAnswer = st.synsAtAnswer[s]!;
    a.answerKind = st.answerKind[s]!;
    if (st.hasFrom[s] === 1) {
      for (let i = 0; i < len; i++) this.from[i] = st.answerFrom[s * 16 + i]!;
      a.answerFrom = this.from;
    } else {
      a.answerFrom = null;
    }
    a.answerSec = st.answerSec[s]!;
    a.answerNsec = st.answerNsec[s]!;
    a.answerTtl = st.answerTtl[s]!;
    a.icmpType = st.icmpType[s]!;
    a.icmpCode = st.icmpCode[s]!;
    a.icmpVersion = st.icmpVersion[s]!;
    a.synAckDelay = st.synAckDelay[s]!;
    a.connectDelay = st.connectDelay[s]!;
    a.resetBy = st.resetBy[s]!;
    a.serverPackets = st.serverPackets[s]!;
    a.unseenAcks = st.unseenAcks[s]!;
    a.doubt = st.doubt[s]!;
    a.verdict = st.verdict[s]!;
    const n = st.frameCount[s]!;
    const frames = a.frames;
    for (let i = 0; i < n; i++) frames[i] = st.frameAt(s, i);
    a.frameCount = n;
    const files = st.frameFiles[s] ?? null;
    a.spans = files !== null;
    if (files !== null) for (let i = 0; i < n; i++) a.frameFiles[i] = files[i]!;
    a.packets = this.kept === null ? null : this.kept.take(s);
    return a;
  }

  private carrierOf(s: number): Carrier {
    const st = this.st;
    const c = this.carrier;
    c.kind = st.tunnelKind[s]!;
    c.id = st.tunnelId[s]!;
    const len = st.outerLen[s]!;
    c.outerLen = len;
    const o = s * 32;
    for (let i = 0; i < len; i++) {
      c.outer[i] = st.outer[o + i]!;
      c.outer[16 + i] = st.outer[o + 16 + i]!;
    }
    return c;
  }

  /** Tombstones are a convenience: at most a quarter of the table. */
  private trimTombstones(): void {
    const tombs = this.timers.tombstone;
    while (tombs.size > Math.ceil(this.opts.maxAttempts / 4)) {
      const old = tombs.head;
      tombs.remove(old);
      this.leaveTable(old);
    }
  }

  /** Everything whose wait is over at `now`, in one place: silence, lingering, rejection, idleness. */
  private expire(now: number): void {
    const timers = this.timers;
    let released = false;
    let s = timers.linger.head;
    while (s >= 0 && timers.dueOf(s) <= now) {
      this.retire(s, now);
      released = true;
      s = timers.linger.head;
    }
    s = timers.rejected.head;
    while (s >= 0 && timers.dueOf(s) <= now) {
      this.retire(s, now);
      released = true;
      s = timers.rejected.head;
    }
    s = timers.handshake.head;
    while (s >= 0 && timers.dueOf(s) <= now) {
      if (this.opts.live && this.st.status[s] !== S_SUPERSEDED) this.settleEarly(s, now);
      else this.retire(s, now);
      released = true;
      s = timers.handshake.head;
    }
    s = timers.established.head;
    while (s >= 0 && timers.dueOf(s) <= now) {
      this.retire(s, now);
      released = true;
      s = timers.established.head;
    }
    s = timers.tombstone.head;
    while (s >= 0 && timers.dueOf(s) <= now) {
      timers.tombstone.remove(s);
      this.leaveTable(s);
      s = timers.tombstone.head;
    }
    timers.nextDue = timers.earliestDue();
    if (released) this.order.drain();
  }

  /** The table is full: settle the attempt that has waited longest. */
  private evictOldest(t: number): void {
    const timers = this.timers;
    let victim = timers.tombstone.head;
    if (victim < 0) victim = timers.linger.head;
    if (victim < 0) victim = timers.rejected.head;
    if (victim < 0) victim = timers.handshake.head;
    if (victim < 0) victim = timers.established.head;
    if (victim < 0) return;
    const status = this.st.status[victim];
    if (status === S_TOMBSTONE) {
      timers.tombstone.remove(victim);
      this.leaveTable(victim);
      return;
    }
    if (status === S_OPEN || status === S_SUPERSEDED || status === S_CONNECTED) {
      this.evicted++;
      this.settleEarly(victim, t);
    } else {
      this.retire(victim, t);
    }
    this.order.drain();
  }

  /** Too many settled attempts wait behind the oldest open one: report that one now. */
  private releaseEarly(t: number): void {
    const head = this.order.first();
    const status = head < 0 ? S_SETTLED : this.st.status[head];
    if (status === S_SETTLED || status === S_TOMBSTONE) {
      this.order.drain();
      return;
    }
    if (status === S_CONNECTED) {
      // Its outcome is known; only a later reset (resetBy) would be missed.
      this.anomalies.released_early++;
      this.settleEarly(head, t);
    } else if (status === S_OPEN || status === S_SUPERSEDED) {
      // Its outcome is not known yet: it holds the listing back until its own short deadline,
      // unless the queue grows five times past the limit.
      if (this.order.length <= HANDSHAKE_PENDING_FACTOR * this.opts.maxPending) return;
      this.anomalies.released_early++;
      this.settleEarly(head, t);
    } else {
      this.retire(head, t);
    }
    this.order.drain();
  }
}

/** Bits of AttemptStore.fins. */
const FIN_CLIENT = 1;
const FIN_SERVER = 2;

/** Sequence number x comes after y (RFC 793 arithmetic modulo 2^32). */
function seqAfter(x: number, y: number): boolean {
  return ((x - y) | 0) > 0;
}
