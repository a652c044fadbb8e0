// The pipeline in one screen: capture files → frames → decoded packets → handshake verdicts →
// a reporter. The library entry behind `synscope read`; it prints nothing and never exits.
// Several inputs are one capture (one timeline, one tracker). trackFiles() is the first half (to
// settled attempts), analyzeFiles() the whole.

import { Timeline } from './capture/merge.js';
import { openCapture, type OpenCaptureOptions } from './capture/open.js';
import type { ReadGate } from './capture/window.js';
import { linkTypeName, type FrameSource } from './capture/source.js';
import { Reassembler } from './decode/reassembly.js';
import { addVxlanPorts } from './decode/udp.js';
import { CaptureFormatError } from './errors.js';
import { PacketFeed, coverageOf, describeClock } from './feed.js';
import type { Finding } from './report/findings.js';
import type { CaptureJson, Reporter } from './report/reporter.js';
import type { Summary } from './report/summary.js';
import type { SettledAttempt, KeptPacket, Listed } from './track/attempt.js';
import { DEFAULT_TRACKER_OPTIONS, HandshakeTracker, trackerSelection, type Coverage } from './track/handshakes.js';
import type { Selection } from './track/select.js';
import type { EvidenceStream } from './evidence-stream.js';
import type { OutcomeTimeline } from './report/timeline.js';
import { Listing } from './verdicts.js';

/** A packet of a listed attempt, for --evidence. */
export type EvidencePacket = KeptPacket;

export interface TrackOptions {
  readonly timeout: number;
  /** --host, --port, --since, --until. */
  readonly select: Selection;
  /** Keep the packets of every attempt for an evidence capture. */
  readonly keepPackets: boolean;
  /** UDP ports decoded as VXLAN besides the standard ones (--vxlan-port). */
  readonly vxlanPorts?: readonly number[];
  readonly open?: OpenCaptureOptions;
}

export interface AnalyzeOptions extends TrackOptions {
  /** Outcomes to list (the summary counts all). */
  readonly only: ReadonlySet<Listed>;
}

/** What reading and tracking found, apart from the verdicts themselves. */
export interface TrackResult {
  readonly captures: CaptureJson[];
  readonly evicted: number;
  readonly anomalies: Record<string, number>;
  /** What the captures show and miss (directions, capture loss), over the whole timeline. */
  readonly coverage: Coverage;
  /** Damaged or unreadable inputs, in order; verdicts before the damage were still handed over. */
  readonly errors: CaptureFormatError[];
  /** True when some input had sub-microsecond timestamps. */
  readonly nanosecond: boolean;
}

export interface AnalyzeResult extends TrackResult {
  readonly summary: Summary;
  readonly findings: readonly Finding[];
  /** Outcomes that occurred (for --fail-on). */
  readonly seen: ReadonlySet<Listed>;
  readonly evidence: EvidencePacket[];
}

/** Called with the source being read, so a caller can show progress. */
export type ProgressHook = (source: FrameSource | null) => void;

export interface AnalyzeHooks {
  readonly progress?: ProgressHook;
  /** Aborting it ends the input (a signal): what was read is settled and reported as at its end. */
  readonly signal?: AbortSignal;
  /** One input: its listed packets stream here as they are listed (not into the result's `evidence`). */
  readonly evidence?: EvidenceStream;
  /** --chart: counts every settled attempt by time and outcome. */
  readonly timeline?: OutcomeTimeline;
}

/**
 * Capture → decode → track. Several inputs are one capture: one timeline (capture/merge.ts) and one
 * tracker, so an attempt whose packets fall into several files is one attempt. Every settled
 * attempt goes to `onAttempt` in listing order. A damaged input ends at its damage (its error is
 * returned, the verdicts before it are kept) and the timeline goes on with the other inputs.
 */
