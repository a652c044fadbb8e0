// The live pipeline: a LiveSource → decoded packets → the tracker on the live clock (plus idle
// ticks) → a reporter, verdicts as they happen. The library entry behind `synscope live`; it prints nothing
// and never exits.
//
// Verdict times are the kernel's packet timestamps; idle ticks read the wall clock a little behind.
// Memory stays flat over days: per packet nothing is kept; per verdict only counters (the summary per
// service) and, for --evidence, the few packets still waiting for their place in capture order.

import type { LiveSource, PcapStats } from './capture/live.js';
import { linkTypeName } from './capture/source.js';
import { PacketFeed, coverageOf, describeClock } from './feed.js';
import type { Finding } from './report/findings.js';
import type { EvidenceWriter } from './report/evidence-writer.js';
import type { HandshakeContext } from './report/context.js';
import type { CaptureJson, Reporter } from './report/reporter.js';
import type { Summary } from './report/summary.js';
import type { SettledAttempt, Listed } from './track/attempt.js';
import { DEFAULT_TRACKER_OPTIONS, HandshakeTracker, trackerSelection, type Coverage } from './track/handshakes.js';
import type { Selection } from './track/select.js';
import { Verdicts } from './verdicts.js';
import { EvidenceStream } from './evidence-stream.js';
import type { OutcomeTimeline } from './report/timeline.js';

export { EvidenceStream };

/**
 * How often the tracker's clock advances without packets, so silence turns into `dropped` on time and
 * a settled attempt is printed within 100 ms of its last packet (block timeout + clock lag + live linger + a tick).
 */
export const TICK_MS = 25;

export interface LiveAnalyzeOptions {
  readonly timeout: number;
  /** Outcomes to list (the summary counts all). */
  readonly only: ReadonlySet<Listed>;
  /** --host, --port, --since, --until. */
  readonly select: Selection;
  /** Where the packets of listed attempts go (--evidence), in capture order; null for none. */
  readonly evidence: EvidenceWriter | null;
  /** Keep where each evidence packet landed in the file (a ticket numbers frames as the file does). */
  readonly evidenceFrames?: boolean;
  /** --chart: counts every settled attempt by time and outcome. */
  readonly timeline?: OutcomeTimeline;
}

/** Counters for a progress line, read while the capture runs. */
export interface LiveProgress {
  readonly packets: number;
  /** pcap_stats() now. */
  readonly stats: PcapStats;
  readonly attempts: number;
  readonly open: number;
  readonly summary: Summary;
}

export interface LiveResult {
  /** The one capture (a list, as a read's result has). */
  readonly captures: CaptureJson[];
  readonly summary: Summary;
  readonly findings: readonly Finding[];
  readonly evicted: number;
  readonly anomalies: Record<string, number>;
  readonly coverage: Coverage;
  /** Outcomes that occurred (for --fail-on). */
  readonly seen: ReadonlySet<Listed>;
  /** Packets written to --evidence, or null without it. */
  readonly evidencePackets: number | null;
  /** Why --evidence could not be written (the capture went on), or null. */
  readonly evidenceError: string | null;
  /** Frame number in the capture → frame number in the evidence file, when asked for. */
  readonly evidenceFrames: ReadonlyMap<number, number> | null;
}

/** One live capture, from run() until the source stops (stop(), --count, --duration in the caller). */
export class LiveAnalysis {
  private readonly verdicts: Verdicts;
  private readonly source: LiveSource;
  private readonly reporter: Reporter;
  private readonly tracker: HandshakeTracker;
  private readonly feed: PacketFeed;
  private readonly evidence: EvidenceStream | null;

  constructor(source: LiveSource, opts: LiveAnalyzeOptions, reporter: Reporter) {
    this.source = source;
    this.reporter = reporter;
    this.evidence = opts.evidence === null ? null : new EvidenceStream(opts.evidence, opts.evidenceFrames === true);
    this.verdicts = new Verdicts(opts.only, opts.timeout, this.onListed);
    this.verdicts.timeline = opts.timeline ?? null;
    this.tracker = new HandshakeTracker(
      [source.name],
      {
        ...DEFAULT_TRACKER_OPTIONS,
        timeout: opts.timeout,
        live: true,
        keepPackets: opts.evidence !== null,
        ...trackerSelection(opts.select),
      },
      this.verdicts.handle,
    );
    this.feed = new PacketFeed(this.tracker);
  }

  get progress(): LiveProgress {
    const summary = this.verdicts.summary;
    return {
      packets: this.source.packets,
      stats: this.source.stats(),
      attempts: summary.totals.attempts,
      open: this.tracker.open,
      summary,
    };
  }

  /** Stops the capture; run() then settles what is still open and resolves. */
  stop(): void {
    this.source.stop();
  }

  /**
   * Captures until the source stops, then advances the clock to now (unanswered SYNs older than
   * --timeout become `dropped`), flushes the rest (`incomplete`) and writes the evidence file.
   */
  async run(): Promise<LiveResult> {
    const source = this.source;
    const tick = setInterval(this.onTick, TICK_MS);
    tick.unref();
    try {
      await source.run(this.feed.onFrame);
    } finally {
      clearInterval(tick);
      source.readClock();
      this.tracker.tick(source.clockSec, source.clockNsec);
      this.tracker.finish();
    }
    if (this.evidence !== null) await this.evidence.close();

    const stats = source.stats();
    const capture: CaptureJson = {
      file: source.name,
      format: source.format,
      gzip: false,
      linkTypes: source.linkTypes.map(linkTypeName),
      packets: source.packets,
      first: null,
      last: null,
      otherPackets: 0,
      badPackets: 0,
      unknownLinkPackets: 0,
      error: source.lost,
      received: stats.received,
      droppedByKernel: stats.dropped,
      droppedByInterface: stats.ifdropped,
    };
    this.feed.describe(capture);
    const anomalies: Record<string, number> = {};
    this.tracker.addAnomalies(anomalies);
    this.feed.addAnomalies(anomalies); // fragments given up
    const coverage = coverageOf(this.tracker);
    describeClock(capture, this.tracker, 0);
    return {
      captures: [capture],
      summary: this.verdicts.summary,
      findings: this.verdicts.allFindings(),
      evicted: this.tracker.evicted,
      anomalies,
      coverage,
      seen: this.verdicts.seen,
      evidencePackets: this.evidence === null ? null : this.evidence.written,
      evidenceError: this.evidence?.error ?? null,
      evidenceFrames: this.evidence?.frames ?? null,
    };
  }

  private readonly onTick = (): void => {
    const source = this.source;
    if (source.stopped) return;
    source.readClock();
    this.tracker.tick(source.clockSec, source.clockNsec);
  };

  /** A listed handshake (Verdicts counted it): report it, pass its packets on. */
  private readonly onListed = (a: SettledAttempt, c: HandshakeContext): void => {
    this.reporter.handshake(a, c);
    if (a.packets !== null && this.evidence !== null)
      this.evidence.add(a.packets, this.tracker.oldestUnreportedFrame());
  };
}
