// The seam every output format implements: listed handshakes one by one in listing order,
// then the run's totals once. Reporters write through a sink; they never touch the process.

import type { Outcome } from '../track/attempt.js';
import type { HandshakeJson } from './record.js';
import type { Finding } from './findings.js';
import type { Summary } from './summary.js';

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
}

export interface TrackerJson {
  /** Attempts settled early because too many were open at once. */
  evicted: number;
  anomalies: Record<string, number>;
}

export interface RunReport {
  readonly captures: readonly CaptureJson[];
  readonly summary: Summary;
  /** Service-level findings (listen-queue overflow, injected resets). */
  readonly findings: readonly Finding[];
  readonly tracker: TrackerJson;
  readonly timeout: number;
  readonly only: ReadonlySet<Outcome>;
  /** Listed handshakes that were written to --evidence, and the file, when asked for. */
  readonly evidence: { file: string; packets: number } | null;
}

export interface Reporter {
  /** A listed handshake, in listing order, as soon as its verdict is reached. */
  handshake(h: HandshakeJson): void;
  /** Everything after the last handshake. Called once, also after a damaged capture. */
  finish(run: RunReport): void;
}

/** The RunReport reporters finish with, from what a read or a live capture found. */
export function runReport(
  r: {
    readonly captures: readonly CaptureJson[]; readonly summary: Summary; readonly findings: readonly Finding[];
    readonly evicted: number; readonly anomalies: Record<string, number>;
  },
  timeout: number, only: ReadonlySet<Outcome>, evidence: RunReport['evidence'],
): RunReport {
  return {
    captures: r.captures, summary: r.summary, findings: r.findings, tracker: { evicted: r.evicted, anomalies: r.anomalies }, timeout, only, evidence,
  };
}
