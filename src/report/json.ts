// `--format json` (one object, written as it goes so memory stays bounded: handshakes first,
// totals last) and `--format ndjson` (handshake objects one per line, nothing else).

import {
  ANSWER_ICMP,
  ANSWER_NONE,
  DOUBT_CAPTURE_LOSS,
  DOUBT_CLIENT_ONLY,
  OUTCOMES,
  RESET_BY_CLIENT,
  RESET_BY_SERVER,
  type ErrnoName,
  type Outcome,
  type SettledAttempt,
} from '../track/attempt.js';
import { ByteOut } from './bytes.js';
import type { HandshakeContext } from './context.js';
import { Prose } from './diagnosis.js';
import type { Finding } from './findings.js';
import { spansOf, tunnelRecord, type SpanJson } from './record.js';
import type { Reporter, RunReport, Sink } from './reporter.js';
import { outcomeIndex } from './summary.js';
import { writeIsoTime } from './text.js';

/** Bytes of the constant parts of a handshake object, encoded once. */
const K = {
  file: Buffer.from('{"file":'),
  client: Buffer.from(',"client":{"ip":"'),
  port: Buffer.from('","port":'),
  server: Buffer.from('},"server":{"ip":"'),
  outcome: Buffer.from('},"outcome":"'),
  errno: Buffer.from('","errno":'),
  start: Buffer.from(',"start":"'),
  synCount: Buffer.from('","synCount":'),
  answer: Buffer.from(',"answer":'),
  kind: Buffer.from('{"kind":"'),
  from: Buffer.from('","from":"'),
  afterMs: Buffer.from('","afterMs":'),
  ttl: Buffer.from(',"ttl":'),
  icmpType: Buffer.from(',"icmpType":'),
  icmpCode: Buffer.from(',"icmpCode":'),
  frames: Buffer.from(',"frames":['),
  diagnosis: Buffer.from('],"diagnosis":'),
  diagnosisOpen: Buffer.from('],"diagnosis":"'),
  resetBy: Buffer.from(',"resetBy":"'),
  spans: Buffer.from(',"spans":['),
  spanFile: Buffer.from('{"file":'),
  spanFrames: Buffer.from(',"frames":['),
  tunnel: Buffer.from(',"tunnel":'),
  doubt: Buffer.from(',"doubt":"'),
  nul: Buffer.from('null'),
};

/** Answer kinds by ANSWER_*, and the rarer fields' values by their constants. */
const KIND_BYTES = ['', 'synack', 'rst', 'icmp'].map((x) => Buffer.from(x));
const RESET_BY_BYTES = ['', 'client', 'server'].map((x) => Buffer.from(x));
const DOUBT_BYTES = ['', 'client-only', 'capture-loss'].map((x) => Buffer.from(x));

let headFile = '';
let head: Buffer = Buffer.alloc(0);

/** `{"file":"NAME","client":{"ip":"`, encoded once per file name in a row. */
function writeHead(file: string, o: ByteOut): void {
  if (file !== headFile) {
    headFile = file;
    head = Buffer.from(`{"file":${JSON.stringify(file)},"client":{"ip":"`);
  }
  o.bytes(head);
}

/** `OUTCOME","errno":ERRNO,"start":"` by outcome index and errno, encoded the first time. */
const VERDICT_BYTES: readonly Map<ErrnoName | null, Buffer>[] = OUTCOMES.map(() => new Map());

function writeVerdict(outcome: Outcome, errno: ErrnoName | null, o: ByteOut): void {
  const byErrno = VERDICT_BYTES[outcomeIndex(outcome)]!;
  let b = byErrno.get(errno);
  if (b === undefined) {
    b = Buffer.from(`${outcome}","errno":${errno === null ? 'null' : `"${errno}"`},"start":"`);
    byErrno.set(errno, b);
  }
  o.bytes(b);
}

/**
 * Appends JSON.stringify(c.record(a)) without building it: the settled attempt's fields and its
 * context's facts written straight into `o` (IPv4 addresses from their integers, the start time's
 * digits from its numbers, the diagnosis through `prose`, whose output is `o`). Read during the call only.
 */
export function writeAttemptJson(a: SettledAttempt, c: HandshakeContext, o: ByteOut, prose: Prose): void {
  const f = c.facts;
  const v4 = a.addrLen === 4;
  writeHead(a.file, o);
  if (v4) o.ip4(a.client4);
  else o.ip6(a.addr, 0);
  o.bytes(K.port);
  o.uint(a.clientPort);
  o.bytes(K.server);
  if (v4) o.ip4(a.server4);
  else o.ascii(f.serverIp);
  o.bytes(K.port);
  o.uint(a.serverPort);
  o.bytes(K.outcome);
  writeVerdict(f.outcome, f.errno, o);
  writeIsoTime(o, a.startSec, a.startNsec, a.startDigits);
  o.bytes(K.synCount);
  o.uint(a.synCount);
  o.bytes(K.answer);
  writeAnswer(a, c, o);
  o.bytes(K.frames);
  const frames = a.frames;
  for (let i = 0, n = a.frameCount; i < n; i++) {
    if (i > 0) o.ascii(',');
    o.uint(frames[i]!);
  }
  o.bytes(K.diagnosisOpen);
  c.writeDiagnosis(prose);
  o.ascii('"');
  if (a.spans) writeSpans(spansOf(a), o);
  writeRarer(a, o);
  o.ascii('}');
}

