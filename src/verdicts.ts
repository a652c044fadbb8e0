// What happens to each settled attempt, in `read` and `live` alike: it is counted (summary,
// services, findings), and only when --only lists it does it become a record with a diagnosis.
// Text is built for listed attempts alone: a capture of millions of attempts formats only those.

import { HandshakeContext } from './report/context.js';
import { Findings, NOTE_NONE, type Finding } from './report/findings.js';
import type { Reporter } from './report/reporter.js';
import { Summary, outcomeIndex } from './report/summary.js';
import type { OutcomeTimeline } from './report/timeline.js';
import { DOUBT_CLIENT_ONLY, RESET_NONE, type SettledAttempt, type KeptPacket, type Listed } from './track/attempt.js';
import type { EvidenceStream } from './evidence-stream.js';

const NO_PACKETS: readonly KeptPacket[] = [];

export class Verdicts {
  readonly summary = new Summary();
  readonly findings = new Findings();
  /** Outcomes that occurred (for --fail-on). */
  readonly seen = new Set<Listed>();
  private readonly only: ReadonlySet<Listed>;
  private readonly onListed: (a: SettledAttempt, c: HandshakeContext) => void;
  /** Refilled for each listed (or noted) attempt. */
  private readonly context: HandshakeContext;
  /** --chart: attempts per time bucket, or null. */
  timeline: OutcomeTimeline | null = null;

  constructor(only: ReadonlySet<Listed>, timeout: number, onListed: (a: SettledAttempt, c: HandshakeContext) => void) {
    this.only = only;
    this.onListed = onListed;
    this.context = new HandshakeContext(this.findings, timeout);
  }

  /** Every finding: those seen attempt by attempt, then those only the totals show (slow connects). */
  allFindings(): Finding[] {
    return [...this.findings.all(), ...this.summary.slowConnectFindings()];
  }

  /** Takes one settled attempt; the tracker forgets it afterwards. */
  readonly handle = (a: SettledAttempt): void => {
    const v = a.verdict;
    if (v === null) return;
    const service = this.summary.add(a);
    this.seen.add(v.outcome);
    const reset = a.resetBy !== RESET_NONE;
    if (reset) this.seen.add('reset');
    if (this.timeline !== null) this.timeline.add(a.startSec, a.startNsec, outcomeIndex(v.outcome), reset, service);
    // A server none of whose packets is in the capture, while its clients acknowledge some: its
    // unanswered SYNs may well have been answered.
    // (Their ACKs are gaps, but of a direction the capture does not hold rather than of packets lost.)
    if (
      v.outcome === 'dropped' &&
      a.doubt !== DOUBT_CLIENT_ONLY &&
      service !== null &&
      service.answered === 0 &&
      service.proven > 0
    )
      a.doubt = DOUBT_CLIENT_ONLY;
    const note = this.findings.observe(a, service);
    const listed = this.only.has(v.outcome) || (reset && this.only.has('reset'));
    if (listed || note !== NOTE_NONE) {
      this.context.set(a, service === null ? null : service.ip, note);
      if (listed) this.onListed(a, this.context);
    }
  };
}

/**
 * `read`'s end of the pipeline: settled attempts, already in listing order across all inputs (one
 * tracker reads them as one timeline), are counted and the listed ones handed to the reporter as
 * they come.
 */
export class Listing {
  readonly verdicts: Verdicts;
  /** Packets of the listed attempts (only when the tracker kept them, for --evidence). */
  readonly evidence: KeptPacket[] = [];
  private readonly reporter: Reporter;
  /** Streams the packets of listed attempts to --evidence as they come (stdin), instead of `evidence`. */
  private readonly stream: EvidenceStream | null;

  constructor(only: ReadonlySet<Listed>, timeout: number, reporter: Reporter, stream: EvidenceStream | null = null) {
    this.reporter = reporter;
    this.stream = stream;
    this.verdicts = new Verdicts(only, timeout, this.onListed);
  }

  /** One settled attempt. */
  readonly attempt = (a: SettledAttempt): void => {
    const first = a.firstFrame;
    this.verdicts.handle(a);
    // One input lists its attempts by start: those still to come start after this one's first frame,
    // so every packet up to it is in place. (Should times go backwards, a few come out of order.)
    if (this.stream !== null) this.stream.add(NO_PACKETS, first + 1);
  };

  private readonly onListed = (a: SettledAttempt, c: HandshakeContext): void => {
    this.reporter.handshake(a, c);
    if (a.packets === null) return;
    if (this.stream !== null) this.stream.add(a.packets, 0);
    else for (const p of a.packets) this.evidence.push(p);
  };
}
