// The pipeline in one screen: capture files → frames → decoded packets → handshake verdicts →
// a reporter. The library entry behind `synscope read`; it prints nothing and never exits.

import { openCapture, type OpenCaptureOptions } from './capture/open.js';
import { linkTypeName, type FrameSource } from './capture/source.js';
import { CaptureFormatError } from './errors.js';
import { PacketFeed } from './feed.js';
import type { Finding } from './report/findings.js';
import type { HandshakeJson } from './report/record.js';
import type { CaptureJson, Reporter, RunReport } from './report/reporter.js';
import type { Summary } from './report/summary.js';
import type { Attempt, KeptPacket, Outcome } from './track/attempt.js';
import { DEFAULT_TRACKER_OPTIONS, HandshakeTracker } from './track/handshakes.js';
import { Verdicts } from './verdicts.js';

export interface AnalyzeOptions {
  readonly timeout: number;
  /** Outcomes to list (the summary counts all). */
  readonly only: ReadonlySet<Outcome>;
  readonly host: Buffer | null;
  readonly port: number;
  /** Keep the packets of listed attempts for an evidence capture. */
  readonly keepPackets: boolean;
  readonly open?: OpenCaptureOptions;
}

/** Packets of listed attempts, for --evidence, in capture order across the inputs. */
export interface EvidencePacket extends KeptPacket {
  readonly fileIndex: number;
}

export interface AnalyzeResult {
  readonly captures: CaptureJson[];
  readonly summary: Summary;
  readonly findings: readonly Finding[];
  readonly evicted: number;
  readonly anomalies: Record<string, number>;
  /** Damaged or unreadable inputs, in order; verdicts before the damage were still reported. */
  readonly errors: CaptureFormatError[];
  /** Outcomes that occurred (for --fail-on). */
  readonly seen: ReadonlySet<Outcome>;
  readonly evidence: EvidencePacket[];
  /** True when some input had sub-microsecond timestamps. */
  readonly nanosecond: boolean;
}

/** Called with the source being read, so a caller can show progress. */
export type ProgressHook = (source: FrameSource | null) => void;

export async function analyzeFiles(
  paths: readonly string[], opts: AnalyzeOptions, reporter: Reporter, progress?: ProgressHook,
): Promise<AnalyzeResult> {
  let current = 0;
  const onListed = (h: HandshakeJson, a: Attempt): void => {
    if (hold) held.push({ sec: a.startSec, nsec: a.startNsec, frame: a.firstFrame, fileIndex: current, h });
    else reporter.handshake(h);
    if (a.packets !== null) for (const p of a.packets) evidence.push({ ...p, fileIndex: current });
  };
  const verdicts = new Verdicts(opts.only, opts.timeout, onListed);
  const captures: CaptureJson[] = [];
  const errors: CaptureFormatError[] = [];
  const evidence: EvidencePacket[] = [];
  const anomalies: Record<string, number> = {};
  let evicted = 0;
  let nanosecond = false;
  // One capture streams its verdicts in listing order as they come. Several are listed together,
  // by start then frame across all of them, so their listed handshakes are held until the end.
  const held: { sec: number; nsec: number; frame: number; fileIndex: number; h: HandshakeJson }[] = [];
  const hold = paths.length > 1;

  for (let fileIndex = 0; fileIndex < paths.length; fileIndex++) {
    const path = paths[fileIndex]!;
    const cap: CaptureJson = {
      file: path, format: 'unknown', gzip: false, linkTypes: [], packets: 0, first: null, last: null,
      otherPackets: 0, badPackets: 0, unknownLinkPackets: 0, error: null,
    };
    captures.push(cap);
    current = fileIndex;
    const tracker = new HandshakeTracker(path, {
      ...DEFAULT_TRACKER_OPTIONS,
      timeout: opts.timeout,
      keepPackets: opts.keepPackets,
      host: opts.host,
      port: opts.port,
    }, verdicts.handle);

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
  if (hold) {
    held.sort((x, y) => x.sec - y.sec || x.nsec - y.nsec || x.frame - y.frame || x.fileIndex - y.fileIndex);
    for (const x of held) reporter.handshake(x.h);
  }
  return {
    captures, summary: verdicts.summary, findings: verdicts.findings.all(), evicted, anomalies, errors, seen: verdicts.seen,
    evidence, nanosecond,
  };
}

/** The RunReport reporters finish with, from a read's or a live capture's result. */
export function runReport(
  r: Pick<AnalyzeResult, 'captures' | 'summary' | 'findings' | 'evicted' | 'anomalies'>, timeout: number,
  only: ReadonlySet<Outcome>, evidence: RunReport['evidence'],
): RunReport {
  return {
    captures: r.captures, summary: r.summary, findings: r.findings, tracker: { evicted: r.evicted, anomalies: r.anomalies }, timeout, only, evidence,
  };
}
