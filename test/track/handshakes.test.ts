// The handshake state machine on hand-made packet sequences: every outcome, retransmissions,
// copies, ICMP matching, listing order, filters, live expiry and the table's cap.

import { strict as assert } from 'node:assert';
import {
  TCP_FLAG_ACK as ACK,
  TCP_FLAG_FIN as FIN,
  TCP_FLAG_PSH as PSH,
  TCP_FLAG_RST as RST,
  TCP_FLAG_SYN as SYN,
} from '../../src/decode/view.js';
import { ANSWER_NONE, RESET_BY_CLIENT, type SettledAttempt } from '../../src/track/attempt.js';
import { DEFAULT_TRACKER_OPTIONS, HandshakeTracker, type TrackerOptions } from '../../src/track/handshakes.js';
import { TimeWindow } from '../../src/track/select.js';
import { parseHosts, parsePorts, parseTime } from '../../src/cli/options.js';
import { T0, feeder, type Pkt } from '../helpers/feed.js';
import {
  CLIENT4,
  CLIENT6,
  CLIENT_PORT,
  ISN,
  ROUTER4,
  SERVER4,
  SERVER6,
  SERVER_PORT,
  icmp4,
  icmp6,
  ipv4,
  ipv6,
  tcp,
} from '../helpers/frames.js';

const SERVER_ISN = 0x11223344;

const syn = (t: number, over: { seq?: number; srcPort?: number } = {}): Pkt => ({
  t,
  bytes: ipv4(6, tcp({ flags: SYN, seq: over.seq ?? ISN, srcPort: over.srcPort ?? CLIENT_PORT })),
});
const synAck = (t: number, ttl = 64): Pkt => ({
  t,
  bytes: ipv4(6, tcp({ srcPort: SERVER_PORT, dstPort: CLIENT_PORT, flags: SYN | ACK, seq: SERVER_ISN, ack: ISN + 1 }), {
    src: SERVER4,
    dst: CLIENT4,
    ttl,
  }),
});
const fromServer = (t: number, flags: number, ack: number, seq = SERVER_ISN + 1): Pkt => ({
  t,
  bytes: ipv4(6, tcp({ srcPort: SERVER_PORT, dstPort: CLIENT_PORT, flags, seq, ack, options: Buffer.alloc(0) }), {
    src: SERVER4,
    dst: CLIENT4,
  }),
});
const fromClient = (t: number, flags: number, ack = SERVER_ISN + 1): Pkt => ({
  t,
  bytes: ipv4(6, tcp({ flags, seq: ISN + 1, ack, options: Buffer.alloc(0) })),
});
/** An ICMP error from `from` quoting the client's SYN (IP header + the first 8 bytes of TCP). */
const icmpFor = (t: number, type: number, code: number, from: Buffer, seq = ISN): Pkt => {
  const quoted = ipv4(6, tcp({ seq }).subarray(0, 8), { totalLength: 60 });
  return { t, bytes: ipv4(1, icmp4(type, code, quoted), { src: from, dst: CLIENT4 }) };
};

/** What the tracker handed over, copied: it reuses an attempt's object once the attempt is reported. */
type Snapshot = Omit<SettledAttempt, 'frameList'>;
function snap(a: SettledAttempt): Snapshot {
  return {
    ...a,
    frames: a.frameList(),
    frameFiles: a.spans ? a.frameFiles.slice(0, a.frameCount) : [],
    addr: Buffer.from(a.addr),
    answerFrom: a.answerFrom === null ? null : Buffer.from(a.answerFrom),
  };
}

function run(
  pkts: Pkt[],
  opts: Partial<TrackerOptions> = {},
  endAt?: number,
): { attempts: Snapshot[]; tracker: HandshakeTracker } {
  const attempts: Snapshot[] = [];
  const tracker = new HandshakeTracker(['test.pcap'], { ...DEFAULT_TRACKER_OPTIONS, ...opts }, (a) =>
    attempts.push(snap(a)),
  );
  const feed = feeder(tracker);
  pkts.forEach((p, i) => feed(p, i + 1));
  if (endAt !== undefined) tracker.tick(T0 + Math.floor(endAt), Math.round((endAt % 1) * 1e9));
  tracker.finish();
  return { attempts, tracker };
}

function only(pkts: Pkt[], opts: Partial<TrackerOptions> = {}, endAt?: number): Snapshot {
  const { attempts } = run(pkts, opts, endAt);
  assert.equal(attempts.length, 1, 'one attempt');
  return attempts[0]!;
}

