// The seam every output format implements: listed handshakes one by one in listing order,
// then the run's totals once. Reporters write through a sink; they never touch the process.

import type { SettledAttempt, Listed } from '../track/attempt.js';
import type { HandshakeContext } from './context.js';
import type { Finding } from './findings.js';
import type { Summary } from './summary.js';
import type { Coverage } from '../track/handshakes.js';
import { coverageFindings } from './findings.js';

export type Sink = (text: string) => void;

export interface CaptureJson {
  file: string;
  format: string;
  gzip: boolean;
  linkTypes: string[];
  packets: number;
  /** First and last packet times (ISO 8601 UTC), null for an empty capture. */
  first: string | null;
  last: string | null;
  /** Packets that were not TCP or ICMP errors quoting TCP (ARP, UDP, ...). */
  otherPackets: number;
  /** Packets cut short or with impossible headers, counted and skipped. */
  badPackets: number;
  /** Packets of link types synscope does not decode, counted and skipped. */
  unknownLinkPackets: number;
  /** The damage that stopped reading this capture, or null. */
  error: string | null;
  /** Live only, from pcap_stats() as tcpdump reports it: packets the filter passed (dropped ones included). */
  received?: number;
  /** Live only: packets lost because the kernel ring was full. */
  droppedByKernel?: number;
  /** Live only: packets the interface (its driver) dropped. */
  droppedByInterface?: number;
  /**
   * Only when it happened: packets stamped before the packet ahead of them, the first one's frame, the
   * largest step.
   */
  timestampsBackwards?: { count: number; firstFrame: number; maxMs: number };
}

/** "N received by filter, N dropped by kernel, N dropped by interface" for a live capture, null for a file. */
export function captureLossText(c: CaptureJson): string | null {
  if (c.received === undefined) return null;
  return (
    `${c.received} received by filter, ${c.droppedByKernel ?? 0} dropped by kernel,` +
    ` ${c.droppedByInterface ?? 0} dropped by interface`
  );
}

/**
 * What lost packets make unsafe, for a live capture that lost any (null otherwise). A lost answer
 * turns a refused or rejected attempt into dropped (and a lost SYN/ACK an established one into
 * dropped or timed-out); a lost SYN hides an attempt or lowers its synCount.
 */
export function captureLossWarning(c: CaptureJson): string | null {
  const lost = (c.droppedByKernel ?? 0) + (c.droppedByInterface ?? 0);
  if (lost === 0) return null;
  return (
    `${lost} packets were lost before synscope could read` +
    ` them${(c.droppedByKernel ?? 0) > 0 ? ' (kernel ring full: raise --buffer-size)' : ''}: ` +
    'verdicts may be missing, and dropped / timed-out verdicts and synCount are unsafe ' +
    '(a lost RST or ICMP error makes a refused or rejected attempt look dropped)'
  );
}

/** Zeek's capture_loss: ACKs of packets never captured among the ACKs seen, and answers without their SYN. */
export interface CaptureLossJson {
  acks: number;
  gaps: number;
  /** gaps / acks × 100, two decimals. */
  percent: number;
  answersWithoutSyn: number;
}

export interface TrackerJson {
  /** Attempts settled early because too many were open at once. */
  evicted: number;
  anomalies: Record<string, number>;
}

/**
 * Where the listed attempts' packets are in the --evidence file: input name → frame number in that
 * input → frame number in the evidence file (1-based, as tshark numbers them).
 */
export type EvidenceFrames = ReadonlyMap<string, ReadonlyMap<number, number>>;

export interface EvidenceJson {
  file: string;
  packets: number;
  /** Absent when not recorded (the report does not number frames). */
  frames?: EvidenceFrames;
}

export interface RunReport {
  readonly captures: readonly CaptureJson[];
  readonly summary: Summary;
  /** Service-level findings (listen-queue overflow, injected resets). */
  readonly findings: readonly Finding[];
  readonly tracker: TrackerJson;
  readonly captureLoss: CaptureLossJson;
  /** Packets seen going from a server to a client (none: the capture may hold one direction only). */
  readonly serverToClient: number;
  readonly timeout: number;
  readonly only: ReadonlySet<Listed>;
  /** Listed handshakes that were written to --evidence, and the file, when asked for. */
  readonly evidence: EvidenceJson | null;
  /** The --chart file as the report links it (relative to the working directory), when written. */
  readonly chart?: string;
}

export interface Reporter {
  /**
   * A listed handshake, in listing order, as soon as its verdict is reached: the settled attempt and
   * what was learnt about it, both read during the call only (c.record(a) makes an object to keep).
   */
  handshake(a: SettledAttempt, c: HandshakeContext): void;
  /** Everything after the last handshake. Called once, also after a damaged capture. */
  finish(run: RunReport): void;
}

/** The RunReport reporters finish with, from what a read or a live capture found. */
export function runReport(
  r: {
    readonly captures: readonly CaptureJson[];
    readonly summary: Summary;
    readonly findings: readonly Finding[];
    readonly evicted: number;
    readonly anomalies: Record<string, number>;
    readonly coverage: Coverage;
  },
  timeout: number,
  only: ReadonlySet<Listed>,
  evidence: RunReport['evidence'],
): RunReport {
  const c = r.coverage;
  const captureLoss: CaptureLossJson = {
    acks: c.acks,
    gaps: c.gaps,
    percent: c.acks === 0 ? 0 : Math.round((c.gaps / c.acks) * 10000) / 100,
    answersWithoutSyn: c.answersWithoutSyn,
  };
  return {
    captures: r.captures,
    summary: r.summary,
    findings: [...r.findings, ...coverageFindings(c, captureLoss, r.captures, r.summary)],
    tracker: { evicted: r.evicted, anomalies: r.anomalies },
    captureLoss,
    serverToClient: c.serverToClient,
    timeout,
    only,
    evidence,
  };
}
