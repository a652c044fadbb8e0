// The pipeline in one screen: capture files → frames → decoded packets → handshake verdicts →
// a reporter. The library entry behind `synscope read`; it prints nothing and never exits.
// trackFiles() is the first half (to settled attempts), analyzeFiles() the whole in one thread;
// cli/threads.ts runs the two halves in two threads for large files.

import { openCapture, type OpenCaptureOptions } from './capture/open.js';
import { linkTypeName, type FrameSource } from './capture/source.js';
import { CaptureFormatError } from './errors.js';
import { PacketFeed } from './feed.js';
import type { Finding } from './report/findings.js';
import type { CaptureJson, Reporter } from './report/reporter.js';
import type { Summary } from './report/summary.js';
import type { Attempt, Outcome } from './track/attempt.js';
import { DEFAULT_TRACKER_OPTIONS, HandshakeTracker, trackerSelection } from './track/handshakes.js';
import type { Selection } from './track/select.js';
import { Listing, type EvidencePacket } from './verdicts.js';

export type { EvidencePacket };

export interface TrackOptions {
  readonly timeout: number;
  /** --host, --port, --since, --until. */
  readonly select: Selection;
  /** Keep the packets of every attempt for an evidence capture. */
  readonly keepPackets: boolean;
  readonly open?: OpenCaptureOptions;
}

export interface AnalyzeOptions extends TrackOptions {
  /** Outcomes to list (the summary counts all). */
  readonly only: ReadonlySet<Outcome>;
}

/** What reading and tracking found, apart from the verdicts themselves. */
export interface TrackResult {
  readonly captures: CaptureJson[];
  readonly evicted: number;
  readonly anomalies: Record<string, number>;
  /** Damaged or unreadable inputs, in order; verdicts before the damage were still handed over. */
  readonly errors: CaptureFormatError[];
  /** True when some input had sub-microsecond timestamps. */
  readonly nanosecond: boolean;
}

export interface AnalyzeResult extends TrackResult {
  readonly summary: Summary;
  readonly findings: readonly Finding[];
  /** Outcomes that occurred (for --fail-on). */
  readonly seen: ReadonlySet<Outcome>;
  readonly evidence: EvidencePacket[];
}

/** Called with the source being read, so a caller can show progress. */
export type ProgressHook = (source: FrameSource | null) => void;

/**
 * Capture → decode → track, input after input: every settled attempt goes to `onAttempt` with the
 * index of its input, in listing order within that input.
 */
export async function trackFiles(
  paths: readonly string[], opts: TrackOptions, onAttempt: (a: Attempt, fileIndex: number) => void, progress?: ProgressHook,
): Promise<TrackResult> {
  const captures: CaptureJson[] = [];
  const errors: CaptureFormatError[] = [];
  const anomalies: Record<string, number> = {};
  let evicted = 0;
  let nanosecond = false;
  // One window for all inputs: its times are relative to the first packet of the first.
  const select = trackerSelection(opts.select);

  for (let fileIndex = 0; fileIndex < paths.length; fileIndex++) {
    const path = paths[fileIndex]!;
    const cap: CaptureJson = {
      file: path, format: 'unknown', gzip: false, linkTypes: [], packets: 0, first: null, last: null,
      otherPackets: 0, badPackets: 0, unknownLinkPackets: 0, error: null,
    };
    captures.push(cap);
    const tracker = new HandshakeTracker(path, {
      ...DEFAULT_TRACKER_OPTIONS,
      timeout: opts.timeout,
      keepPackets: opts.keepPackets,
      ...select,
    }, (a) => onAttempt(a, fileIndex));

    let source: FrameSource | null = null;
    const feed = new PacketFeed(tracker);
    try {
      source = await openCapture(path, opts.open);
      progress?.(source);
      await source.run(feed.onFrame);
    } catch (e) {
      if (!(e instanceof CaptureFormatError)) throw e;
      errors.push(e);
      cap.error = e.message;
    } finally {
      // Flush first: the verdicts reached before any damage are reported before the error.
      tracker.finish();
      progress?.(null);
    }
    if (source !== null) {
      cap.format = source.format;
      cap.gzip = source.gzip;
      cap.linkTypes = source.linkTypes.map(linkTypeName);
      cap.packets = source.packets;
    }
    feed.describe(cap);
    if (feed.digits > 6) nanosecond = true;
    evicted += tracker.evicted;
    tracker.addAnomalies(anomalies);
  }
  return { captures, evicted, anomalies, errors, nanosecond };
}

/** The whole pipeline in this thread: the listed handshakes go to `reporter` in listing order. */
export async function analyzeFiles(
  paths: readonly string[], opts: AnalyzeOptions, reporter: Reporter, progress?: ProgressHook,
): Promise<AnalyzeResult> {
  const listing = new Listing(opts.only, opts.timeout, reporter, paths.length);
  const r = await trackFiles(paths, opts, listing.attempt, progress);
  listing.end();
  const v = listing.verdicts;
  return { ...r, summary: v.summary, findings: v.findings.all(), seen: v.seen, evidence: listing.evidence };
}

/**
 * Whether the report's totals are written: not when nothing at all was read (missing files, not
 * captures), where the error lines say it all, except in json, which stays one valid object.
 */
export function reportWanted(r: TrackResult, inputs: number, format: string): boolean {
  return format === 'json' || !(r.errors.length === inputs && r.captures.every((c) => c.packets === 0));
}
