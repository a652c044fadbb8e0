// Diagnoses on the real captures: each outcome's text names what the wire proves and the next
// step; service-level findings (listen-queue overflow, injected resets) from several handshakes.

import { strict as assert } from 'node:assert';
import { TCP_FLAG_ACK as ACK, TCP_FLAG_RST as RST, TCP_FLAG_SYN as SYN } from '../../src/decode/view.js';
import type { HandshakeJson } from '../../src/report/record.js';
import { OUTCOMES } from '../../src/track/attempt.js';
import { DEFAULT_TRACKER_OPTIONS, HandshakeTracker } from '../../src/track/handshakes.js';
import { Verdicts } from '../../src/verdicts.js';
import { runReport, type CaptureJson } from '../../src/report/reporter.js';
import { CLOCK_FINDING_MS, coverageFindings } from '../../src/report/findings.js';
import { Summary } from '../../src/report/summary.js';
import { synscope } from '../helpers/cli.js';
import { T0, feeder, type Pkt } from '../helpers/feed.js';
import { CLIENT4, ISN, SERVER4, SERVER_PORT, ipv4, tcp } from '../helpers/frames.js';

interface Report {
  handshakes: HandshakeJson[];
  findings: { kind: string; text: string }[];
}

function read(capture: string): Report {
  const r = synscope(['read', `captures/${capture}`, '--format', 'json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Report;
}

function diagnosisOf(capture: string, outcome: string): string {
  const h = read(capture).handshakes.find((x) => x.outcome === outcome);
  assert.ok(h, `${capture} has a ${outcome} attempt`);
  return h.diagnosis;
}

describe('report/diagnosis on captures/', () => {
  const cases: [string, string, RegExp[]][] = [
    [
      'refused-closed-port.pcap',
      'refused',
      [/TCP reset from 10\.77\.2\.2/, /nothing listens on 10\.77\.2\.2:9/, /ECONNREFUSED/, /ss -ltn/],
    ],
    [
      'rejected-port-unreachable.pcap',
      'rejected',
      [/port unreachable/, /the server 10\.77\.2\.2 itself/, /REJECT rule on the server/],
    ],
    [
      'rejected-host-prohibited.pcap',
      'rejected',
      [
        /host administratively prohibited/,
        /10\.77\.1\.1, a router or firewall on the way \(not the server\)/,
        /REJECT rule/,
        /nft list ruleset/,
      ],
    ],
    [
      'rejected-admin-prohibited.pcap',
      'rejected',
      [/communication administratively prohibited/, /EHOSTUNREACH/, /no route to host/],
    ],
    [
      'rejected-no-arp.pcap',
      'rejected',
      [/host unreachable/, /no ARP/, /after 3\.\d+ s/, /ip neigh show 10\.77\.2\.99/],
    ],
    ['rejected-no-route.pcap', 'rejected', [/net unreachable/, /no route to 10\.77\.8\.8's network/, /ip route get/]],
    ['rejected-ttl-exceeded.pcap', 'rejected', [/time exceeded/, /routing loop/]],
    [
      'ipv6-admin-prohibited.pcap',
      'rejected',
      [/ICMPv6 communication administratively prohibited/, /EACCES/, /permission denied/],
    ],
    [
      'dropped-firewall.pcap',
      'dropped',
      [/No answer of any kind to 6 SYNs/, /dropped them silently/, /ETIMEDOUT/, /capture on the server side/],
    ],
    ['timed-out-half-open.pcap', 'timed-out', [/answered SYN\/ACK/, /lost on its way back/, /rp_filter/]],
    ['aborted-client-gave-up.pcap', 'aborted', [/client sent a reset/, /connect timeout/]],
    [
      'backlog-overflow.pcap',
      'dropped',
      [/the same port answered another SYN/, /listen queue/, /TcpExtListenOverflows/],
    ],
    ['reset-after-accept.pcap', 'established', [/completed/, /server later reset the connection/]],
    ['established.pcap', 'established', [/completed in [\d.]+ ms/]],
  ];
  for (const [capture, outcome, patterns] of cases) {
    it(`${capture}: ${outcome}`, () => {
      const text = diagnosisOf(capture, outcome);
      for (const p of patterns) assert.match(text, p);
    });
  }

  it('backlog-overflow.pcap: one listen-queue-overflow finding for the port', () => {
    const f = read('backlog-overflow.pcap').findings;
    assert.deepEqual(
      f.map((x) => x.kind),
      ['listen-queue-overflow'],
    );
    assert.match(f[0]!.text, /10\.77\.2\.2:8082/);
  });

  it('a port that refuses everything is not a listen-queue overflow', () => {
    assert.deepEqual(
      read('dropped-firewall.pcap').findings.filter((f) => f.kind === 'listen-queue-overflow'),
      [],
    );
  });

  it('a capture of unanswered SYNs alone says it cannot tell a drop from an answer it did not record', () => {
    const f = read('dropped-firewall.pcap').findings;
    assert.deepEqual(
      f.map((x) => x.kind),
      ['one-direction'],
    );
    assert.match(f[0]!.text, /either every SYN went unanswered, or the capture holds one direction only/);
    assert.match(f[0]!.text, /three SYNs or more: those retransmissions say no answer reached it/);
    // Its client sent 6 SYNs: Linux would have stopped at the first reset or the second ICMP error.
    const d = diagnosisOf('dropped-firewall.pcap', 'dropped');
    assert.match(d, /something dropped them silently/);
    assert.doesNotMatch(d, /But the capture holds no packet from the server's side/);
  });
});

describe('report/findings', () => {
  it('a clock step back of 1 ms or more is a finding; a few µs (queues stamped out of order) only counted', () => {
    const cap = (maxMs: number): CaptureJson =>
      ({
        file: 'x.pcap',
        timestampsBackwards: { count: 1, firstFrame: 24, maxMs },
      }) as unknown as CaptureJson;
    const coverage = { serverToClient: 1, acks: 0, gaps: 0, answersWithoutSyn: 0, plain: 1, ackFiltered: 0 };
    const loss = { acks: 0, gaps: 0, percent: 0, answersWithoutSyn: 0 };
    const kinds = (maxMs: number): string[] =>
      coverageFindings(coverage, loss, [cap(maxMs)], new Summary()).map((f) => f.kind);
    assert.deepEqual(kinds(0.006), []);
    assert.deepEqual(kinds(CLOCK_FINDING_MS), ['clock-backwards']);
    assert.deepEqual(kinds(18995.317), ['clock-backwards']);
  });

  const SISN = 0x01020304;
  /** Runs packets through tracker + Verdicts and returns the listed handshakes and findings. */
  function run(pkts: Pkt[]): { listed: HandshakeJson[]; findings: readonly { kind: string; text: string }[] } {
    const listed: HandshakeJson[] = [];
    const verdicts = new Verdicts(new Set(OUTCOMES), 3, (a, c) => listed.push(c.record(a)));
    const tracker = new HandshakeTracker(['f.pcap'], DEFAULT_TRACKER_OPTIONS, verdicts.handle);
    const feed = feeder(tracker);
    pkts.forEach((p, i) => feed(p, i + 1));
    tracker.finish();
    return { listed, findings: verdicts.findings.all() };
  }
  const syn = (t: number, port: number) => ({ t, bytes: ipv4(6, tcp({ flags: SYN, srcPort: port })) });
  const synAck = (t: number, port: number, ttl: number) => ({
    t,
    bytes: ipv4(6, tcp({ srcPort: SERVER_PORT, dstPort: port, flags: SYN | ACK, seq: SISN, ack: ISN + 1 }), {
      src: SERVER4,
      dst: CLIENT4,
      ttl,
    }),
  });
  const ack = (t: number, port: number) => ({
    t,
    bytes: ipv4(6, tcp({ srcPort: port, flags: ACK, seq: ISN + 1, ack: SISN + 1, options: Buffer.alloc(0) })),
  });
  const rst = (t: number, port: number, ttl: number) => ({
    t,
    bytes: ipv4(
      6,
      tcp({ srcPort: SERVER_PORT, dstPort: port, flags: RST | ACK, seq: 0, ack: ISN + 1, options: Buffer.alloc(0) }),
      { src: SERVER4, dst: CLIENT4, ttl },
    ),
  });

  it('a refused SYN sent again after its reset (Windows) is said so, apart from retransmissions before it', () => {
    const windows = run([syn(0, 40001), rst(0.05, 40001, 64), syn(0.55, 40001), rst(0.6, 40001, 64)]).listed[0]!;
    assert.equal(windows.synCount, 2);
    assert.match(
      windows.diagnosis,
      new RegExp(
        '^The SYN was answered by a TCP reset from 10\\.0\\.0\\.9 after 50 ms, and the client sent the same SYN' +
          ' 1 more time after the reset \\(a Windows client does, twice, before its connect\\(\\) fails\\):' +
          ' nothing listens on',
      ),
    );
    const slow = run([syn(0, 40002), syn(1, 40002), rst(1.05, 40002, 64)]).listed[0]!;
    assert.match(slow.diagnosis, /^After 2 SYNs \(the client retransmitted\), the SYN was answered by a TCP reset/);
    assert.doesNotMatch(slow.diagnosis, /more time/);
  });

  it('a client that resets its own SYN before any answer gave up on its own: no SYN/ACK is claimed', () => {
    const clientRst = {
      t: 0.3,
      bytes: ipv4(6, tcp({ srcPort: 40003, flags: RST, seq: ISN + 1, options: Buffer.alloc(0) })),
    };
    const h = run([syn(0, 40003), clientRst]).listed[0]!;
    assert.equal(h.outcome, 'aborted');
    assert.match(
      h.diagnosis,
      /^The client sent a reset \(or FIN\) for its connection to 10\.0\.0\.9:8080 after the SYN,/,
    );
    assert.doesNotMatch(h.diagnosis, /SYN\/ACK/);
  });

  it("an RST whose TTL differs from the server's SYN/ACKs is called injected", () => {
    const r = run([syn(0, 40001), synAck(0.001, 40001, 63), ack(0.002, 40001), syn(1, 40002), rst(1.001, 40002, 64)]);
    const refused = r.listed.find((h) => h.outcome === 'refused')!;
    assert.match(refused.diagnosis, /TTL 64, while 10\.0\.0\.9's own SYN\/ACKs arrive with 63/);
    assert.match(refused.diagnosis, /injected on the path/);
    assert.deepEqual(
      r.findings.map((x) => x.kind),
      ['injected-reset'],
    );
  });

  it('a server whose packets never show while its clients acknowledge some: named, its later drops in doubt', () => {
    // 10.0.0.9:8080 answers 40001 in the capture; 10.0.0.7:8080 never shows, yet 40002's ACK proves a SYN/ACK.
    const other = Buffer.from([10, 0, 0, 7]);
    const synTo = (t: number, port: number) => ({
      t,
      bytes: ipv4(6, tcp({ flags: SYN, srcPort: port }), { dst: other }),
    });
    const ackTo = (t: number, port: number) => ({
      t,
      bytes: ipv4(6, tcp({ srcPort: port, flags: ACK, seq: ISN + 1, ack: SISN + 1, options: Buffer.alloc(0) }), {
        dst: other,
      }),
    });
    const listed: HandshakeJson[] = [];
    const verdicts = new Verdicts(new Set(OUTCOMES), 3, (a, c) => listed.push(c.record(a)));
    const tracker = new HandshakeTracker(['f.pcap'], DEFAULT_TRACKER_OPTIONS, verdicts.handle);
    const feed = feeder(tracker);
    [
      syn(0, 40001),
      synAck(0.001, 40001, 63),
      ack(0.002, 40001),
      synTo(1, 40002),
      ackTo(1.001, 40002),
      synTo(2, 40003),
      synTo(3, 40003),
    ].forEach((p, i) => feed(p, i + 1));
    tracker.tick(T0 + 10, 0);
    tracker.finish();
    const run2 = runReport(
      {
        captures: [],
        summary: verdicts.summary,
        findings: verdicts.findings.all(),
        evicted: 0,
        anomalies: {},
        coverage: { ...tracker.coverage },
      },
      3,
      new Set(OUTCOMES),
      null,
    );
    const f = run2.findings.filter((x) => x.kind === 'one-direction');
    assert.equal(f.length, 1);
    assert.deepEqual(f[0]!.server, { ip: '10.0.0.7', port: SERVER_PORT });
    assert.match(
      f[0]!.text,
      /No packet from 10\.0\.0\.7:\d+ is in the capture, yet its clients acknowledge packets from it/,
    );
    const dropped = listed.find((h) => h.client.port === 40003)!;
    assert.equal(dropped.outcome, 'dropped');
    assert.equal(dropped.doubt, 'client-only');
    assert.match(dropped.diagnosis, /may have seen ECONNREFUSED/);
    assert.equal(listed.find((h) => h.client.port === 40002)?.outcome, 'established');
  });

  it("an RST with the server's own TTL is not", () => {
    const r = run([syn(0, 40001), synAck(0.001, 40001, 63), ack(0.002, 40001), syn(1, 40002), rst(1.001, 40002, 63)]);
    assert.doesNotMatch(r.listed.find((h) => h.outcome === 'refused')!.diagnosis, /injected/);
    assert.deepEqual(r.findings, []);
  });
});
