// The reuse test (STYLE 20): packets decoded one after another through ONE PacketView leave nothing behind —
// every field after packet B equals what a fresh view holds after B alone, whatever A was.

import { strict as assert } from 'node:assert';
import { LINKTYPE_ETHERNET, LINKTYPE_RAW } from '../../src/capture/source.js';
import { decodePacket } from '../../src/decode/packet.js';
import { DECODE_NOT_TCP, DECODE_OK, DECODE_TRUNCATED, KIND_ICMP_ERROR, KIND_NONE, KIND_TCP, PacketView } from '../../src/decode/view.js';
import {
  ethernet,
  icmp6AdminProhibited,
  icmpPortUnreachable,
  ipv4,
  ipv4Syn,
  ipv6HopFragSyn,
  tcp,
} from '../helpers/frames.js';

interface Sample {
  name: string;
  frame: Buffer;
  linkType: number;
  status: number;
}

const SAMPLES: readonly Sample[] = [
  { name: 'ICMPv4 port unreachable', frame: ethernet(0x0800, icmpPortUnreachable()), linkType: LINKTYPE_ETHERNET, status: DECODE_OK },
  { name: 'ICMPv6 admin prohibited', frame: icmp6AdminProhibited(), linkType: LINKTYPE_RAW, status: DECODE_OK },
  {
    name: 'IPv4 TCP data',
    frame: ethernet(0x0800, ipv4(6, tcp({ flags: 0x18, seq: 7, ack: 9, payload: Buffer.alloc(10), options: Buffer.alloc(0) }), { ttl: 5 })),
    linkType: LINKTYPE_ETHERNET,
    status: DECODE_OK,
  },
  { name: 'IPv6 SYN behind extension headers', frame: ipv6HopFragSyn(), linkType: LINKTYPE_RAW, status: DECODE_OK },
  { name: 'UDP', frame: ipv4(17, Buffer.alloc(8)), linkType: LINKTYPE_RAW, status: DECODE_NOT_TCP },
  { name: 'cut SYN', frame: ipv4Syn().subarray(0, 30), linkType: LINKTYPE_RAW, status: DECODE_TRUNCATED },
];

/** Every field of the view, buf aside (it is the frame just decoded). */
function fields(view: PacketView): Array<[string, unknown]> {
  return Object.entries(view).filter(([key]) => key !== 'buf');
}

describe('decode: one PacketView reused', () => {
  for (const a of SAMPLES) {
    for (const b of SAMPLES) {
      if (a === b) continue;
      it(`${a.name} then ${b.name}: nothing of the first survives`, () => {
        const reused = new PacketView();
        assert.equal(decodePacket(a.frame, 0, a.frame.length, a.linkType, reused), a.status);
        assert.equal(decodePacket(b.frame, 0, b.frame.length, b.linkType, reused), b.status);

        const fresh = new PacketView();
        decodePacket(b.frame, 0, b.frame.length, b.linkType, fresh);
        assert.deepEqual(fields(reused), fields(fresh));
        assert.equal(reused.buf, b.frame);
      });
    }
  }

  it('ICMP error then plain TCP: the quoted fields are cleared (spelled out)', () => {
    const view = new PacketView();
    const a = SAMPLES[0].frame;
    const b = SAMPLES[2].frame;
    decodePacket(a, 0, a.length, LINKTYPE_ETHERNET, view);
    assert.equal(view.kind, KIND_ICMP_ERROR);
    assert.notEqual(view.qSeq, 0);
    decodePacket(b, 0, b.length, LINKTYPE_ETHERNET, view);
    assert.equal(view.kind, KIND_TCP);
    assert.deepEqual(
      [view.icmpType, view.icmpCode, view.qSrcOff, view.qDstOff, view.qSrcPort, view.qDstPort, view.qSeq],
      [0, 0, 0, 0, 0, 0, 0],
    );
    assert.deepEqual([view.seq, view.ack, view.flags, view.payloadLen, view.ttl], [7, 9, 0x18, 10, 5]);
  });

  it('plain TCP then ICMP error: the TCP fields are cleared (spelled out)', () => {
    const view = new PacketView();
    const a = SAMPLES[2].frame;
    const b = SAMPLES[0].frame;
    decodePacket(a, 0, a.length, LINKTYPE_ETHERNET, view);
    decodePacket(b, 0, b.length, LINKTYPE_ETHERNET, view);
    assert.equal(view.kind, KIND_ICMP_ERROR);
    assert.deepEqual([view.srcPort, view.dstPort, view.seq, view.ack, view.flags, view.payloadLen], [0, 0, 0, 0, 0, 0]);
  });

  it('a decoded packet then one that fails leaves kind NONE', () => {
    const view = new PacketView();
    const a = SAMPLES[2].frame;
    decodePacket(a, 0, a.length, LINKTYPE_ETHERNET, view);
    const cut = SAMPLES[5].frame;
    assert.equal(decodePacket(cut, 0, cut.length, LINKTYPE_RAW, view), DECODE_TRUNCATED);
    assert.equal(view.kind, KIND_NONE);
    assert.equal(view.seq, 0);
  });
});
