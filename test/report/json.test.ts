// The hand-written handshake serializer must say exactly what JSON.stringify says of the record: a
// settled attempt written straight into bytes (writeAttemptJson), file names that need escaping too.

import { strict as assert } from 'node:assert';
import { copyFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeFiles } from '../../src/analyze.js';
import { ByteOut } from '../../src/report/bytes.js';
import type { HandshakeContext } from '../../src/report/context.js';
import { Prose } from '../../src/report/diagnosis.js';
import { writeAttemptJson } from '../../src/report/json.js';
import type { Reporter } from '../../src/report/reporter.js';
import { OUTCOMES, type SettledAttempt } from '../../src/track/attempt.js';
import { SELECT_ALL } from '../../src/track/select.js';

/** Writes each listed attempt's bytes and its record's JSON.stringify side by side. */
class Both implements Reporter {
  readonly out = new ByteOut();
  private readonly prose = new Prose(this.out, true);
  count = 0;
  handshake(a: SettledAttempt, c: HandshakeContext): void {
    this.out.pos = 0;
    writeAttemptJson(a, c, this.out, this.prose);
    const bytes = this.out.buf.toString('utf8', 0, this.out.pos);
    assert.equal(bytes, JSON.stringify(c.record(a)));
    this.count++;
  }
  finish(): void {}
}

describe('report/json writeAttemptJson', () => {
  // Every outcome, errno, answer kind, tunnel, doubt, finding note and IPv6 form the shipped captures hold.
  const inputs: string[][] = readdirSync('captures')
    .filter((f) => /\.(pcap|pcapng|gz)$/.test(f))
    .map((f) => [`captures/${f}`]);
  inputs.push(
    readdirSync('captures/rotated-C')
      .sort()
      .map((f) => `captures/rotated-C/${f}`),
  ); // spans
  // A file name with quotes, a backslash, a control character and non-ASCII letters: escaped as JSON.stringify does.
  const odd = join(mkdtempSync(join(tmpdir(), 'synscope-json-')), 'x "odd" name\\ caf\u00e9 \u2603 \u0001.pcapng');
  copyFileSync('captures/mixed.pcapng', odd);
  inputs.push([odd]);
  for (const paths of inputs) {
    it(paths.join(' '), async () => {
      const both = new Both();
      await analyzeFiles(
        paths,
        { timeout: 3, select: SELECT_ALL, keepPackets: false, only: new Set([...OUTCOMES, 'reset']) },
        both,
      );
      assert.ok(both.count > 0);
    });
  }
});
