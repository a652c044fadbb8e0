// src/feed.ts: frames → decode → (reassembly) → tracker, for what crosses those seams: the tunnel an attempt was
// carried in is part of its identity, an ICMP error inside the tunnel answers the tunnelled SYN, and a
// reassembled packet's frames are its fragments'.

import { strict as assert } from 'node:assert';
import { Frame, LINKTYPE_RAW } from '../src/capture/source.js';
import { PacketFeed } from '../src/feed.js';
import type { CaptureJson } from '../src/report/reporter.js';
import { TUNNEL_VXLAN, type SettledAttempt } from '../src/track/attempt.js';
import { DEFAULT_TRACKER_OPTIONS, HandshakeTracker } from '../src/track/handshakes.js';
import { T0 } from './helpers/feed.js';
import {
  CLIENT4,
  CLIENT_PORT,
  ethernet,
  icmp4,
  ipv4,
  ISN,
  SERVER4,
  SERVER_PORT,
  tcp,
  udp,
  VTEP4_A,
  VTEP4_B,
  vxlan,
} from './helpers/frames.js';

interface Seen {
  outcome: string;
  tunnelId: number;
  frames: number[];
  packets: number[];
}

function run(
  packets: ReadonlyArray<readonly [number, Buffer]>,
  keepPackets = false,
): { seen: Seen[]; anomalies: Record<string, number>; cap: CaptureJson } {
  const seen: Seen[] = [];
  const tracker = new HandshakeTracker(['t.pcap'], { ...DEFAULT_TRACKER_OPTIONS, keepPackets }, (a: SettledAttempt) =>
    seen.push({
      outcome: a.verdict!.outcome,
      tunnelId: a.tunnelKey !== 0 && a.carrier?.kind === TUNNEL_VXLAN ? a.carrier.id : -1,
      frames: a.frameList(),
      packets: (a.packets ?? []).map((p) => p.number),
    }),
  );
  const feed = new PacketFeed(tracker);
  const frame = new Frame();
  frame.linkType = LINKTYPE_RAW;
  packets.forEach(([t, bytes], i) => {
    frame.number = i + 1;
    frame.tsSec = T0 + Math.floor(t);
    frame.tsNsec = Math.round((t % 1) * 1e9);
    frame.data = bytes;
    frame.offset = 0;
    frame.caplen = bytes.length;
    frame.origLen = bytes.length;
    feed.onFrame(frame);
  });
  tracker.finish();
  const anomalies: Record<string, number> = {};
  feed.addAnomalies(anomalies);
  const cap = { otherPackets: 0 } as CaptureJson;
  feed.describe(cap);
  return { seen, anomalies, cap };
}

const SYN = 0x02;
const SYNACK = 0x12;
const RSTACK = 0x14;
const ACK = 0x10;
const toServer = (flags: number, seq = ISN, ack = 0): Buffer => ipv4(6, tcp({ flags, seq, ack }));
const toClient = (flags: number, ack = ISN + 1): Buffer =>
  ipv4(6, tcp({ srcPort: SERVER_PORT, dstPort: CLIENT_PORT, flags, seq: 77, ack }), { src: SERVER4, dst: CLIENT4 });
/** The packet inside VXLAN `vni`, between the VTEPs in the packet's own direction. */
const inVni = (vni: number, inner: Buffer, back = false): Buffer =>
  ipv4(
    17,
    udp(4789, vxlan(vni, ethernet(0x0800, inner))),
    back ? { src: VTEP4_B, dst: VTEP4_A } : { src: VTEP4_A, dst: VTEP4_B },
  );

describe('feed: tunnels and fragments between decode and track', () => {
  it('the same 4-tuple in two VNIs is two attempts, each answered in its own VNI', () => {
    const { seen } = run([
      [0, inVni(42, toServer(SYN))],
      [0.001, inVni(43, toServer(SYN, ISN + 1000))],
      [0.002, inVni(43, toClient(RSTACK, ISN + 1001), true)],
      [0.003, inVni(42, toClient(SYNACK), true)],
      [0.004, inVni(42, toServer(ACK, ISN + 1, 78))],
    ]);
    assert.deepEqual(
      seen.map((s) => [s.tunnelId, s.outcome, s.frames]),
      [
        [42, 'established', [1, 4, 5]],
        [43, 'refused', [2, 3]],
      ],
    );
  });

  it('bare and tunnelled copies of one 4-tuple stay apart; an ICMP error in the tunnel rejects its SYN', () => {
    const quote = ipv4(6, tcp().subarray(0, 8), { totalLength: 60 });
    const { seen } = run([
      [0, toServer(SYN)],
      [0.001, inVni(42, toServer(SYN))],
      [0.002, inVni(42, ipv4(1, icmp4(3, 10, quote), { src: SERVER4, dst: CLIENT4 }), true)],
      [9, toServer(ACK)],
    ]);
    assert.deepEqual(
      seen.map((s) => [s.tunnelId, s.outcome, s.frames]),
      [
        [-1, 'dropped', [1]],
        [42, 'rejected', [2, 3]],
      ],
    );
  });

  it('a SYN in two fragments (the first ends inside the TCP header) lists both frames; its evidence too', () => {
    const seg = tcp({ flags: SYN });
    const frag = (from: number, to: number, more: boolean): Buffer =>
      ipv4(6, seg.subarray(from, to), { id: 9, dontFragment: false, moreFragments: more, fragmentOffset: from / 8 });
    const { seen, anomalies, cap } = run(
      [
        [0, frag(0, 8, true)],
        [0.0001, frag(8, seg.length, false)],
        [0.001, toClient(RSTACK)],
      ],
      true,
    );
    assert.deepEqual(
      seen.map((s) => [s.outcome, s.frames, s.packets]),
      [['refused', [1, 2, 3], [1, 2, 3]]],
    );
    assert.deepEqual(anomalies, {});
    assert.equal(cap.otherPackets, 0, 'a fragment that became part of a packet is not "other"');
  });

  it('fragments that never complete are counted, not guessed', () => {
    const seg = tcp({ flags: SYN });
    const { seen, anomalies } = run([
      [0, ipv4(6, seg.subarray(0, 8), { id: 1, dontFragment: false, moreFragments: true })],
    ]);
    assert.deepEqual(seen, []);
    assert.deepEqual(anomalies, { fragments_incomplete: 1 });
  });
});
