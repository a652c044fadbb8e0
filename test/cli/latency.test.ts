// Connect latency per service on captures/slow-connect.pcap: the router dropped every other SYN to
// 10.77.2.2:8087, so each connect there needed one retransmission; 8080 answered at once. The
// clients' own connect() durations are in slow-connect.expected.json (connectSeconds).

import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CAPTURES, synscope } from '../helpers/cli.js';

const CAPTURE = 'captures/slow-connect.pcap';

interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  max: number;
}
interface Service {
  server: { ip: string; port: number };
  latency?: { synAckMs: Percentiles; connectMs: Percentiles; retransmitted: number };
}

const expected = JSON.parse(readFileSync(join(CAPTURES, 'slow-connect.expected.json'), 'utf8')) as {
  handshakes: { server: { port: number }; connectSeconds: number }[];
};
/** The clients' own connect() durations to `port`, in ms, sorted. */
const clientMs = (port: number): number[] =>
  expected.handshakes
    .filter((h) => h.server.port === port)
    .map((h) => h.connectSeconds * 1000)
    .sort((a, b) => a - b);

describe('cli/latency on captures/slow-connect.pcap', () => {
  const doc = JSON.parse(synscope(['read', CAPTURE, '--format', 'json']).stdout) as {
    services: Service[];
    findings: { kind: string; server: { port: number }; text: string }[];
  };
  const svc = (port: number): NonNullable<Service['latency']> =>
    doc.services.find((s) => s.server.port === port)!.latency!;

  it('json: connects to 8087 took a retransmission timeout, as the clients measured; its SYN/ACKs came at once', () => {
    const slow = svc(8087);
    assert.equal(slow.connectMs.count, 5);
    assert.equal(slow.retransmitted, 5);
    const client = clientMs(8087);
    // The capture sits between client and server: the wire's first SYN → ACK is the client's
    // connect() less its own scheduling (which the loaded test machine stretches by up to ~0.2 s).
    assert.ok(
      slow.connectMs.p50 > 900 && slow.connectMs.p50 <= client[2]! + 5,
      `p50 ${slow.connectMs.p50} vs ${client}`,
    );
    assert.ok(
      slow.connectMs.max <= client[4]! + 5 && slow.connectMs.max > client[4]! - 250,
      `max ${slow.connectMs.max} vs ${client}`,
    );
    assert.ok(slow.connectMs.p50 <= slow.connectMs.p95 && slow.connectMs.p95 <= slow.connectMs.max);
    assert.ok(slow.synAckMs.max < 5, 'the SYN/ACK followed the retransmitted SYN within milliseconds');
    assert.equal(slow.synAckMs.count, 5);
  });

  it('json: 8080 connected at once, nothing retransmitted', () => {
    const fast = svc(8080);
    assert.equal(fast.connectMs.count, 3);
    assert.equal(fast.retransmitted, 0);
    assert.ok(fast.connectMs.max < 5);
    for (const c of clientMs(8080)) assert.ok(c < 50);
  });

  it('a slow-connect finding for 8087 only, in json, table, lines and markdown', () => {
    assert.deepEqual(
      doc.findings.map((f) => [f.kind, f.server.port]),
      [['slow-connect', 8087]],
    );
    assert.match(doc.findings[0]!.text, /^10\.77\.2\.2:8087: 5 of 5 connects needed SYN retransmissions/);
    const table = synscope(['read', CAPTURE], undefined, { COLUMNS: '120' }).stdout;
    assert.match(table, /^all 8 attempts established; slow connects: 10\.77\.2\.2:8087$/m);
    assert.match(
      table,
      /^server +attempts +established +SYN\/ACK ms p50\/p95\/max +connect ms p50\/p95\/max +retransmitted$/m,
    );
    assert.match(table, /^10\.77\.2\.2:8087 +5 +5 +[0-9.]+\/[0-9.]+\/[0-9.]+ +10[0-9.]+\/10[0-9.]+\/1[0-9.]+ +5$/m);
    assert.match(table, /^finding: 10\.77\.2\.2:8087: 5 of 5 connects needed SYN retransmissions/m);
    assert.match(synscope(['read', CAPTURE, '--format', 'lines']).stdout, /^# finding: 10\.77\.2\.2:8087: 5 of 5/m);
    const md = synscope(['read', CAPTURE, '--format', 'markdown']).stdout;
    assert.match(md, /\*\*Connect latency\*\* \(ms, p50 \/ p95 \/ max\)/);
    assert.match(
      md,
      /^\| `10\.77\.2\.2:8087` \| 5 \| [0-9.]+ \/ [0-9.]+ \/ [0-9.]+ \| 10[0-9.]+ \/ 10[0-9.]+ \/ 1[0-9.]+ \| 5 \|$/m,
    );
    assert.match(md, /^- 10\.77\.2\.2:8087: 5 of 5 connects needed SYN retransmissions/m);
  });

  it('no finding where connects never needed a retransmission', () => {
    const r = JSON.parse(synscope(['read', 'captures/mixed.pcapng', '--format', 'json']).stdout) as {
      findings: { kind: string }[];
    };
    assert.ok(!r.findings.some((f) => f.kind === 'slow-connect'));
  });
});
