// The ticket text groups failures so that one group tells one story: its heading, errno and
// diagnosis are those of its first attempt, so nothing with another story may join it.

import { strict as assert } from 'node:assert';
import { MarkdownReporter } from '../../src/report/markdown.js';
import type { HandshakeJson } from '../../src/report/record.js';
import { Summary } from '../../src/report/summary.js';
import type { CaptureJson, RunReport } from '../../src/report/reporter.js';

function ticket(handshakes: readonly HandshakeJson[], run: Partial<RunReport> = {}): string {
  let text = '';
  const md = new MarkdownReporter((s) => {
    text += s;
  });
  for (const h of handshakes) md.row(h);
  md.finish({
    captures: [],
    summary: new Summary(),
    findings: [],
    tracker: { evicted: 0, anomalies: {} },
    timeout: 3,
    captureLoss: { acks: 0, gaps: 0, percent: 0, answersWithoutSyn: 0 },
    serverToClient: 1,
    only: new Set(),
    evidence: null,
    ...run,
  });
  return text;
}

describe('report/markdown groups', () => {
  const rejected = (port: number, code: number, diagnosis: string): HandshakeJson => ({
    file: 'x.pcap',
    client: { ip: '10.0.0.5', port },
    server: { ip: '10.0.0.9', port: 80 },
    outcome: 'rejected',
    errno: 'EHOSTUNREACH',
    start: `2026-11-20T10:00:0${port % 10}.000000Z`,
    synCount: 1,
    answer: { kind: 'icmp', from: '10.0.0.1', afterMs: 1, ttl: 64, icmpType: 3, icmpCode: code },
    frames: [port],
    diagnosis,
  });

  it('the same router, service and errno, but ICMP codes 1 and 13: two groups, each with its own diagnosis', () => {
    const text = ticket([
      rejected(41001, 1, 'no ARP answer'),
      rejected(41002, 1, 'no ARP answer'),
      rejected(41003, 13, 'a firewall rule'),
    ]);
    const headings = text.split('\n').filter((l) => l.startsWith('### '));
    assert.deepEqual(headings, [
      '### 1. rejected: `10.0.0.5:41001` → `10.0.0.9:80` (2 attempts)',
      '### 2. rejected: `10.0.0.5:41003` → `10.0.0.9:80`',
    ]);
    assert.match(text, /\*\*Diagnosis:\*\* no ARP answer\n[^]*\*\*Diagnosis:\*\* a firewall rule\n/);
  });

  it('the same story from several clients, with other delays, stays one group', () => {
    const text = ticket([
      rejected(41001, 13, 'a firewall rule, after 1 ms'),
      rejected(41002, 13, 'a firewall rule, after 3.05 s'),
    ]);
    assert.equal(text.split('\n').filter((l) => l.startsWith('### ')).length, 1);
    assert.match(text, /\(2 attempts\)/);
  });

  it('established connections reset by the client and by the server: two groups', () => {
    const established = (port: number, resetBy: 'client' | 'server', diagnosis: string): HandshakeJson => ({
      file: 'x.pcap',
      client: { ip: '10.0.0.5', port },
      server: { ip: '10.0.0.9', port: 80 },
      outcome: 'established',
      errno: null,
      start: `2026-11-20T10:00:0${port % 10}.000000Z`,
      synCount: 1,
      answer: { kind: 'synack', from: '10.0.0.9', afterMs: port % 10, ttl: 64 },
      frames: [port],
      diagnosis,
      resetBy,
    });
    const text = ticket([
      established(41001, 'client', 'completed in 1 ms; the client later reset'),
      established(41002, 'server', 'completed in 2 ms; the server later reset'),
      established(41003, 'client', 'completed in 3 ms; the client later reset'),
    ]);
    assert.deepEqual(
      text.split('\n').filter((l) => l.startsWith('### ')),
      [
        '### 1. established, then reset by the client: `10.0.0.5:41001` → `10.0.0.9:80` (2 attempts)',
        '### 2. established, then reset by the server: `10.0.0.5:41002` → `10.0.0.9:80`',
      ],
    );
  });
});

describe('report/markdown wording', () => {
  const dropped = (port: number): HandshakeJson => ({
    file: 'eth0',
    client: { ip: '10.0.0.5', port },
    server: { ip: '10.0.0.9', port: 80 },
    outcome: 'dropped',
    errno: 'ETIMEDOUT',
    start: `2026-11-20T10:00:0${port % 10}.000000Z`,
    synCount: 2,
    answer: null,
    frames: [port, port + 100],
    diagnosis: 'no answer',
  });
  const rows = (text: string): number => text.split('\n').filter((l) => l.startsWith('| 2026-')).length;

  it('6 attempts in a group: all 6 rows, no "…and 1 more"; 7: 5 rows and "…and 2 more like these"', () => {
    const six = ticket([1, 2, 3, 4, 5, 6].map((p) => dropped(40000 + p)));
    assert.equal(rows(six), 6);
    assert.doesNotMatch(six, /more like these/);
    const seven = ticket([1, 2, 3, 4, 5, 6, 7].map((p) => dropped(40000 + p)));
    assert.equal(rows(seven), 5);
    assert.match(seven, /…and 2 more like these\./);
  });

  it('no answer reads as "none", one attempt and one packet in the singular', () => {
    const text = ticket([dropped(40001)], {
      tracker: { evicted: 1, anomalies: {} },
      evidence: { file: 'e.pcap', packets: 1 },
    });
    assert.match(text, /\*\*Answer:\*\* none \(no SYN\/ACK, RST or ICMP error came back\)/);
    assert.doesNotMatch(text, /nothing answered|Answered by/);
    assert.match(text, /> 1 attempt was settled early/);
    assert.match(text, /`e\.pcap` \(1 packet:/);
    assert.doesNotMatch(text, /\b1 (attempts|packets)\b/);
  });

  it('a live capture: the interface is named as an interface, never given to tshark -r', () => {
    const live: CaptureJson = {
      file: 'eth0',
      format: 'live',
      gzip: false,
      linkTypes: ['ETHERNET'],
      packets: 2,
      first: null,
      last: null,
      otherPackets: 0,
      badPackets: 0,
      unknownLinkPackets: 0,
      error: null,
      received: 2,
      droppedByKernel: 0,
      droppedByInterface: 0,
    };
    const text = ticket([dropped(40001)], { captures: [live] });
    assert.match(text, /^- interface `eth0` \(live capture\): /m);
    assert.match(text, /\*\*Frames:\*\* 40001, 40101 of the live capture on interface `eth0`/);
    assert.doesNotMatch(text, /tshark -r eth0|`eth0`: /);
    // With --evidence, the evidence file's numbers and a tshark command on it.
    const numbered = ticket([dropped(40001)], {
      captures: [live],
      evidence: {
        file: 'ev.pcap',
        packets: 2,
        frames: new Map([
          [
            'eth0',
            new Map([
              [40001, 1],
              [40101, 2],
            ]),
          ],
        ]),
      },
    });
    assert.match(numbered, /\*\*Frames:\*\* 1, 2 in `ev\.pcap` — `tshark -r ev\.pcap -Y 'frame\.number in \{1,2\}'`/);
  });
});
