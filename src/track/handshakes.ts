// The handshake state machine: PacketViews in, settled attempts out (in listing order in `read`,
// the moment each is settled in live).
// It decides what each packet means for its attempt; outcome.ts names the result.
//
// Transitions (state × event → state). "client"/"server" say who sent the packet.
//
//   (none)         client SYN                         → SYN_SENT      new attempt (a new ISN on a 4-tuple is a new
//                                                                     attempt; an unfinished old one waits for its verdict)
//   SYN_SENT       client SYN, same ISN               → SYN_SENT      retransmission (synCount++), or a copy (< 100 ms)
//   SYN_SENT       server SYN/ACK, ack = ISN+1        → SYNACK_SEEN   (ack up to ISN+1+data for a Fast Open SYN)
//   SYN_SENT       server RST+ACK, ack = ISN+1        → DONE refused
//   SYN_SENT       ICMP error quoting seq = ISN       → DONE rejected (only the types Linux aborts a connect() on)
//   SYN_SENT       client ACK (SYN/ACK not captured)  → ESTABLISHED   anomaly synack_not_captured
//   SYNACK_SEEN    client ACK, ack = server ISN+1     → ESTABLISHED
//   SYNACK_SEEN    client RST or FIN                  → DONE aborted
//   SYNACK_SEEN    ICMP error quoting seq = ISN       → DONE rejected (the SYN/ACK never reached the client)
//   SYNACK_SEEN    client SYN, same ISN               → SYNACK_SEEN   the SYN/ACK was lost on its way back
//   SYNACK_SEEN    server RST+ACK, ack = ISN+1        → DONE refused  (the client never acknowledged the SYN/ACK)
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
  DECODE_OK, KIND_ICMP_ERROR, KIND_TCP, PacketView, TCP_FLAG_ACK, TCP_FLAG_FIN, TCP_FLAG_RST, TCP_FLAG_SYN,
} from '../decode/view.js';
import {
  ANSWER_ICMP, ANSWER_NONE, ANSWER_RST, ANSWER_SYNACK, Attempt, Carrier, DOUBT_CAPTURE_LOSS, DOUBT_CLIENT_ONLY,
  SYNS_WITHOUT_DOUBT,
  END_ABORTED, END_ESTABLISHED, END_NONE, END_REFUSED, END_REJECTED, MAX_FRAMES, RESET_BY_CLIENT, RESET_BY_SERVER, ST_DONE, ST_ESTABLISHED, ST_SYNACK_SEEN, ST_SYN_SENT,
  type KeptPacket,
} from './attempt.js';
import {
  DUPLICATE_WINDOW, ESTABLISHED_IDLE, LIST_ESTABLISHED, LIST_HANDSHAKE, LIST_LINGER, LIST_REJECTED, LIST_TOMBSTONE,
  TOMBSTONE_WAIT, TimerLists,
} from './expiry.js';
import { ListingOrder } from './order.js';
import { icmpErrno, outcome } from './outcome.js';
import { TimeWindow, hostMatch, type HostNets, type PortSet, type Selection } from './select.js';
import { AttemptTable, MATCH_FROM_CLIENT, TimerList, ip4At, tupleHash, withTunnel } from './table.js';

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
  timeout: 3, live: false, keepPackets: false, maxAttempts: 50_000, maxPending: 10_000, hosts: null, ports: null, window: null,
};

