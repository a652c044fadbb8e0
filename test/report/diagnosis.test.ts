// Diagnoses on the real captures: each outcome's text names what the wire proves and the next
// step; service-level findings (listen-queue overflow, injected resets) from several handshakes.

import { strict as assert } from 'node:assert';
import { Findings } from '../../src/report/findings.js';
import type { HandshakeJson } from '../../src/report/record.js';
import { synscope } from '../helpers/cli.js';

interface Report { handshakes: HandshakeJson[]; findings: { kind: string; text: string }[] }

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
    ['refused-closed-port.pcap', 'refused', [/TCP reset from 10\.77\.2\.2/, /nothing listens on 10\.77\.2\.2:9/, /ECONNREFUSED/, /ss -ltn/]],
    ['rejected-port-unreachable.pcap', 'rejected', [/port unreachable/, /the server 10\.77\.2\.2 itself/, /REJECT rule on the server/]],
    ['rejected-host-prohibited.pcap', 'rejected', [/host administratively prohibited/, /10\.77\.1\.1, a router or firewall on the way \(not the server\)/, /REJECT rule/, /nft list ruleset/]],
    ['rejected-admin-prohibited.pcap', 'rejected', [/communication administratively prohibited/, /EHOSTUNREACH/, /no route to host/]],
    ['rejected-no-arp.pcap', 'rejected', [/host unreachable/, /no ARP/, /after 3\.\d+ s/, /ip neigh show 10\.77\.2\.99/]],
    ['rejected-no-route.pcap', 'rejected', [/net unreachable/, /no route to 10\.77\.8\.8's network/, /ip route get/]],
    ['rejected-ttl-exceeded.pcap', 'rejected', [/time exceeded/, /routing loop/]],
    ['ipv6-admin-prohibited.pcap', 'rejected', [/ICMPv6 communication administratively prohibited/, /EACCES/, /permission denied/]],
    ['dropped-firewall.pcap', 'dropped', [/No answer of any kind to 6 SYNs/, /dropped them silently/, /ETIMEDOUT/, /capture on the server side/]],
    ['timed-out-half-open.pcap', 'timed-out', [/answered SYN\/ACK/, /lost on its way back/, /rp_filter/]],
    ['aborted-client-gave-up.pcap', 'aborted', [/client sent a reset/, /connect timeout/]],
    ['backlog-overflow.pcap', 'dropped', [/the same port answered another SYN/, /listen queue/, /TcpExtListenOverflows/]],
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
    assert.deepEqual(f.map((x) => x.kind), ['listen-queue-overflow']);
    assert.match(f[0]!.text, /10\.77\.2\.2:8082/);
  });

  it('a port that refuses everything is not a listen-queue overflow', () => {
    assert.deepEqual(read('dropped-firewall.pcap').findings, []);
  });
});

describe('report/findings', () => {
  const base = (over: Partial<HandshakeJson>): HandshakeJson => ({
    file: 'x.pcap', client: { ip: '10.0.0.5', port: 50000 }, server: { ip: '10.0.0.9', port: 443 }, outcome: 'established',
    errno: null, start: '2026-11-20T10:00:00.000000Z', synCount: 1,
    answer: { kind: 'synack', from: '10.0.0.9', afterMs: 1, ttl: 63 }, frames: [1, 2, 3], diagnosis: '', ...over,
  });

  it('an RST whose TTL differs from the server\'s SYN/ACKs is called injected', () => {
    const f = new Findings();
    f.diagnose(base({}), 3);
    const d = f.diagnose(base({
      outcome: 'refused', errno: 'ECONNREFUSED', client: { ip: '10.0.0.5', port: 50001 },
      answer: { kind: 'rst', from: '10.0.0.9', afterMs: 0.1, ttl: 64 },
    }), 3);
    assert.match(d, /TTL 64, while 10\.0\.0\.9's own SYN\/ACKs arrive with 63/);
    assert.match(d, /injected on the path/);
    assert.deepEqual(f.all().map((x) => x.kind), ['injected-reset']);
  });

  it('an RST with the server\'s own TTL is not', () => {
    const f = new Findings();
    f.diagnose(base({}), 3);
    const d = f.diagnose(base({ outcome: 'refused', errno: 'ECONNREFUSED', answer: { kind: 'rst', from: '10.0.0.9', afterMs: 0.1, ttl: 63 } }), 3);
    assert.doesNotMatch(d, /injected/);
    assert.deepEqual(f.all(), []);
  });
});
