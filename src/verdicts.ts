// What happens to each settled attempt, in `read` and `live` alike: it is counted (summary,
// services, findings), and only when --only lists it does it become a record with a diagnosis.
// Text is built for listed attempts alone: a capture of millions of attempts formats only those.

import { Findings, NOTE_NONE } from './report/findings.js';
import { toRecord, type HandshakeJson } from './report/record.js';
import type { Reporter } from './report/reporter.js';
import { Summary } from './report/summary.js';
import type { Attempt, KeptPacket, Outcome } from './track/attempt.js';

export class Verdicts {
  readonly summary = new Summary();
  readonly findings = new Findings();
  /** Outcomes that occurred (for --fail-on). */
  readonly seen = new Set<Outcome>();
  private readonly only: ReadonlySet<Outcome>;
  private readonly timeout: number;
  private readonly onListed: (h: HandshakeJson, a: Attempt) => void;

  constructor(only: ReadonlySet<Outcome>, timeout: number, onListed: (h: HandshakeJson, a: Attempt) => void) {
    this.only = only;
    this.timeout = timeout;
    this.onListed = onListed;
  }

  /** Takes one settled attempt; the tracker forgets it afterwards. */
  readonly handle = (a: Attempt): void => {
    const v = a.verdict;
    if (v === null) return;
    const service = this.summary.add(a);
    this.seen.add(v.outcome);
    const note = this.findings.observe(a, service);
    const listed = this.only.has(v.outcome);
    if (listed || note !== NOTE_NONE) {
      const h = toRecord(a, service === null ? null : service.ip);
      h.diagnosis = this.findings.diagnose(h, note, this.timeout);
      if (listed) this.onListed(h, a);
    }
    a.packets = null;
  };
}

/** Packets of listed attempts, for --evidence, in capture order across the inputs. */
export interface EvidencePacket extends KeptPacket {
  readonly fileIndex: number;
}

/**
 * `read`'s end of the pipeline: settled attempts from one or more inputs are counted and the listed
 * ones handed to the reporter. One capture streams its handshakes in listing order as they come;
 * several are listed together, by start then frame across all of them, so their handshakes are
 * held until end().
 */
export class Listing {
  readonly verdicts: Verdicts;
  /** Packets of the listed attempts (only when the tracker kept them, for --evidence). */
  readonly evidence: EvidencePacket[] = [];
  private readonly reporter: Reporter;
  private readonly hold: boolean;
  private readonly held: { sec: number; nsec: number; frame: number; fileIndex: number; h: HandshakeJson }[] = [];
  private current = 0;

  constructor(only: ReadonlySet<Outcome>, timeout: number, reporter: Reporter, inputs: number) {
    this.reporter = reporter;
    this.hold = inputs > 1;
    this.verdicts = new Verdicts(only, timeout, this.onListed);
  }

  /** One settled attempt of input `fileIndex`. */
  readonly attempt = (a: Attempt, fileIndex: number): void => {
    this.current = fileIndex;
    this.verdicts.handle(a);
  };

  /** After the last input: the held handshakes, in listing order. */
  end(): void {
    const held = this.held;
    held.sort((x, y) => x.sec - y.sec || x.nsec - y.nsec || x.frame - y.frame || x.fileIndex - y.fileIndex);
    for (const x of held) this.reporter.handshake(x.h);
    held.length = 0;
  }

  private readonly onListed = (h: HandshakeJson, a: Attempt): void => {
    const fileIndex = this.current;
    if (this.hold) this.held.push({ sec: a.startSec, nsec: a.startNsec, frame: a.firstFrame, fileIndex, h });
    else this.reporter.handshake(h);
    if (a.packets !== null) for (const p of a.packets) this.evidence.push({ ...p, fileIndex });
  };
}
