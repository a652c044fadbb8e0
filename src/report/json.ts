// `--format json` (one object, written as it goes so memory stays bounded: handshakes first,
// totals last) and `--format ndjson` (handshake objects one per line, nothing else).

import type { HandshakeJson } from './record.js';
import type { Reporter, RunReport, Sink } from './reporter.js';

export class JsonReporter implements Reporter {
  private readonly out: Sink;
  private count = 0;

  constructor(out: Sink) {
    this.out = out;
    out('{\n"handshakes": [');
  }

  handshake(h: HandshakeJson): void {
    this.out(this.count++ === 0 ? '\n' : ',\n');
    this.out(JSON.stringify(h));
  }

  finish(run: RunReport): void {
    const o = this.out;
    o(this.count === 0 ? '],\n' : '\n],\n');
    o(`"captures": ${JSON.stringify(run.captures)},\n`);
    o(`"summary": ${JSON.stringify(run.summary.totals)},\n`);
    o(`"services": ${JSON.stringify(run.summary.serviceList())},\n`);
    o(`"findings": ${JSON.stringify(run.findings)},\n`);
    o(`"tracker": ${JSON.stringify(run.tracker)}`);
    if (run.evidence !== null) o(`,\n"evidence": ${JSON.stringify(run.evidence)}`);
    o('\n}\n');
  }
}

export class NdjsonReporter implements Reporter {
  private readonly out: Sink;
  constructor(out: Sink) {
    this.out = out;
  }
  handshake(h: HandshakeJson): void {
    this.out(`${JSON.stringify(h)}\n`);
  }
  finish(): void {
    // ndjson is the handshakes and nothing else.
  }
}