describe('track/handshakes', () => {
  it('SYN, SYN/ACK, ACK → established, with every frame', () => {
    const a = only([syn(0), synAck(0.001), fromClient(0.002, ACK)]);
    assert.equal(a.verdict?.outcome, 'established');
    assert.equal(a.verdict?.errno, null);
    assert.deepEqual(a.frames, [1, 2, 3]);
    assert.equal(a.synCount, 1);
  });

  it('ECN (RFC 3168): an ECN-setup SYN (ECE, CWR) and SYN/ACK (ECE) are a SYN and a SYN/ACK like any other', () => {
    const ECE = 0x40;
    const CWR = 0x80;
    const ecnSyn = (t: number, srcPort: number): Pkt => ({
      t,
      bytes: ipv4(6, tcp({ flags: SYN | ECE | CWR, seq: ISN, srcPort })),
    });
    const { attempts } = run([
      ecnSyn(0, 40001),
      {
        t: 0.001,
        bytes: ipv4(
          6,
          tcp({ srcPort: SERVER_PORT, dstPort: 40001, flags: SYN | ACK | ECE, seq: SERVER_ISN, ack: ISN + 1 }),
          {
            src: SERVER4,
            dst: CLIENT4,
          },
        ),
      },
      { t: 0.002, bytes: ipv4(6, tcp({ srcPort: 40001, flags: ACK, seq: ISN + 1, ack: SERVER_ISN + 1 })) },
      ecnSyn(0.003, 40002),
      {
        t: 0.004,
        bytes: ipv4(6, tcp({ srcPort: SERVER_PORT, dstPort: 40002, flags: RST | ACK, seq: 0, ack: ISN + 1 }), {
          src: SERVER4,
          dst: CLIENT4,
        }),
      },
    ]);
    assert.deepEqual(
      attempts.map((a) => [a.clientPort, a.verdict?.outcome, a.synCount, a.frames]),
      [
        [40001, 'established', 1, [1, 2, 3]],
        [40002, 'refused', 1, [4, 5]],
      ],
    );
  });

  it('a Windows client sends a refused SYN again, twice, 0.5 s apart: one attempt, refused, 3 SYNs', () => {
    // Windows answers a reset to its SYN by sending the same SYN again (twice) before connect() fails.
    const rst = (t: number): Pkt => fromServer(t, RST | ACK, ISN + 1, 0);
    const { attempts } = run([syn(0), rst(0.05), syn(0.55), rst(0.6), syn(1.1), rst(1.15)], {}, 5);
    assert.equal(attempts.length, 1);
    const a = attempts[0]!;
    assert.deepEqual(a.verdict, { outcome: 'refused', errno: 'ECONNREFUSED' });
    assert.equal(a.synCount, 3);
    assert.equal(a.synsAtAnswer, 1);
    assert.deepEqual(a.frames, [1, 2, 3, 4, 5, 6]);
    // A SYN of the same ISN a second and more after the latest one is not a retry of this connect.
    const late = run([syn(0), rst(0.05), syn(1.2), rst(1.25)], {}, 5).attempts;
    assert.deepEqual(
      late.map((x) => [x.synCount, x.frames]),
      [
        [1, [1, 2]],
        [1, [3, 4]],
      ],
    );
  });

  it('a client reset (or FIN) before any answer: aborted, the client gave up (Zeek RSTOS0)', () => {
    for (const flags of [RST, RST | ACK, FIN]) {
      const a = only([syn(0), fromClient(0.3, flags)], {}, 5);
      assert.deepEqual(a.verdict, { outcome: 'aborted', errno: null }, `flags ${flags}`);
      assert.deepEqual(a.frames, [1, 2]);
      assert.equal(a.answerKind, ANSWER_NONE);
    }
  });

  it('a SYN/ACK carrying data (RFC 793 allows it): an ACK of its data completes the handshake', () => {
    const synAckData = (t: number): Pkt => ({
      t,
      bytes: ipv4(
        6,
        tcp({
          srcPort: SERVER_PORT,
          dstPort: CLIENT_PORT,
          flags: SYN | ACK,
          seq: SERVER_ISN,
          ack: ISN + 1,
          payload: Buffer.alloc(10),
        }),
        { src: SERVER4, dst: CLIENT4 },
      ),
    });
    const a = only([syn(0), synAckData(0.001), fromClient(0.002, ACK, SERVER_ISN + 11)]);
    assert.equal(a.verdict?.outcome, 'established');
    assert.deepEqual(a.frames, [1, 2, 3]);
    // Beyond the SYN/ACK's data: the client had more from the server, which the capture lost.
    const b = run([syn(0), synAckData(0.001), fromClient(0.002, ACK, SERVER_ISN + 12)], {}, 10);
    assert.equal(b.attempts[0]!.verdict?.outcome, 'established');
    assert.equal(b.tracker.coverage.gaps, 1);
  });

  it('SYN answered by RST+ACK → refused, ECONNREFUSED', () => {
    const a = only([syn(0), fromServer(0.0002, RST | ACK, ISN + 1, 0)]);
    assert.deepEqual(a.verdict, { outcome: 'refused', errno: 'ECONNREFUSED' });
    assert.deepEqual(a.frames, [1, 2]);
  });

  it('a RST without ACK does not refuse (RFC 793 SYN-SENT): dropped, counted as an anomaly', () => {
    const { attempts, tracker } = run([syn(0), fromServer(0.001, RST, 0, 0), syn(1)], {}, 5);
    assert.equal(attempts[0]?.verdict?.outcome, 'dropped');
    assert.equal(tracker.anomalies.rst_without_ack, 1);
    assert.equal(attempts[0]?.synCount, 2);
  });

  it('an ICMP host unreachable answering a retransmission decides: rejected, EHOSTUNREACH, from the router', () => {
    const a = only([syn(0), syn(1), icmpFor(3.05, 3, 1, ROUTER4)], { timeout: 1 });
    assert.deepEqual(a.verdict, { outcome: 'rejected', errno: 'EHOSTUNREACH' });
    assert.equal(a.synCount, 2);
    assert.deepEqual(a.frames, [1, 2, 3]);
    assert.deepEqual([...a.answerFrom!.subarray(0, a.addrLen)], [...ROUTER4]);
    assert.equal(a.icmpType, 3);
    assert.equal(a.icmpCode, 1);
  });

  it('an ICMP error the client took as soft (it retransmitted the SYN) does not end the attempt', () => {
    const a = only([syn(0), icmpFor(0.00004, 3, 13, ROUTER4), syn(1), icmpFor(1.00004, 3, 13, ROUTER4)], {}, 5);
    assert.deepEqual(a.verdict, { outcome: 'rejected', errno: 'EHOSTUNREACH' });
    assert.equal(a.synCount, 2);
    assert.deepEqual(a.frames, [1, 2, 3, 4]);
    const b = only([syn(0), icmpFor(0.00004, 3, 1, ROUTER4), syn(1), synAck(1.001), fromClient(1.002, ACK)]);
    assert.equal(b.verdict?.outcome, 'established');
    assert.equal(b.answerKind, 1, 'the SYN/ACK is the answer');
  });

  it('a retransmission crossing the ICMP error on the wire does not reopen it (no-ARP: errors after 3 SYNs)', () => {
    const a = only(
      [syn(0), syn(1), syn(2), icmpFor(3.0712, 3, 1, ROUTER4), syn(3.071215), icmpFor(6.14, 3, 1, ROUTER4)],
      {},
      9,
    );
    assert.deepEqual(a.verdict, { outcome: 'rejected', errno: 'EHOSTUNREACH' });
    assert.equal(a.synCount, 4);
    assert.equal(Math.round((a.answerSec - a.startSec + (a.answerNsec - a.startNsec) * 1e-9) * 1000), 3071);
  });

  it("an ICMP error quoting another sequence number is not this SYN's answer", () => {
    const a = only([syn(0), icmpFor(0.01, 3, 3, SERVER4, ISN + 5)], {}, 4);
    assert.equal(a.verdict?.outcome, 'dropped');
    assert.deepEqual(a.frames, [1]);
  });

  it('ICMP fragmentation needed (type 3 code 4) only lowers the MTU: not a rejection', () => {
    const { attempts, tracker } = run([syn(0), icmpFor(0.01, 3, 4, ROUTER4)], {}, 4);
    assert.equal(attempts[0]?.verdict?.outcome, 'dropped');
    assert.equal(tracker.anomalies.icmp_not_fatal, 1);
  });

  it('ICMPv6 administratively prohibited → rejected, EACCES', () => {
    const v6syn = { t: 0, bytes: ipv6(6, tcp({ flags: SYN })) };
    const quoted = ipv6(6, tcp({ flags: SYN }));
    const err = { t: 0.002, bytes: ipv6(58, icmp6(1, 1, quoted), { src: SERVER6, dst: CLIENT6 }) };
    const a = only([v6syn, err]);
    assert.deepEqual(a.verdict, { outcome: 'rejected', errno: 'EACCES' });
    assert.equal(a.addrLen, 16);
  });

  it('no answer: dropped when the capture goes on --timeout after the first SYN, incomplete before', () => {
    assert.equal(only([syn(0)], {}, 2.999).verdict?.outcome, 'incomplete');
    assert.equal(only([syn(0)], {}, 3).verdict?.outcome, 'dropped');
    assert.equal(only([syn(0)], { timeout: 10 }, 9).verdict?.outcome, 'incomplete');
  });

  it("SYN/ACK without the client's ACK → timed-out (or incomplete when the capture ends too soon)", () => {
    assert.deepEqual(only([syn(0), synAck(0.01), synAck(1.01)], {}, 5).verdict, {
      outcome: 'timed-out',
      errno: 'ETIMEDOUT',
    });
    assert.equal(only([syn(0), synAck(0.01)], {}, 2).verdict?.outcome, 'incomplete');
  });

  it('the server resets after a SYN/ACK the client never acknowledged → refused, the RST as the answer', () => {
    const a = only([syn(0), synAck(0.01), syn(1), fromServer(1.2, RST | ACK, ISN + 1)]);
    assert.deepEqual(a.verdict, { outcome: 'refused', errno: 'ECONNREFUSED' });
    assert.equal(a.answerKind, 2);
    assert.deepEqual(a.frames, [1, 2, 3, 4]);
  });

  it('the client resets (or FINs) after the SYN/ACK → aborted', () => {
    assert.deepEqual(only([syn(0), synAck(1.5), fromClient(1.5001, RST, 0)]).verdict, {
      outcome: 'aborted',
      errno: null,
    });
    assert.equal(only([syn(0), synAck(0.1), fromClient(0.2, FIN, 0)]).verdict?.outcome, 'aborted');
    // A reset that acknowledges the SYN/ACK (and no more) still ends the handshake instead of completing it.
    assert.equal(only([syn(0), synAck(0.1), fromClient(0.2, RST | ACK)]).verdict?.outcome, 'aborted');
  });

  it('a client packet that acknowledges the SYN/ACK after all, the completing ACK not captured: established', () => {
    // A FIN acknowledging the SYN/ACK (a filter on TCP flags keeps SYN, FIN and RST only).
    const { attempts, tracker } = run([syn(0), synAck(0.1), fromClient(5, FIN | ACK)], {}, 10);
    assert.equal(attempts.length, 1);
    assert.equal(attempts[0]!.verdict?.outcome, 'established');
    assert.equal(attempts[0]!.connectDelay, -1, 'when it completed is not known');
    assert.deepEqual(attempts[0]!.frames, [1, 2, 3]);
    assert.equal(tracker.anomalies.handshake_ack_not_captured, 1);
    // The same FIN with the SYN/ACK not captured either: a SYN/ACK reached the client all the same.
    const unseen = run([syn(0), fromClient(2, FIN | ACK)], {}, 10);
    assert.equal(unseen.attempts[0]!.verdict?.outcome, 'established');
    assert.deepEqual(unseen.attempts[0]!.frames, [1, 2]);
    assert.equal(unseen.attempts[0]!.connectDelay, -1);
    assert.equal(unseen.tracker.anomalies.synack_not_captured, 1);
    // Data acknowledged beyond the SYN/ACK: the client had it, and the capture lost the packets between.
    const lossy = run([syn(0), synAck(0.1), fromClient(1, ACK | PSH, SERVER_ISN + 501)], {}, 10);
    assert.equal(lossy.attempts[0]!.verdict?.outcome, 'established');
    assert.equal(lossy.tracker.coverage.gaps, 1);
    // A reset acknowledging server data: established, then reset by the client.
    const reset = only([syn(0), synAck(0.1), fromClient(1, RST | ACK, SERVER_ISN + 501)], {}, 10);
    assert.equal(reset.verdict?.outcome, 'established');
    assert.equal(reset.resetBy, RESET_BY_CLIENT);
  });

  it('an established connection reset later carries resetBy', () => {
    const a = only([syn(0), synAck(0.001), fromClient(0.002, ACK), fromServer(0.5, RST | ACK, ISN + 1)]);
    assert.equal(a.verdict?.outcome, 'established');
    assert.equal(a.resetBy, 2);
    assert.deepEqual(a.frames, [1, 2, 3, 4]);
  });

  it('a SYN seen twice within microseconds (-i any) is one SYN, not a retransmission', () => {
    const a = only([
      syn(0),
      syn(0.00002),
      fromServer(0.0003, RST | ACK, ISN + 1, 0),
      fromServer(0.00031, RST | ACK, ISN + 1, 0),
    ]);
    assert.equal(a.synCount, 1);
    assert.deepEqual(a.frames, [1, 2, 3, 4]);
    assert.equal(a.verdict?.outcome, 'refused');
  });

  it("-i any: both copies of every handshake packet are frames of the attempt, the completing ACK's too", () => {
    const a = only([
      syn(0),
      syn(0.00001),
      synAck(0.0001),
      synAck(0.00011),
      fromClient(0.0002, ACK),
      fromClient(0.00021, ACK),
      // the client's first data and a later pure ACK are the connection's, not the handshake's
      {
        t: 0.0003,
        bytes: ipv4(
          6,
          tcp({
            flags: ACK | PSH,
            seq: ISN + 1,
            ack: SERVER_ISN + 1,
            options: Buffer.alloc(0),
            payload: Buffer.from('GET /'),
          }),
        ),
      },
      fromClient(0.2, ACK),
    ]);
    assert.equal(a.verdict?.outcome, 'established');
    assert.equal(a.synCount, 1);
    assert.deepEqual(a.frames, [1, 2, 3, 4, 5, 6]);
  });

  it("the completing ACK's copy is found at clock 0 and with no SYN/ACK captured; a later pure ACK is none", () => {
    const atZero = only([syn(0), synAck(0), fromClient(0, ACK), fromClient(0, ACK)]);
    assert.deepEqual(atZero.frames, [1, 2, 3, 4]);
    const noSynAck = only([syn(0), fromClient(0.001, ACK), fromClient(0.00101, ACK)]);
    assert.equal(noSynAck.verdict?.outcome, 'established');
    assert.deepEqual(noSynAck.frames, [1, 2, 3]);
    const windowUpdate = only([syn(0), synAck(0.001), fromClient(0.002, ACK), fromClient(0.05, ACK)]);
    assert.deepEqual(windowUpdate.frames, [1, 2, 3]);
  });

  it('a new ISN on the same 4-tuple is a new attempt', () => {
    const { attempts } = run([syn(0), fromServer(0.001, RST | ACK, ISN + 1, 0), syn(2, { seq: 42 })], {}, 10);
    assert.equal(attempts.length, 2);
    assert.equal(attempts[0]?.verdict?.outcome, 'refused');
    assert.equal(attempts[1]?.verdict?.outcome, 'dropped');
    assert.deepEqual(attempts[1]?.frames, [3], 'the SYN with ISN 42 starts it');
  });

  it('an unanswered attempt replaced by a new ISN still waits for its verdict: dropped as the capture goes on', () => {
    const later = run([syn(0), syn(1, { seq: 7 })], {}, 10).attempts;
    assert.deepEqual(
      later.map((a) => [a.firstFrame, a.verdict?.outcome]),
      [
        [1, 'dropped'],
        [2, 'dropped'],
      ],
    );
    const early = run([syn(0), syn(1, { seq: 7 })], {}, 2).attempts;
    assert.deepEqual(
      early.map((a) => a.verdict?.outcome),
      ['incomplete', 'incomplete'],
    );
  });

  it('lists attempts by start, even when a later one is settled first', () => {
    const rst2 = {
      t: 0.2,
      bytes: ipv4(
        6,
        tcp({ srcPort: SERVER_PORT, dstPort: 40002, flags: RST | ACK, seq: 0, ack: ISN + 1, options: Buffer.alloc(0) }),
        { src: SERVER4, dst: CLIENT4 },
      ),
    };
    const { attempts } = run([syn(0), syn(0.1, { srcPort: 40002 }), rst2], {}, 5);
    assert.deepEqual(
      attempts.map((a) => a.clientPort),
      [CLIENT_PORT, 40002],
    );
    assert.deepEqual(
      attempts.map((a) => a.verdict?.outcome),
      ['dropped', 'refused'],
    );
  });

  it('--port keeps only attempts with one of its ports (lists, ranges) on either side', () => {
    const { attempts } = run([syn(0), syn(0.1, { srcPort: 40002 })], { ports: parsePorts('40002') }, 5);
    assert.deepEqual(
      attempts.map((a) => a.clientPort),
      [40002],
    );
    assert.equal(run([syn(0)], { ports: parsePorts(String(SERVER_PORT)) }, 5).attempts.length, 1);
    const three = [
      syn(0, { srcPort: 40001 }),
      syn(0.1, { srcPort: 40002 }),
      syn(0.2, { srcPort: 40005 }),
      syn(0.3, { srcPort: 40009 }),
    ];
    assert.deepEqual(
      run(three, { ports: parsePorts(['40001', '40004-40006,1']) }, 5).attempts.map((a) => a.clientPort),
      [40001, 40005],
    );
  });

  it('--host keeps only attempts with an address in one of its networks, ICMP matched on the quoted one', () => {
    assert.equal(
      run([syn(0), icmpFor(0.1, 3, 1, ROUTER4)], { hosts: parseHosts('10.0.0.9') }).attempts[0]?.verdict?.outcome,
      'rejected',
    );
    assert.equal(run([syn(0)], { hosts: parseHosts('10.0.0.1') }, 5).attempts.length, 0);
    assert.equal(run([syn(0)], { hosts: parseHosts('10.0.0.8/30') }, 5).attempts.length, 1); // .8-.11 holds .9
    // .0-.7 holds the client .5
    assert.equal(run([syn(0)], { hosts: parseHosts('10.0.0.0/29') }, 5).attempts.length, 1);
    assert.equal(run([syn(0)], { hosts: parseHosts('10.0.0.6/31') }, 5).attempts.length, 0); // .6-.7: neither
    assert.equal(run([syn(0)], { hosts: parseHosts(['192.0.2.1', '10.0.0.9']) }, 5).attempts.length, 1);
    assert.equal(
      run([syn(0)], { hosts: parseHosts('::/0') }, 5).attempts.length,
      0,
      'an IPv6 network never holds an IPv4 address',
    );
  });

  it('--since / --until select attempts by their start, every attempt still tracked', () => {
    const w = (since: string | undefined, until: string | undefined): TimeWindow =>
      new TimeWindow(parseTime('since', since), parseTime('until', until));
    // Three attempts starting at +0, +1 and +2 s; the second's retransmission at +2.5 s does not make it a new one.
    const pkts = [
      syn(0, { srcPort: 40001 }),
      syn(1, { srcPort: 40002 }),
      syn(2, { srcPort: 40003 }),
      syn(2.5, { srcPort: 40002 }),
    ];
    const ports = (since?: string, until?: string): number[] =>
      run(pkts, { window: w(since, until) }, 10).attempts.map((a) => a.clientPort);
    assert.deepEqual(ports('+1s'), [40002, 40003]);
    assert.deepEqual(ports(undefined, '+1s'), [40001], '--until is exclusive');
    assert.deepEqual(ports('+0.5', '+1500ms'), [40002]);
    const at = new Date((T0 + 1) * 1000).toISOString(); // the second attempt's start, exactly
    assert.deepEqual(ports(at, undefined), [40002, 40003]);
    const tod = at.slice(11, 19); // its time of day, on the capture's day
    assert.deepEqual(ports(tod, undefined), [40002, 40003]);
    assert.equal(
      run(pkts, { window: w('+1s', undefined) }, 10).attempts.find((a) => a.clientPort === 40002)?.synCount,
      2,
    );
  });

  it('live: dropped is reported --timeout after the latest SYN, and a late retransmission joins it', () => {
    // Reported, it stays a tombstone in the table, so a later retransmission joins it.
    const attempts: Snapshot[] = [];
    const tracker = new HandshakeTracker(['live'], { ...DEFAULT_TRACKER_OPTIONS, live: true, timeout: 3 }, (a) =>
      attempts.push(snap(a)),
    );
    const feed = feeder(tracker);
    feed(syn(0), 1);
    feed(syn(1), 2);
    tracker.tick(T0 + 3, 900_000_000);
    assert.equal(attempts.length, 0, 'not before 3 s after the latest SYN');
    tracker.tick(T0 + 4, 100_000_000);
    assert.equal(attempts.length, 1);
    assert.equal(attempts[0]?.verdict?.outcome, 'dropped');
    feed(syn(7), 3);
    tracker.finish();
    assert.equal(attempts.length, 1, 'the retransmission at 7 s started no new attempt');
    assert.equal(attempts[0]?.synCount, 2, 'reported with the SYNs seen until then');
    assert.equal(tracker.open, 0);
  });

  it("reuses a reported attempt's slot and record for the next attempt without carrying anything over", () => {
    const seen: SettledAttempt[] = [];
    const snaps: Snapshot[] = [];
    const rst = (t: number, port: number) => ({
      t,
      bytes: ipv4(
        6,
        tcp({ srcPort: SERVER_PORT, dstPort: port, flags: RST | ACK, seq: 0, ack: ISN + 1, options: Buffer.alloc(0) }),
        { src: SERVER4, dst: CLIENT4 },
      ),
    });
    const tracker = new HandshakeTracker(['t'], { ...DEFAULT_TRACKER_OPTIONS }, (a) => {
      seen.push(a);
      snaps.push(snap(a));
    });
    const feed = feeder(tracker);
    // A refused attempt (reported after its linger), then a v6 one that stays unanswered.
    const v6 = { t: 2, bytes: ipv6(6, tcp({ flags: SYN, srcPort: 40009 })) };
    [syn(0, { srcPort: 40001 }), rst(0.001, 40001), v6].forEach((p, i) => feed(p, i + 1));
    tracker.tick(T0 + 10, 0);
    tracker.finish();
    assert.equal(seen.length, 2);
    assert.equal(seen[0], seen[1], "the second attempt reused the first one's object");
    assert.deepEqual(
      snaps.map((a) => [a.clientPort, a.addrLen, a.verdict?.outcome, a.answerKind, a.frames]),
      [
        [40001, 4, 'refused', 2, [1, 2]],
        [40009, 16, 'dropped', 0, [3]],
      ],
    );
    assert.equal(snaps[1]?.answerFrom, null);
    assert.equal(snaps[1]?.synCount, 1);
  });

  it('a full table settles its oldest attempt early and counts it', () => {
    const pkts = [syn(0, { srcPort: 1001 }), syn(0.1, { srcPort: 1002 }), syn(0.2, { srcPort: 1003 })];
    const { attempts, tracker } = run(pkts, { maxAttempts: 2 }, 5);
    assert.equal(attempts.length, 3);
    assert.equal(tracker.evicted, 1);
    assert.equal(attempts[0]?.verdict?.outcome, 'dropped', 'evicted unanswered: reported as dropped');
  });

  it('a retransmission of an evicted attempt joins its tombstone, not a new attempt', () => {
    const pkts = [
      syn(0, { srcPort: 1001 }),
      syn(0.1, { srcPort: 1002 }),
      syn(0.2, { srcPort: 1003 }),
      syn(1, { srcPort: 1001 }),
    ];
    const { attempts } = run(pkts, { maxAttempts: 2 }, 10);
    assert.deepEqual(
      attempts.map((a) => a.clientPort),
      [1001, 1002, 1003],
    );
  });

  it('read: a client that backs off keeps its attempt open; an answer to its 5th SYN still decides', () => {
    const pkts = [syn(0), syn(1), syn(3), syn(7), syn(15), icmpFor(18, 3, 1, ROUTER4)];
    const a = only(pkts, {}, 30);
    assert.deepEqual(a.verdict, { outcome: 'rejected', errno: 'EHOSTUNREACH' });
    assert.equal(a.synCount, 5);
  });

  it('read: a lone SYN settles as dropped 5 s after its last packet, so later attempts are not held back', () => {
    const attempts: Snapshot[] = [];
    const tracker = new HandshakeTracker(['t'], { ...DEFAULT_TRACKER_OPTIONS }, (a) => attempts.push(snap(a)));
    feeder(tracker)(syn(0), 1);
    tracker.tick(T0 + 4, 900_000_000);
    assert.equal(attempts.length, 0);
    tracker.tick(T0 + 5, 0);
    assert.equal(attempts.length, 1);
    assert.equal(attempts[0]?.verdict?.outcome, 'dropped');
  });
});

