// `--format json` (one object, written as it goes so memory stays bounded: handshakes first,
// totals last) and `--format ndjson` (handshake objects one per line, nothing else).

import { ByteOut } from './bytes.js';
import type { Finding } from './findings.js';
import type { HandshakeJson, SpanJson } from './record.js';
import type { Reporter, RunReport, Sink } from './reporter.js';

let lastFile = '';
let lastFileJson: Buffer = Buffer.from('""');

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
  resetBy: Buffer.from(',"resetBy":"'),
  spans: Buffer.from(',"spans":['),
  spanFile: Buffer.from('{"file":'),
  spanFrames: Buffer.from(',"frames":['),
  tunnel: Buffer.from(',"tunnel":'),
  doubt: Buffer.from(',"doubt":"'),
  nul: Buffer.from('null'),
};

/**
 * Appends JSON.stringify(h) for the one shape it has, written out byte by byte: no template, no
 * intermediate strings. Addresses, outcomes, errnos and ISO times never need escaping; the file
 * name and the diagnosis are JSON strings.
 */
export function writeHandshakeJson(h: HandshakeJson, o: ByteOut): void {
  if (h.file !== lastFile) {
    lastFile = h.file;
    lastFileJson = Buffer.from(JSON.stringify(h.file));
  }
  o.bytes(K.file);
  o.bytes(lastFileJson);
  o.bytes(K.client);
  o.ascii(h.client.ip);
  o.bytes(K.port);
  o.number(h.client.port);
  o.bytes(K.server);
  o.ascii(h.server.ip);
  o.bytes(K.port);
  o.number(h.server.port);
  o.bytes(K.outcome);
  o.ascii(h.outcome);
  o.bytes(K.errno);
  if (h.errno === null) {
    o.bytes(K.nul);
  } else {
    o.ascii('"');
    o.ascii(h.errno);
    o.ascii('"');
  }
  o.bytes(K.start);
  o.ascii(h.start);
  o.bytes(K.synCount);
  o.number(h.synCount);
  o.bytes(K.answer);
  const a = h.answer;
  if (a === null) {
    o.bytes(K.nul);
  } else {
    o.bytes(K.kind);
    o.ascii(a.kind);
    o.bytes(K.from);
    o.ascii(a.from);
    o.bytes(K.afterMs);
    o.number(a.afterMs);
    o.bytes(K.ttl);
    o.number(a.ttl);
    if (a.icmpType !== undefined) {
      o.bytes(K.icmpType);
      o.number(a.icmpType);
      o.bytes(K.icmpCode);
      o.number(a.icmpCode ?? -1);
    }
    o.ascii('}');
  }
  o.bytes(K.frames);
  const f = h.frames;
  for (let i = 0; i < f.length; i++) {
    if (i > 0) o.ascii(',');
    o.number(f[i]!);
  }
  o.bytes(K.diagnosis);
  o.jsonString(h.diagnosis);
  if (h.spans !== undefined) writeSpans(h.spans, o);
  if (h.resetBy !== undefined) {
    o.bytes(K.resetBy);
    o.ascii(h.resetBy);
    o.ascii('"');
  }
  if (h.tunnel !== undefined) {
    // Only tunnelled handshakes have one: a small object, stringified as it is.
    o.bytes(K.tunnel);
    o.ascii(JSON.stringify(h.tunnel));
  }
  if (h.doubt !== undefined) {
    o.bytes(K.doubt);
    o.ascii(h.doubt);
    o.ascii('"');
  }
  o.ascii('}');
}

/** `,"spans":[{"file":"a.pcap","frames":[1,2]},...]`: only for the few attempts that span inputs. */
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

const scratch = new ByteOut();

/** JSON.stringify(h), through writeHandshakeJson. */
export function handshakeJson(h: HandshakeJson): string {
  scratch.pos = 0;
  writeHandshakeJson(h, scratch);
  return scratch.buf.toString('utf8', 0, scratch.pos);
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
  constructor(text: Sink, bytes: ByteSink | undefined) {
    this.text = text;
    this.bytes = bytes;
  }
  write(before: Buffer | null, h: HandshakeJson, after: Buffer | null): void {
    const o = this.bytes === undefined ? this.scratch : this.bytes.out;
    if (this.bytes === undefined) o.pos = 0;
    if (before !== null) o.bytes(before);
    writeHandshakeJson(h, o);
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

  handshake(h: HandshakeJson): void {
    this.records.write(this.count++ === 0 ? NL : COMMA_NL, h, null);
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
  handshake(h: HandshakeJson): void {
    this.records.write(null, h, NL);
  }
  finish(): void {
    // ndjson is the handshakes and nothing else.
  }
}
