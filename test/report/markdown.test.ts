// The ticket text groups failures so that one group tells one story: its heading, errno and
// diagnosis are those of its first attempt, so nothing with another story may join it.

import { strict as assert } from 'node:assert';
import { MarkdownReporter } from '../../src/report/markdown.js';
import type { HandshakeJson } from '../../src/report/record.js';
import { Summary } from '../../src/report/summary.js';

function ticket(handshakes: readonly HandshakeJson[]): string {
  let text = '';
  const md = new MarkdownReporter((s) => {
    text += s;
  });
  for (const h of handshakes) md.handshake(h);
  md.finish({
    captures: [], summary: new Summary(), findings: [], tracker: { evicted: 0, anomalies: {} }, timeout: 3,
    captureLoss: { acks: 0, gaps: 0, percent: 0, answersWithoutSyn: 0 }, serverToClient: 1, only: new Set(), evidence: null,
  });
  return text;
}

describe('report/markdown groups', () => {
  const rejected = (port: number, code: number, diagnosis: string): HandshakeJson => ({
    file: 'x.pcap', client: { ip: '10.0.0.5', port }, server: { ip: '10.0.0.9', port: 80 }, outcome: 'rejected',
    errno: 'EHOSTUNREACH', start: `2026-11-20T10:00:0${port % 10}.000000Z`, synCount: 1,
    answer: { kind: 'icmp', from: '10.0.0.1', afterMs: 1, ttl: 64, icmpType: 3, icmpCode: code }, frames: [port], diagnosis,
  });

  it('the same router, service and errno, but ICMP codes 1 and 13: two groups, each with its own diagnosis', () => {
    const text = ticket([
      rejected(41001, 1, 'no ARP answer'), rejected(41002, 1, 'no ARP answer'), rejected(41003, 13, 'a firewall rule'),
    ]);
    const headings = text.split('\n').filter((l) => l.startsWith('### '));
    assert.deepEqual(headings, [
      '### 1. rejected: `10.0.0.5:41001` → `10.0.0.9:80` (2 attempts)',
      '### 2. rejected: `10.0.0.5:41003` → `10.0.0.9:80`',
    ]);
    assert.match(text, /\*\*Diagnosis:\*\* no ARP answer\n[^]*\*\*Diagnosis:\*\* a firewall rule\n/);
  });

  it('the same story from several clients, with other delays, stays one group', () => {
    const text = ticket([rejected(41001, 13, 'a firewall rule, after 1 ms'), rejected(41002, 13, 'a firewall rule, after 3.05 s')]);
    assert.equal(text.split('\n').filter((l) => l.startsWith('### ')).length, 1);
    assert.match(text, /\(2 attempts\)/);
  });

  it('established connections reset by the client and by the server: two groups', () => {
    const established = (port: number, resetBy: 'client' | 'server', diagnosis: string): HandshakeJson => ({
      file: 'x.pcap', client: { ip: '10.0.0.5', port }, server: { ip: '10.0.0.9', port: 80 }, outcome: 'established',
      errno: null, start: `2026-11-20T10:00:0${port % 10}.000000Z`, synCount: 1,
      answer: { kind: 'synack', from: '10.0.0.9', afterMs: port % 10, ttl: 64 }, frames: [port], diagnosis, resetBy,
    });
    const text = ticket([
      established(41001, 'client', 'completed in 1 ms; the client later reset'),
      established(41002, 'server', 'completed in 2 ms; the server later reset'),
      established(41003, 'client', 'completed in 3 ms; the client later reset'),
    ]);
    assert.deepEqual(text.split('\n').filter((l) => l.startsWith('### ')), [
      '### 1. established, then reset by the client: `10.0.0.5:41001` → `10.0.0.9:80` (2 attempts)',
      '### 2. established, then reset by the server: `10.0.0.5:41002` → `10.0.0.9:80`',
    ]);
  });
});