describe('track/handshakes: what the capture cannot show', () => {
  const data = (t: number, seq: number, ack: number, len: number, server: boolean): Pkt =>
    server
      ? {
          t,
          bytes: ipv4(
            6,
            Buffer.concat([
              tcp({ srcPort: SERVER_PORT, dstPort: CLIENT_PORT, flags: ACK | PSH, seq, ack, options: Buffer.alloc(0) }),
              Buffer.alloc(len),
            ]),
            { src: SERVER4, dst: CLIENT4 },
          ),
        }
      : {
          t,
          bytes: ipv4(
            6,
            Buffer.concat([tcp({ flags: ACK | PSH, seq, ack, options: Buffer.alloc(0) }), Buffer.alloc(len)]),
          ),
        };

  it('a SYN/ACK stamped before its SYN (within 5 ms) joins it: frame listed in order, negative delay, counted', () => {
    const { attempts, tracker } = run([synAck(0.0007), syn(0.001), fromClient(0.0012, ACK)]);
    assert.equal(attempts.length, 1);
    const a = attempts[0]!;
    assert.equal(a.verdict?.outcome, 'established');
    assert.deepEqual(a.frames, [1, 2, 3]);
    assert.equal(a.answerKind, 1);
    assert.ok(a.answerSec * 1e9 + a.answerNsec < a.startSec * 1e9 + a.startNsec, 'the answer keeps its own stamp');
    assert.equal(tracker.anomalies.answer_before_syn, 1);
    assert.equal(tracker.coverage.answersWithoutSyn, 0);
  });

  it('a reset and an ICMP error before their SYN join it too; one older than 5 ms is an answer without its SYN', () => {
    const refused = only([fromServer(0, RST | ACK, ISN + 1, 0), syn(0.002)], {}, 10);
    assert.equal(refused.verdict?.outcome, 'refused');
    assert.deepEqual(refused.frames, [1, 2]);
    const rejected = only([icmpFor(0, 3, 13, ROUTER4), syn(0.003)], {}, 10);
    assert.deepEqual(rejected.verdict, { outcome: 'rejected', errno: 'EHOSTUNREACH' });
    assert.deepEqual(rejected.frames, [1, 2]);
    const { attempts, tracker } = run([synAck(0), syn(0.006)], {}, 10);
    assert.equal(attempts[0]?.verdict?.outcome, 'dropped');
    assert.deepEqual(attempts[0]?.frames, [2]);
    assert.equal(tracker.coverage.answersWithoutSyn, 1);
    assert.equal(tracker.anomalies.answer_before_syn, 0);
  });

  it('a clock stepped back does not end the capture early: dropped stays dropped, the step counted where it is', () => {
    // SYN at 100 s, then the clock steps back 50 s: its retransmissions stamped 51, 53, 57 s.
    const { attempts, tracker } = run([syn(100), syn(51), syn(53), syn(57)]);
    assert.equal(attempts.length, 1);
    assert.equal(attempts[0]?.verdict?.outcome, 'dropped');
    assert.equal(attempts[0]?.synCount, 4, 'the retransmission across the step is not a copy');
    assert.deepEqual(tracker.backwards[0], { count: 1, firstFrame: 2, maxSeconds: 49 });
    assert.equal(tracker.anomalies.timestamps_backwards, 1);
  });

  it('an older packet never settles an attempt early: it is taken at the time of the clock', () => {
    // Another SYN at 10 s, then A's SYN stamped 0.4 s earlier, its SYN/ACK 4.8 s after the clock's
    // 10 s (5.2 s after A's own stamp, past the 5 s of silence that would settle A from its stamp).
    const { attempts, tracker } = run(
      [syn(10, { seq: ISN + 1000, srcPort: CLIENT_PORT + 1 }), syn(9.6), synAck(14.8), fromClient(14.9, ACK)],
      {},
      30,
    );
    assert.equal(attempts.find((a) => a.clientPort === CLIENT_PORT)?.verdict?.outcome, 'established');
    assert.deepEqual(tracker.backwards[0], { count: 1, firstFrame: 2, maxSeconds: tracker.backwards[0]?.maxSeconds });
    assert.ok(Math.abs(tracker.backwards[0]!.maxSeconds - 0.4) < 1e-6);
  });

  it('capture loss: a client ACK of a SYN/ACK and of data never captured are gaps; answers with data are not', () => {
    const { tracker } = run([
      syn(0),
      fromClient(0.001, ACK), // SYN/ACK not captured: a gap
      data(0.002, ISN + 1, SERVER_ISN + 1, 10, false), // client data: acks nothing new
      fromClient(0.003, ACK, SERVER_ISN + 1 + 100), // ACK of 100 server bytes never captured: a gap
    ]);
    assert.equal(tracker.coverage.gaps, 2);
    assert.equal(tracker.coverage.acks, 3);
    assert.equal(tracker.coverage.serverToClient, 0);
    const clean = run([
      syn(0),
      synAck(0.001),
      fromClient(0.002, ACK),
      data(0.003, SERVER_ISN + 1, ISN + 1, 100, true),
      fromClient(0.004, ACK, SERVER_ISN + 101),
    ]).tracker;
    assert.equal(clean.coverage.gaps, 0);
    assert.equal(clean.coverage.acks, 4);
  });

  it('dropped with nothing from any server is client-only; after a gap in a two-sided capture, capture-loss', () => {
    const lone = only([syn(0), syn(1)], {}, 10);
    assert.equal(lone.doubt, 1);
    // A third SYN is the client's own word that no answer ended its connect(): no doubt left.
    const retried = only([syn(0), syn(1), syn(3)], {}, 10);
    assert.equal(retried.verdict?.outcome, 'dropped');
    assert.equal(retried.synCount, 3);
    assert.equal(retried.doubt, 0);
    const other = CLIENT_PORT + 1;
    const { attempts } = run(
      [
        syn(0),
        fromClient(0.001, ACK, SERVER_ISN + 1 + 50), // established; its ACK acknowledges unseen bytes
        syn(0.5, { seq: ISN + 7, srcPort: other }),
        fromServer(0.6, ACK, ISN + 1, SERVER_ISN + 1), // the first server's packet seen: both directions captured
      ],
      {},
      10,
    );
    assert.equal(attempts.find((a) => a.clientPort === other)?.verdict?.outcome, 'dropped');
    assert.equal(attempts.find((a) => a.clientPort === other)?.doubt, 2);
    assert.equal(
      attempts.find((a) => a.clientPort === CLIENT_PORT)?.doubt,
      0,
      'an established verdict is not in doubt',
    );
  });
});
