// The hand-written handshake serializers must say exactly what JSON.stringify says: of a record
// object (handshakeJson), and of a settled attempt written straight into bytes (writeAttemptJson).

import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { analyzeFiles } from '../../src/analyze.js';
import { ByteOut } from '../../src/report/bytes.js';
import type { HandshakeContext } from '../../src/report/context.js';
import { Prose } from '../../src/report/diagnosis.js';
import { handshakeJson, writeAttemptJson } from '../../src/report/json.js';
import type { HandshakeJson } from '../../src/report/record.js';
import type { Reporter } from '../../src/report/reporter.js';
import { OUTCOMES, type SettledAttempt } from '../../src/track/attempt.js';
import { SELECT_ALL } from '../../src/track/select.js';

describe('report/json handshakeJson', () => {
  const base: HandshakeJson = {
    file: 'captures/x "odd" name\\.pcap',
    client: { ip: '10.0.0.5', port: 51234 },
    server: { ip: '2001:db8::9', port: 8080 },
    outcome: 'rejected',
    errno: 'EHOSTUNREACH',
    start: '2026-11-20T10:00:01.123456789Z',
    synCount: 2,
    answer: { kind: 'icmp', from: '10.0.0.1', afterMs: 3071.2, ttl: 64, icmpType: 3, icmpCode: 1 },
    frames: [1, 2, 17],
    diagnosis: 'Quotes " and backslashes \\ and a newline\n and `code`.',
  };
  const cases: [string, HandshakeJson][] = [
    ['icmp answer', base],
    ['no answer, no errno', { ...base, outcome: 'incomplete', errno: null, answer: null }],
    [
      'non-ASCII file name and diagnosis',
      { ...base, file: 'captures/caf\u00e9 \u2603.pcap', diagnosis: 'na\u00efve \u0001 text' },
    ],
    ['frame numbers past 2^31', { ...base, frames: [2 ** 31 + 5, 2 ** 40] }],
    [
      'rst answer with resetBy',
      {
        ...base,
        outcome: 'established',
        errno: null,
        answer: { kind: 'synack', from: '10.0.0.9', afterMs: 0.21, ttl: 63 },
        resetBy: 'server',
      },
    ],
  ];
  for (const [name, h] of cases) {
    it(name, () => {
      assert.equal(handshakeJson(h), JSON.stringify(h));
    });
  }
});

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