/** The answer object, or null. */
function writeAnswer(a: SettledAttempt, c: HandshakeContext, o: ByteOut): void {
  const f = c.facts;
  if (f.answerKind === ANSWER_NONE) {
    o.bytes(K.nul);
    return;
  }
  o.bytes(K.kind);
  o.bytes(KIND_BYTES[f.answerKind]!);
  o.bytes(K.from);
  if (a.answerFrom === null && a.addrLen === 4) o.ip4(a.server4);
  else o.ascii(f.answerFrom);
  o.bytes(K.afterMs);
  o.number(f.afterMs);
  o.bytes(K.ttl);
  o.number(f.ttl);
  if (f.answerKind === ANSWER_ICMP) {
    o.bytes(K.icmpType);
    o.number(f.icmpType);
    o.bytes(K.icmpCode);
    o.number(f.icmpCode);
  }
  o.ascii('}');
}

/** resetBy, tunnel and doubt, each only when the attempt has one. */
function writeRarer(a: SettledAttempt, o: ByteOut): void {
  if (a.resetBy === RESET_BY_CLIENT || a.resetBy === RESET_BY_SERVER) {
    o.bytes(K.resetBy);
    o.bytes(RESET_BY_BYTES[a.resetBy]!);
    o.ascii('"');
  }
  if (a.tunnelKey !== 0 && a.carrier !== null) {
    o.bytes(K.tunnel);
    o.ascii(JSON.stringify(tunnelRecord(a.carrier)));
  }
  if (a.doubt === DOUBT_CLIENT_ONLY || a.doubt === DOUBT_CAPTURE_LOSS) {
    o.bytes(K.doubt);
    o.bytes(DOUBT_BYTES[a.doubt]!);
    o.ascii('"');
  }
}

function writeSpans(spans: readonly SpanJson[], o: ByteOut): void {
  o.bytes(K.spans);
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i]!;
    if (i > 0) o.ascii(',');
    o.bytes(K.spanFile);
    o.jsonString(s.file);
    o.bytes(K.spanFrames);
    for (let k = 0; k < s.frames.length; k++) {
      if (k > 0) o.ascii(',');
      o.number(s.frames[k]!);
    }
    o.ascii(']}');
  }
  o.ascii(']');
}

/** Output that takes bytes: records are appended to `out`, then commit() lets it send them on. */
export interface ByteSink {
  readonly out: ByteOut;
  commit(): void;
}

/** One handshake at a time: appended to a byte sink, or rendered as text for a plain sink. */
class RecordWriter {
  private readonly scratch = new ByteOut();
  private readonly text: Sink;
  private readonly bytes: ByteSink | undefined;
  /** The diagnosis goes where the record goes, escaped. */
  private readonly prose: Prose;
  constructor(text: Sink, bytes: ByteSink | undefined) {
    this.text = text;
    this.bytes = bytes;
    this.prose = new Prose(bytes === undefined ? this.scratch : bytes.out, true);
  }
  write(before: Buffer | null, a: SettledAttempt, c: HandshakeContext, after: Buffer | null): void {
    const o = this.bytes === undefined ? this.scratch : this.bytes.out;
    if (this.bytes === undefined) o.pos = 0;
    if (before !== null) o.bytes(before);
    writeAttemptJson(a, c, o, this.prose);
    if (after !== null) o.bytes(after);
    if (this.bytes !== undefined) this.bytes.commit();
    else this.text(o.buf.toString('utf8', 0, o.pos));
  }
}

const NL = Buffer.from('\n');
const COMMA_NL = Buffer.from(',\n');

export class JsonReporter implements Reporter {
  private readonly out: Sink;
  private readonly records: RecordWriter;
  private count = 0;

  constructor(out: Sink, bytesOut?: ByteSink) {
    this.out = out;
    this.records = new RecordWriter(out, bytesOut);
    out('{\n"handshakes": [');
  }

  handshake(a: SettledAttempt, c: HandshakeContext): void {
    this.records.write(this.count++ === 0 ? NL : COMMA_NL, a, c, null);
  }

  finish(run: RunReport): void {
    const o = this.out;
    o(this.count === 0 ? '],\n' : '\n],\n');
    o(`"captures": ${JSON.stringify(run.captures)},\n`);
    o(`"summary": ${JSON.stringify({ ...run.summary.totals, resets: run.summary.resets })},\n`);
    o(`"captureLoss": ${JSON.stringify(run.captureLoss)},\n`);
    o(`"services": ${JSON.stringify(run.summary.serviceList())},\n`);
    o(`"findings": ${JSON.stringify(run.findings)},\n`);
    o(`"tracker": ${JSON.stringify(run.tracker)}`);
    if (run.evidence !== null) o(`,\n"evidence": ${JSON.stringify(run.evidence)}`);
    o('\n}\n');
  }
}

/**
 * ndjson's stdout is the handshake objects and nothing else; its findings are lines for stderr
 * (`synscope: finding: ...`), which the command writes after the report. Other formats carry them.
 */
export function ndjsonFindingLines(format: string, findings: readonly Finding[]): string[] {
  return format === 'ndjson' ? findings.map((f) => `synscope: finding: ${f.text}`) : [];
}

export class NdjsonReporter implements Reporter {
  private readonly records: RecordWriter;
  constructor(out: Sink, bytesOut?: ByteSink) {
    this.records = new RecordWriter(out, bytesOut);
  }
  handshake(a: SettledAttempt, c: HandshakeContext): void {
    this.records.write(null, a, c, NL);
  }
  finish(): void {
    // ndjson is the handshakes and nothing else.
  }
}