export async function trackFiles(
  paths: readonly string[],
  opts: TrackOptions,
  onAttempt: (a: SettledAttempt) => void,
  progress?: ProgressHook,
  signal?: AbortSignal,
): Promise<TrackResult> {
  // A stop (a signal) ends the inputs as their end would: a read in flight on a FIFO or stdin may
  // never return, so it is raced, not awaited.
  const stopped =
    signal === undefined
      ? null
      : new Promise<null>((resolve) => {
          if (signal.aborted) resolve(null);
          else signal.addEventListener('abort', () => resolve(null), { once: true });
        });
  const captures: CaptureJson[] = paths.map((file) => ({
    file,
    format: 'unknown',
    gzip: false,
    linkTypes: [],
    packets: 0,
    first: null,
    last: null,
    otherPackets: 0,
    badPackets: 0,
    unknownLinkPackets: 0,
    error: null,
  }));
  const errors: (CaptureFormatError | null)[] = paths.map(() => null);
  const anomalies: Record<string, number> = {};
  let nanosecond = false;
  const tracker = new HandshakeTracker(
    paths,
    {
      ...DEFAULT_TRACKER_OPTIONS,
      timeout: opts.timeout,
      keepPackets: opts.keepPackets,
      // One window for all inputs: its times are relative to the timeline's first packet.
      ...trackerSelection(opts.select),
    },
    onAttempt,
  );
  // One reassembly table for all inputs: a datagram's fragments may fall into two rotated files.
  const fragments = new Reassembler(opts.keepPackets);
  /** Per-input counters (time span, skipped packets), while the input is being read. */
  const feeds: (PacketFeed | null)[] = paths.map(() => null);
  if (opts.vxlanPorts !== undefined) addVxlanPorts(opts.vxlanPorts);

  const done = (i: number, source: FrameSource | null, error: CaptureFormatError | null): void => {
    const cap = captures[i]!;
    if (error !== null) {
      errors[i] = error;
      cap.error = error.message;
    }
    if (source !== null) {
      cap.format = source.format;
      cap.gzip = source.gzip;
      cap.linkTypes = source.linkTypes.map(linkTypeName);
      cap.packets = source.packets;
    }
    describeClock(cap, tracker, i);
    const feed = feeds[i];
    if (feed !== null && feed !== undefined) {
      feed.describe(cap);
      if (feed.digits > 6) nanosecond = true;
      feeds[i] = null;
    }
  };

  try {
    if (paths.length === 1) {
      // One input: its reader pushes its frames straight into the tracker.
      const feed = new PacketFeed(tracker, fragments);
      feeds[0] = feed;
      let source: FrameSource | null = null;
      let error: CaptureFormatError | null = null;
      try {
        source = await untilStopped(openCapture(paths[0]!, opts.open), stopped, (late) => late.stop());
        if (source !== null) {
          progress?.(source);
          const s = source;
          const stop = (): void => s.stop();
          signal?.addEventListener('abort', stop, { once: true });
          try {
            await untilStopped(source.run(feed.onFrame), stopped);
          } finally {
            signal?.removeEventListener('abort', stop);
          }
        }
      } catch (e) {
        if (!(e instanceof CaptureFormatError)) throw e;
        error = e;
      }
      done(0, source, error);
    } else {
      const timeline = new Timeline(
        paths.length,
        (i, peek) => openCapture(paths[i]!, peek ? { ...opts.open, peek } : opts.open),
        {
          opened: (i, source) => {
            feeds[i] = new PacketFeed(tracker, fragments);
            progress?.(source);
          },
          done,
        },
      );
      const stop = (): void => timeline.stop();
      signal?.addEventListener('abort', stop, { once: true });
      try {
        await untilStopped(
          timeline.run((frame) => feeds[frame.fileIndex]!.onFrame(frame)),
          stopped,
        );
      } finally {
        signal?.removeEventListener('abort', stop);
      }
    }
  } finally {
    // Flush first: the verdicts reached before any damage are reported before the error.
    tracker.settleAll();
    await handOut(tracker, opts.open?.readGate ?? null, stopped);
    progress?.(null);
  }
  tracker.addAnomalies(anomalies);
  fragments.addAnomalies(anomalies);
  return {
    captures,
    evicted: tracker.evicted,
    anomalies,
    coverage: coverageOf(tracker),
    nanosecond,
    errors: errors.filter((e): e is CaptureFormatError => e !== null),
  };
}

/** Attempts handed out at the end of input between two looks at the report's reader. */
const HAND_OUT_BATCH = 1024;

/**
 * Hands out what the end of input settled (tens of thousands of attempts on a busy capture), waiting
 * like the reads do while the report's reader falls behind (`gate`), so that a slow pipe does not
 * make the rest of the report pile up in memory. A signal (`stopped`) ends the waiting: the rest goes
 * out at once.
 */
async function handOut(tracker: HandshakeTracker, gate: ReadGate | null, stopped: Promise<null> | null): Promise<void> {
  let waiting = gate !== null;
  if (waiting && stopped !== null) void stopped.then(() => (waiting = false));
  while (tracker.drain(waiting ? HAND_OUT_BATCH : Number.POSITIVE_INFINITY)) {
    const wait = waiting ? gate!() : null;
    if (wait !== null) await (stopped === null ? wait : Promise.race([wait, stopped]));
  }
}

/**
 * Resolves as `work` does, or with null once `stopped` resolves first. What `work` brings after
 * that goes to `late` (an error is dropped).
 */
async function untilStopped<T>(
  work: Promise<T>,
  stopped: Promise<null> | null,
  late?: (value: T) => void,
): Promise<T | null> {
  if (stopped === null) return work;
  const r = await Promise.race([work, stopped]);
  if (r === null) work.then(late, () => undefined);
  return r;
}

/** The whole pipeline: the listed handshakes go to `reporter` in listing order. */
export async function analyzeFiles(
  paths: readonly string[],
  opts: AnalyzeOptions,
  reporter: Reporter,
  hooks: AnalyzeHooks = {},
): Promise<AnalyzeResult> {
  const listing = new Listing(opts.only, opts.timeout, reporter, hooks.evidence ?? null);
  listing.verdicts.timeline = hooks.timeline ?? null;
  const r = await trackFiles(paths, opts, listing.attempt, hooks.progress, hooks.signal);
  const v = listing.verdicts;
  return { ...r, summary: v.summary, findings: v.allFindings(), seen: v.seen, evidence: listing.evidence };
}

/**
 * Whether the report's totals are written: not when nothing at all was read (missing files, not
 * captures), where the error lines say it all, except in json, which stays one valid object.
 */
export function reportWanted(r: TrackResult, inputs: number, format: string): boolean {
  return format === 'json' || !(r.errors.length === inputs && r.captures.every((c) => c.packets === 0));
}