/** The tracker's options for a selection: one TimeWindow for all the inputs of a run. */
export function trackerSelection(s: Selection, window?: TimeWindow | null): Pick<TrackerOptions, 'hosts' | 'ports' | 'window'> {
  return {
    hosts: s.hosts, ports: s.ports,
    window: window !== undefined ? window : s.since === null && s.until === null ? null : new TimeWindow(s.since, s.until),
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

/** Reported attempt objects kept for reuse. */
const POOL_MAX = 65536;

/** An open handshake at the head of the listing is reported early only past this many times maxPending. */
const HANDSHAKE_PENDING_FACTOR = 5;

export class HandshakeTracker {
  /** The inputs' names, by Frame.fileIndex: several files read as one timeline share one tracker. */
  readonly files: readonly string[];
  private readonly opts: TrackerOptions;
  private readonly table = new AttemptTable();
  /** Live: attempts in creation (so first-frame) order, with that frame, until reported. */
  private readonly unreported: Attempt[] = [];
  private readonly unreportedFrames: number[] = [];
  private unreportedHead = 0;
  /** Reported attempts whose objects the next new attempts reuse. */
  private readonly pool: Attempt[] = [];
  private readonly timers: TimerLists;
  /** `read` lists by start; live hands each attempt over the moment it is settled. */
  readonly order: ListingOrder;
  private readonly onAttempt: (a: Attempt) => void;
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
    rst_without_ack: 0, synack_bad_ack: 0, synack_not_captured: 0, simultaneous_open: 0,
    icmp_not_fatal: 0, icmp_soft_error: 0, answer_after_verdict: 0, released_early: 0, timestamps_backwards: 0,
    answer_before_syn: 0,
  };
  readonly coverage: Coverage = { serverToClient: 0, acks: 0, gaps: 0, answersWithoutSyn: 0 };
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

  constructor(files: readonly string[], opts: TrackerOptions, onAttempt: (a: Attempt) => void) {
    this.files = files;
    this.opts = opts;
    this.timers = new TimerLists(opts.live, opts.timeout);
    this.onAttempt = onAttempt;
    this.order = new ListingOrder(this.emit);
    this.filtered = opts.hosts !== null || opts.ports !== null;
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

  /** Open attempts: those in the table that are not tombstones of attempts already reported. */
  get open(): number {
    return this.table.size - this.timers.tombstone.size;
  }

  /** Capture-clock seconds of an absolute timestamp. */
  clockOf(sec: number, nsec: number): number {
    if (this.baseSec < 0) {
      this.baseSec = sec;
      this.opts.window?.anchor(sec, nsec);
    }
    return (sec - this.baseSec) + nsec * 1e-9;
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
    if (raw < this.lastRaw) {
      const back = this.lastRaw - raw;
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
    this.lastRaw = raw;
    const t = raw + this.shift;
    if (t > this.now) {
      this.now = t;
      if (this.held.length > 0) this.expireHeld(t);
      this.expire(t);
    }
    return this.now;
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
      this.expire(t);
    }
  }

  /** End of input: settles everything still open against the capture's last packet time. */
  finish(): void {
    this.expireHeld(Number.POSITIVE_INFINITY);
    const end = this.now;
    const t = this.timers;
    for (const list of [t.handshake, t.established, t.linger, t.rejected]) {
      while (list.head !== null) this.retire(list.head, end, false);
    }
    while (t.tombstone.head !== null) {
      const a = t.tombstone.head;
      t.tombstone.remove(a);
      this.drop(a);
    }
    this.order.drain();
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
    const buf = v.buf;
    const len = v.addrLen;
    if (this.filtered && !this.wanted(buf, v.srcOff, v.srcPort, v.dstOff, v.dstPort, len)) return;
    const key = v.tunnelKey;
    const hash = withTunnel(tupleHash(buf, v.srcOff, v.srcPort, v.dstOff, v.dstPort, len), key);
    const a = this.table.find(hash, buf, v.srcOff, v.srcPort, v.dstOff, v.dstPort, len, key);
    const fromClient = this.table.direction === MATCH_FROM_CLIENT;
    const flags = v.flags;
    if ((flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) === TCP_FLAG_SYN) {
      this.syn(a, fromClient, hash, frame, v, t);
      return;
    }
    if (a === null) {
      // Mid-stream, or an answer whose SYN is not (yet) in the capture.
      if ((flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) === (TCP_FLAG_SYN | TCP_FLAG_ACK)
        || ((flags & (TCP_FLAG_RST | TCP_FLAG_ACK)) === (TCP_FLAG_RST | TCP_FLAG_ACK) && v.seq === 0)) {
        // RFC 793: a reset answering a segment without ACK (a SYN) "has sequence number zero".
        if (!this.replaying && this.hold(frame, hash, t)) return;
        this.coverage.serverToClient++;
        this.coverage.answersWithoutSyn++;
      }
      return;
    }
    if (!fromClient) {
      a.serverPackets++;
      this.coverage.serverToClient++;
    }
    switch (a.state) {
      case ST_SYN_SENT: this.onSynSent(a, fromClient, frame, v, t); break;
      case ST_SYNACK_SEEN: this.onSynAckSeen(a, fromClient, frame, v, t); break;
      case ST_ESTABLISHED: this.onEstablished(a, fromClient, frame, v, t); break;
      default: this.onDone(a, frame, v, t); break;
    }
  }

  /** A SYN without ACK: a new attempt, a retransmission, or a copy of one. */
  private syn(a: Attempt | null, fromClient: boolean, hash: number, frame: Frame, v: PacketView, t: number): void {
    if (a !== null) {
      if (!fromClient) {
        this.anomalies.simultaneous_open++;
        return;
      }
      if (a.isn === v.seq) {
        if (a.list === LIST_REJECTED && a.synCount === 1 && t - a.doneTime >= SOFT_ERROR_MIN_GAP) this.reopen(a);
        this.attach(a, frame);
        if (t - a.lastSynTime >= DUPLICATE_WINDOW) a.synCount++;
        a.lastSynTime = t;
        this.touch(a, t);
        if (this.held.length > 0) this.replayHeld(hash);
        return;
      }
      // A new ISN on the same 4-tuple: the client moved on and the old attempt will get no more
      // packets. It leaves the table; an unfinished one still waits for its verdict until the
      // capture has gone on --timeout past it (dropped / timed-out) or ends (incomplete).
      if (a.state === ST_ESTABLISHED) this.retire(a, t);
      else if (a.state !== ST_DONE) this.supersede(a);
    }
    if (this.table.size >= this.opts.maxAttempts) this.evictOldest(t);
    const len = v.addrLen;
    // Reuse a reported attempt's object when there is one: no allocation, nothing for the GC.
    let n = this.pool.pop();
    if (n === undefined) {
      n = new Attempt(this.files, frame.fileIndex, Buffer.allocUnsafe(32), len, v.srcPort, v.dstPort, v.seq, hash,
        frame.tsSec, frame.tsNsec, frame.tsDigits, frame.number, t);
    } else {
      n.init(this.files, frame.fileIndex, len, v.srcPort, v.dstPort, v.seq, hash, frame.tsSec, frame.tsNsec, frame.tsDigits, frame.number, t);
    }
    // A byte loop beats Buffer#copy for 4- and 16-byte copies.
    const addr = n.addr;
    const b = v.buf;
    for (let i = 0, s = v.srcOff, d = v.dstOff; i < len; i++) {
      addr[i] = b[s + i]!;
      addr[len + i] = b[d + i]!;
    }
    if (len === 4) {
      n.client4 = ip4At(b, v.srcOff);
      n.server4 = ip4At(b, v.dstOff);
    } else {
      n.client4 = 0;
      n.server4 = 0;
    }
    n.synLen = v.payloadLen;
    n.clientNext = (v.seq + 1 + v.payloadLen) >>> 0;
    if (v.tunnelKey !== 0) carriedBy(n, v);
    if (this.opts.keepPackets) n.packets = this.parts === null ? [keep(frame, this.seq)] : [];
    if (this.parts !== null) {
      n.frameCount = 0;
      this.attach(n, frame);
    }
    this.table.insert(n);
    n.deadline = this.timers.handshakeDeadline(n);
    this.timers.handshake.push(n);
    if (!this.opts.live) {
      this.order.add(n);
      if (this.order.length > this.opts.maxPending) this.releaseEarly(t);
    } else {
      this.unreported.push(n);
      this.unreportedFrames.push(frame.number);
    }
    if (this.held.length > 0) this.replayHeld(hash);
  }

  /**
   * Live: the first frame of the oldest attempt not yet handed over (Infinity when none is). Every
   * packet an unreported attempt will still bring has this number or a higher one, so a live
   * --evidence file can write everything below it in capture order.
   */
  oldestUnreportedFrame(): number {
    const q = this.unreported;
    const frames = this.unreportedFrames;
    let h = this.unreportedHead;
    // An entry is done once its attempt was reported (or its object reused for a later attempt).
    while (h < q.length && (q[h]!.emitted || q[h]!.firstFrame !== frames[h])) h++;
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

  private onSynSent(a: Attempt, fromClient: boolean, frame: Frame, v: PacketView, t: number): void {
    const flags = v.flags;
    if (!fromClient) {
      if ((flags & TCP_FLAG_SYN) !== 0) { // SYN/ACK
        if (!ackAcceptable(a, v.ack)) {
          this.anomalies.synack_bad_ack++;
          this.attach(a, frame);
          return;
        }
        this.answer(a, ANSWER_SYNACK, v, frame, t);
        this.coverage.acks++;
        a.serverIsn = v.seq;
        a.serverNext = (v.seq + 1) >>> 0;
        a.synAckTime = t;
        a.synAckDelay = t - a.lastSynTime;
        a.state = ST_SYNACK_SEEN;
        this.attach(a, frame);
        this.touch(a, t);
        return;
      }
      if ((flags & TCP_FLAG_RST) !== 0) {
        this.attach(a, frame);
        // RFC 793 (SYN-SENT): "If the ACK bit is set: If SEG.ACK =< ISS, or SEG.ACK > SND.NXT ...
        // If the RST bit is set: If the ACK was acceptable then signal the user 'error: connection
        // reset' ... Otherwise (no ACK) drop the segment and return." Linux does the same.
        if ((flags & TCP_FLAG_ACK) === 0 || !ackAcceptable(a, v.ack)) {
          this.anomalies.rst_without_ack++;
          return;
        }
        this.answer(a, ANSWER_RST, v, frame, t);
        this.decide(a, END_REFUSED, t);
      }
      return;
    }
    // From the client, no SYN: its ACK proves a SYN/ACK reached it that the capture missed.
    if ((flags & (TCP_FLAG_RST | TCP_FLAG_FIN)) === 0 && (flags & TCP_FLAG_ACK) !== 0) {
      this.anomalies.synack_not_captured++;
      this.attach(a, frame);
      a.serverIsn = (v.ack - 1) >>> 0; // what the ACK acknowledges: the SYN/ACK's sequence number + 1
      a.serverNext = v.ack;
      this.coverage.acks++;
      this.coverage.gaps++;
      a.unseenAcks++;
      this.clientSent(a, v);
      this.establish(a, t);
    }
  }

  private onSynAckSeen(a: Attempt, fromClient: boolean, frame: Frame, v: PacketView, t: number): void {
    const flags = v.flags;
    if (fromClient) {
      if ((flags & (TCP_FLAG_RST | TCP_FLAG_FIN)) !== 0) {
        this.attach(a, frame);
        this.decide(a, END_ABORTED, t);
        return;
      }
      if ((flags & TCP_FLAG_ACK) !== 0 && v.ack === ((a.serverIsn + 1) >>> 0)) {
        this.attach(a, frame);
        this.coverage.acks++;
        this.clientSent(a, v);
        this.establish(a, t);
      }
      return;
    }
    if ((flags & TCP_FLAG_RST) !== 0) {
      this.attach(a, frame);
      // The server resets before the client acknowledged its SYN/ACK (a proxy with no backend, a
      // server giving up). A client still in SYN-SENT — its SYN/ACK lost — takes the reset as
      // "connection refused" when its ACK is acceptable (RFC 793), as it would the SYN's answer.
      if ((flags & TCP_FLAG_ACK) !== 0 && ackAcceptable(a, v.ack)) {
        this.answer(a, ANSWER_RST, v, frame, t);
        this.decide(a, END_REFUSED, t);
      }
      return;
    }
    if ((flags & TCP_FLAG_SYN) !== 0) { // a SYN/ACK retransmission
      this.attach(a, frame);
      this.touch(a, t);
    }
  }

  private onEstablished(a: Attempt, fromClient: boolean, frame: Frame, v: PacketView, t: number): void {
    const flags = v.flags;
    if ((flags & TCP_FLAG_RST) === 0) {
      if (fromClient) this.clientSent(a, v);
      else this.serverSent(a, v);
    }
    // A copy of the ACK that completed the handshake (-i any, a router's capture) is one of its packets.
    if (fromClient && t - a.ackTime < ACK_COPY_WINDOW && (flags & (TCP_FLAG_SYN | TCP_FLAG_RST | TCP_FLAG_FIN)) === 0
      && v.payloadLen === 0 && v.seq === ((a.isn + 1) >>> 0) && v.ack === ((a.serverIsn + 1) >>> 0)) {
      this.attach(a, frame);
    }
    if ((flags & TCP_FLAG_RST) !== 0) {
      this.attach(a, frame);
      a.resetBy = fromClient ? RESET_BY_CLIENT : RESET_BY_SERVER;
      this.decide(a, END_ESTABLISHED, t);
      return;
    }
    if ((flags & TCP_FLAG_FIN) !== 0) {
      this.attach(a, frame);
      if (fromClient) a.clientFin = true;
      else a.serverFin = true;
      if (a.clientFin && a.serverFin) {
        this.decide(a, END_ESTABLISHED, t);
        return;
      }
    }
    this.touch(a, t);
  }

  /** A packet of an attempt already decided: copies of its packets still belong to it. */
  private onDone(a: Attempt, frame: Frame, v: PacketView, t: number): void {
    if ((v.flags & (TCP_FLAG_SYN | TCP_FLAG_RST | TCP_FLAG_FIN)) === 0) return;
    this.attach(a, frame);
    if (a.list === LIST_TOMBSTONE) {
      if ((v.flags & TCP_FLAG_SYN) !== 0 && (v.flags & TCP_FLAG_ACK) === 0) a.synCount++;
      else this.anomalies.answer_after_verdict++;
      this.touch(a, t);
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
    const a = this.table.find(hash, buf, v.qSrcOff, v.qSrcPort, v.qDstOff, v.qDstPort, len, key);
    // The quoted packet went client → server, and Linux's tcp_v4_err()/tcp_v6_err() ignore an
    // error whose quoted sequence number is outside [snd_una, snd_nxt]: in SYN-SENT, the ISN.
    if (a === null || this.table.direction !== MATCH_FROM_CLIENT || v.qSeq !== a.isn) {
      // Perhaps an error stamped before the SYN it quotes.
      if (!this.replaying && icmpErrno(v.ipVersion, v.icmpType, v.icmpCode) !== null) this.hold(frame, hash, t);
      return;
    }
    // An error while a rejection waits for a retransmission that would reopen it may answer that
    // retransmission, stamped before it: it waits for it too.
    if (a.list === LIST_REJECTED && a.synCount === 1 && !this.replaying && this.hold(frame, hash, t)) return;
    this.coverage.serverToClient++;
    if (a.state === ST_SYN_SENT || a.state === ST_SYNACK_SEEN) {
      const version = v.ipVersion;
      this.attach(a, frame);
      if (icmpErrno(version, v.icmpType, v.icmpCode) === null) {
        this.anomalies.icmp_not_fatal++;
        return;
      }
      this.answer(a, ANSWER_ICMP, v, frame, t); // decides even after a SYN/ACK that never arrived
      a.icmpVersion = version;
      a.icmpType = v.icmpType;
      a.icmpCode = v.icmpCode;
      this.decide(a, END_REJECTED, t);
    } else if (a.state === ST_DONE) {
      this.attach(a, frame);
      if (a.list === LIST_TOMBSTONE) this.anomalies.answer_after_verdict++;
    }
  }

  // ---------------------------------------------------------------- capture loss

  /**
   * A client packet of a handshake or connection: the sequence space it shows, and whether its ACK
   * acknowledges server packets the capture never held (Zeek's capture_loss: ACKs above a gap).
   */
  private clientSent(a: Attempt, v: PacketView): void {
    const end = (v.seq + v.payloadLen + ((v.flags & TCP_FLAG_FIN) !== 0 ? 1 : 0)) >>> 0;
    if (seqAfter(end, a.clientNext)) a.clientNext = end;
    if ((v.flags & TCP_FLAG_ACK) === 0 || a.state !== ST_ESTABLISHED) return;
    this.coverage.acks++;
    if (seqAfter(v.ack, a.serverNext)) {
      this.coverage.gaps++;
      a.unseenAcks++;
      a.serverNext = v.ack;
    }
  }

  /** A server packet of an established connection, as clientSent(). */
  private serverSent(a: Attempt, v: PacketView): void {
    const end = (v.seq + v.payloadLen + ((v.flags & TCP_FLAG_FIN) !== 0 ? 1 : 0)) >>> 0;
    if (seqAfter(end, a.serverNext)) a.serverNext = end;
    if ((v.flags & TCP_FLAG_ACK) === 0) return;
    this.coverage.acks++;
    if (seqAfter(v.ack, a.clientNext)) {
      this.coverage.gaps++;
      a.clientNext = v.ack;
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

  /** What the capture leaves in doubt about a verdict just reached without an answer. */
  private qualify(a: Attempt): void {
    const o = a.verdict?.outcome;
    const c = this.coverage;
    if (o === 'dropped' && a.synCount >= SYNS_WITHOUT_DOUBT) return;
    if (o === 'dropped' && c.serverToClient === 0) a.doubt = DOUBT_CLIENT_ONLY;
    else if ((o === 'dropped' || o === 'timed-out') && c.gaps + c.answersWithoutSyn > 0) a.doubt = DOUBT_CAPTURE_LOSS;
  }

  // ---------------------------------------------------------------- bookkeeping

  private attach(a: Attempt, frame: Frame): void {
    const parts = this.parts;
    if (parts !== null) {
      for (let i = 0; i < parts.count; i++) this.attachNumber(a, parts.numbers[i]!, parts.files[i]!);
      if (a.packets !== null) for (const p of parts.packets) a.packets.push(p);
      return;
    }
    if (a.frameCount >= MAX_FRAMES) return;
    this.attachNumber(a, frame.number, frame.fileIndex);
    if (a.packets !== null) a.packets.push(keep(frame, this.seq));
  }

  private attachNumber(a: Attempt, number: number, fileIndex: number): void {
    const n = a.frameCount;
    if (n >= MAX_FRAMES) return;
    if (n < a.frames.length) a.frames[n] = number;
    else a.frames.push(number);
    a.frameCount = n + 1;
    // The input of each frame is written down only once they differ (several files read as one).
    if (a.spans || fileIndex !== a.fileIndex) spanFrame(a, n, fileIndex);
    // An answer held for its SYN (reordering) has a lower number than the frames of its file before it.
    const frames = a.frames;
    const files = a.frameFiles;
    for (let i = n; i > 0 && frames[i - 1]! > frames[i]! && (!a.spans || files[i - 1] === files[i]); i--) {
      const x = frames[i]!;
      frames[i] = frames[i - 1]!;
      frames[i - 1] = x;
    }
  }

  /** Records the first answer to the SYN (a later, different one — ICMP after SYN/ACK — overrides in icmp()). */
  private answer(a: Attempt, kind: number, v: PacketView, frame: Frame, t: number): void {
    // The first answer stays, unless a later one decides instead (an ICMP error, or a reset after
    // a SYN/ACK the client never acknowledged).
    if (a.answerKind !== ANSWER_NONE && kind === ANSWER_SYNACK) return;
    a.answerKind = kind;
    // A SYN/ACK or RST matched the 4-tuple, so it came from the server's address: only an ICMP
    // sender (a router, a firewall) needs its own copy.
    if (kind === ANSWER_ICMP) {
      const from = Buffer.allocUnsafe(v.addrLen);
      v.buf.copy(from, 0, v.srcOff, v.srcOff + v.addrLen);
      a.answerFrom = from;
    } else {
      a.answerFrom = null;
    }
    a.answerSec = frame.tsSec;
    a.answerNsec = frame.tsNsec;
    a.answerTime = t;
    a.answerTtl = v.ttl;
  }

  /** The client's ACK (this packet) completed the handshake. */
  private establish(a: Attempt, t: number): void {
    a.state = ST_ESTABLISHED;
    a.end = END_ESTABLISHED;
    this.moveTo(a, LIST_ESTABLISHED);
    a.lastActivity = t;
    a.ackTime = t;
    a.connectDelay = t - a.firstSynTime;
  }

  /**
   * The attempt's outcome is known: it lingers briefly for copies of its packets, then is reported;
   * a rejected one waits longer, for a retransmission that would show the error was soft.
   */
  private decide(a: Attempt, end: number, t: number): void {
    a.state = ST_DONE;
    a.end = end;
    a.doneTime = t;
    a.verdict = outcome(a, t, this.opts.timeout);
    a.lastActivity = t;
    this.moveTo(a, end === END_REJECTED ? LIST_REJECTED : LIST_LINGER);
  }

  /**
   * The client retransmitted its SYN after an ICMP error: the error did not end its connect()
   * (a soft error), so the attempt is open again and a later answer decides it.
   */
  private reopen(a: Attempt): void {
    a.state = ST_SYN_SENT;
    a.end = END_NONE;
    a.verdict = null;
    a.answerKind = ANSWER_NONE;
    a.answerFrom = null;
    a.icmpVersion = 0;
    a.icmpType = -1;
    a.icmpCode = -1;
    this.moveTo(a, LIST_HANDSHAKE);
    this.anomalies.icmp_soft_error++;
  }

  private touch(a: Attempt, t: number): void {
    const gap = t - a.lastActivity;
    if (gap >= DUPLICATE_WINDOW) a.lastGap = gap;
    a.lastActivity = t;
    if (a.list === LIST_HANDSHAKE) {
      a.deadline = this.timers.handshakeDeadline(a);
      this.timers.handshake.update(a);
      return;
    }
    const list = this.timers.byId(a.list);
    if (list instanceof TimerList && list.tail !== a) {
      list.remove(a);
      list.push(a);
    }
  }

  private moveTo(a: Attempt, id: number): void {
    const from = this.timers.byId(a.list);
    if (from !== null) from.remove(a);
    if (id === LIST_HANDSHAKE) a.deadline = this.timers.handshakeDeadline(a);
    const to = this.timers.byId(id);
    if (to !== null) to.push(a);
  }

  /** Takes an unfinished attempt out of the table, its verdict due --timeout after its start. */
  private supersede(a: Attempt): void {
    this.drop(a);
    a.superseded = true;
    const since = a.state === ST_SYNACK_SEEN ? a.synAckTime : a.firstSynTime;
    a.deadline = since + this.opts.timeout;
    if (a.list === LIST_HANDSHAKE) this.timers.handshake.update(a);
  }

  /**
   * Settles (if still open) and hands over an attempt. It leaves the table, except live, where a
   * tombstone stays so that a late retransmission (after an ICMP error the client took as soft)
   * joins the attempt already reported instead of starting a new one.
   */
  private retire(a: Attempt, t: number, tombstone = this.opts.live): void {
    if (a.verdict === null) {
      a.verdict = outcome(a, t, this.opts.timeout);
      this.qualify(a);
    }
    if (tombstone && !a.superseded) {
      a.state = ST_DONE;
      a.lastActivity = t;
      this.moveTo(a, LIST_TOMBSTONE);
      this.trimTombstones();
    } else {
      const list = this.timers.byId(a.list);
      if (list !== null) list.remove(a);
      this.drop(a);
    }
    this.release(a);
  }

  /** The attempt is settled: live hands it over at once; read lets the listing order do it. */
  private release(a: Attempt): void {
    a.ready = true;
    if (this.opts.live) this.emit(a);
  }

  /** Hands an attempt to the reporter; once it has also left the table, its object is reused. */
  private readonly emit = (a: Attempt): void => {
    a.emitted = true;
    const w = this.opts.window;
    if (w === null || w.has(a.startSec, a.startNsec)) this.onAttempt(a);
    if (!a.inTable) this.recycle(a);
  };

  /** Takes an attempt out of the table; a reported one's object is reused. */
  private drop(a: Attempt): void {
    this.table.delete(a);
    if (a.emitted) this.recycle(a);
  }

  private recycle(a: Attempt): void {
    a.packets = null;
    a.answerFrom = null;
    a.verdict = null;
    if (this.pool.length < POOL_MAX) this.pool.push(a);
  }

  /** Tombstones are a convenience: at most a quarter of the table. */
  private trimTombstones(): void {
    const tombs = this.timers.tombstone;
    while (tombs.size > Math.ceil(this.opts.maxAttempts / 4)) {
      const old = tombs.head!;
      tombs.remove(old);
      this.drop(old);
    }
  }

  private expire(now: number): void {
    const timers = this.timers;
    let released = false;
    const lingerWait = timers.lingerWait;
    let a = timers.linger.head;
    while (a !== null && a.doneTime + lingerWait <= now) {
      this.retire(a, now);
      released = true;
      a = timers.linger.head;
    }
    const rejectedWait = timers.rejectedWait;
    a = timers.rejected.head;
    while (a !== null && a.doneTime + rejectedWait <= now) {
      this.retire(a, now);
      released = true;
      a = timers.rejected.head;
    }
    a = timers.handshake.head;
    while (a !== null && a.deadline <= now) {
      if (this.opts.live && !a.superseded) this.settleEarly(a, now);
      else this.retire(a, now);
      released = true;
      a = timers.handshake.head;
    }
    a = timers.established.head;
    while (a !== null && a.lastActivity + ESTABLISHED_IDLE <= now) {
      this.retire(a, now);
      released = true;
      a = timers.established.head;
    }
    a = timers.tombstone.head;
    while (a !== null && a.lastActivity + TOMBSTONE_WAIT <= now) {
      const list = timers.tombstone;
      list.remove(a);
      this.drop(a);
      a = list.head;
    }
    if (released) this.order.drain();
  }

  /** The table is full: settle the attempt that has waited longest. */
  private evictOldest(t: number): void {
    const timers = this.timers;
    const victim = timers.tombstone.head ?? timers.linger.head ?? timers.rejected.head ?? timers.handshake.head
      ?? timers.established.head;
    if (victim === null) return;
    if (victim.list === LIST_TOMBSTONE) {
      timers.tombstone.remove(victim);
      this.drop(victim);
      return;
    }
    if (victim.list === LIST_HANDSHAKE || victim.list === LIST_ESTABLISHED) {
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
    if (head === null || head.ready) {
      this.order.drain();
      return;
    }
    if (head.list === LIST_ESTABLISHED) {
      // Its outcome is known; only a later reset (resetBy) would be missed.
      this.anomalies.released_early++;
      this.settleEarly(head, t);
    } else if (head.list === LIST_HANDSHAKE) {
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

  /**
   * Reports an open attempt before its end (a full table or listing queue) and keeps a tombstone
   * of it, so that its late retransmissions still join it rather than start a new attempt.
   */
  private settleEarly(a: Attempt, t: number): void {
    // Live expiry comes --timeout after the last packet, so the capture has gone on that long; a
    // full table or listing queue (a flood) assumes it will, rather than call the attempt incomplete.
    a.verdict = outcome(a, Number.POSITIVE_INFINITY, this.opts.timeout);
    this.qualify(a);
    a.state = ST_DONE;
    a.doneTime = t;
    a.lastActivity = t;
    this.moveTo(a, LIST_TOMBSTONE);
    this.trimTombstones();
    this.release(a);
  }
}

/** Copies how the SYN was carried (its tunnel, as the innermost encapsulation) onto a new attempt. */
function carriedBy(n: Attempt, v: PacketView): void {
  n.tunnelKey = v.tunnelKey;
  const c = n.carrier ?? (n.carrier = new Carrier());
  c.kind = v.tunnelKind;
  c.id = v.tunnelId;
  const len = v.outerAddrLen;
  c.outerLen = len;
  const b = v.buf;
  for (let i = 0; i < len; i++) {
    c.outer[i] = b[v.outerSrcOff + i]!;
    c.outer[16 + i] = b[v.outerDstOff + i]!;
  }
}

/**
 * RFC 793 SYN-SENT: an ACK is acceptable when SND.UNA < SEG.ACK =< SND.NXT, that is from ISN+1
 * up to ISN+1 plus the data a Fast Open SYN carried (Linux: tcp_rcv_synsent_state_process()).
 */
function ackAcceptable(a: Attempt, ack: number): boolean {
  return ((ack - a.isn - 1) >>> 0) <= a.synLen;
}

/** Frame `n` of `a` is from input `fileIndex`: the attempt spans inputs (its earlier frames are from its first). */
function spanFrame(a: Attempt, n: number, fileIndex: number): void {
  const files = a.frameFiles;
  if (!a.spans) {
    for (let k = 0; k < n; k++) files[k] = a.fileIndex;
    a.spans = true;
  }
  files[n] = fileIndex;
}

/** Sequence number x comes after y (RFC 793 arithmetic modulo 2^32). */
function seqAfter(x: number, y: number): boolean {
  return ((x - y) | 0) > 0;
}

function keep(frame: Frame, seq: number): KeptPacket {
  const data = Buffer.allocUnsafe(frame.caplen);
  frame.data.copy(data, 0, frame.offset, frame.offset + frame.caplen);
  return {
    number: frame.number, fileIndex: frame.fileIndex, seq, tsSec: frame.tsSec, tsNsec: frame.tsNsec,
    linkType: frame.linkType, origLen: frame.origLen, data,
  };
}
