// A capture taken with a filter on TCP flags (`tcp[tcpflags] & (tcp-syn|tcp-rst) != 0`) holds no
// handshake's completing ACK: its answered handshakes read timed-out, which read says is in doubt,
// with a finding that names the filter; with FINs kept, a FIN that acknowledges the SYN/ACK shows the
// handshake completed.

import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TCP_FLAG_ACK as ACK, TCP_FLAG_FIN as FIN, TCP_FLAG_SYN as SYN } from '../../src/decode/view.js';
import { buildPcap, type PcapRecord } from '../helpers/capture-files.js';
import { synscope } from '../helpers/cli.js';
import { CLIENT4, CLIENT_PORT, ISN, SERVER4, SERVER_PORT, ethernet, ipv4, tcp } from '../helpers/frames.js';

const SERVER_ISN = 0x11223344;
const T = 1_700_000_000;

function fromClient(sec: number, flags: number, ack: number): PcapRecord {
  const seg = tcp({ flags, seq: flags === SYN ? ISN : ISN + 1, ack, options: Buffer.alloc(0) });
  return { tsSec: sec, tsSub: 0, data: ethernet(0x0800, ipv4(6, seg)) };
}
const synAck: PcapRecord = {
  tsSec: T,
  tsSub: 500,
  data: ethernet(
    0x0800,
    ipv4(6, tcp({ srcPort: SERVER_PORT, dstPort: CLIENT_PORT, flags: SYN | ACK, seq: SERVER_ISN, ack: ISN + 1 }), {
      src: SERVER4,
      dst: CLIENT4,
    }),
  ),
};

interface Report {
  handshakes: { outcome: string; doubt?: string }[];
  findings: { kind: string; text: string }[];
  tracker: { anomalies: Record<string, number> };
}

describe('read: a capture filtered on TCP flags', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'synscope-flags-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function read(name: string, records: PcapRecord[]): Report {
    const file = join(dir, name);
    writeFileSync(file, buildPcap(records).bytes);
    const r = synscope(['read', file, '--format', 'json']);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as Report;
  }

  it('SYN and SYN/ACK only: timed-out in doubt, and a finding that names the filter', () => {
    const r = read('syn-rst.pcap', [fromClient(T, SYN, 0), synAck, fromClient(T + 10, SYN, 0)]);
    const first = r.handshakes[0]!;
    assert.equal(first.outcome, 'timed-out');
    assert.equal(first.doubt, 'capture-loss');
    const f = r.findings.find((x) => x.text.includes('filter on TCP flags'));
    assert.ok(f, JSON.stringify(r.findings));
    assert.match(
      f.text,
      /1 timed-out attempt whose client did not send its SYN again after the SYN\/ACK may well have completed/,
    );
  });

  it('with a pure ACK in the capture (another connection), neither the doubt nor the finding', () => {
    const other = tcp({ srcPort: 50000, flags: ACK, seq: 1, ack: 1, options: Buffer.alloc(0) });
    const r = read('plain.pcap', [
      fromClient(T, SYN, 0),
      synAck,
      { tsSec: T + 1, tsSub: 0, data: ethernet(0x0800, ipv4(6, other)) },
      fromClient(T + 10, SYN, 0),
    ]);
    assert.equal(r.handshakes[0]!.outcome, 'timed-out');
    assert.equal(r.handshakes[0]!.doubt, undefined);
    assert.equal(r.findings.filter((x) => x.text.includes('filter on TCP flags')).length, 0);
  });

  it('SYN, FIN and RST kept: the FIN acknowledging the SYN/ACK shows the handshake completed', () => {
    const r = read('syn-fin-rst.pcap', [fromClient(T, SYN, 0), synAck, fromClient(T + 5, FIN | ACK, SERVER_ISN + 1)]);
    assert.equal(r.handshakes[0]!.outcome, 'established');
    assert.equal(r.tracker.anomalies.handshake_ack_not_captured, 1);
  });
});
