// What a reporter gets with each listed attempt, besides the attempt itself: its facts, its finding
// note, and its diagnosis — written into bytes for json, or as text for a record. One context is
// refilled for every attempt; like the attempt, it is read during the call only.

import type { SettledAttempt } from '../track/attempt.js';
import { ByteOut } from './bytes.js';
import { Prose, writeDoubt } from './diagnosis.js';
import { HandshakeFacts } from './facts.js';
import { NOTE_NONE, type Findings } from './findings.js';
import { toRecord, type HandshakeJson } from './record.js';

export class HandshakeContext {
  readonly facts = new HandshakeFacts();
  /** What Findings.observe() said about the attempt (NOTE_*). */
  note = NOTE_NONE;
  private readonly findings: Findings;
  private readonly timeout: number;
  private readonly text = new Prose(new ByteOut(), false);

  constructor(findings: Findings, timeout: number) {
    this.findings = findings;
    this.timeout = timeout;
  }

  /** Refills the context for a settled attempt, and names the finding its note points to. */
  set(a: SettledAttempt, serverIp: string | null, note: number): void {
    this.facts.ofAttempt(a, serverIp);
    this.note = note;
    if (note !== NOTE_NONE) this.findings.name(this.facts, note);
  }

  /** The diagnosis, and what the capture leaves in doubt, written to `w`. */
  writeDiagnosis(w: Prose): void {
    this.findings.writeDiagnosis(this.facts, this.note, this.timeout, w);
    writeDoubt(this.facts, w);
  }

  diagnosisText(): string {
    const o = this.text.o;
    o.pos = 0;
    this.writeDiagnosis(this.text);
    return o.buf.toString('utf8', 0, o.pos);
  }

  /** The attempt's JSON object, with its diagnosis unless `diagnosis` is false (then ''). */
  record(a: SettledAttempt, diagnosis = true): HandshakeJson {
    const h = toRecord(a, this.facts.serverIp);
    if (diagnosis) h.diagnosis = this.diagnosisText();
    return h;
  }
}
