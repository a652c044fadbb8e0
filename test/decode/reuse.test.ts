// The reuse test (STYLE 20): packets decoded one after another through ONE PacketView leave nothing behind —
// every field after packet B equals what a fresh view holds after B alone, whatever A was.

import { strict as assert } from 'node:assert';
import { LINKTYPE_ETHERNET, LINKTYPE_RAW } from '../../src/capture/source.js';
import { decodePacket } from '../../src/decode/packet.js';
import {
  DECODE_FRAGMENT,
  DECODE_NOT_TCP,
  DECODE_OK,
  DECODE_TRUNCATED,
  KIND_ICMP_ERROR,
  KIND_NONE,
  KIND_TCP,
  PacketView,
} from '../../src/decode/view.js';
import {
  ethernet,
  gre,
  icmp6AdminProhibited,
  icmpPortUnreachable,
  ipv4,
  ipv4Syn,
  ipv6,
  ipv6HopFragSyn,
  ipv6Syn,
  mplsLabel,
  pppoe,
  tcp,
  udp,
  VTEP4_A,
  VTEP4_B,
  VTEP6_A,
  VTEP6_B,
  vxlan,
} from '../helpers/frames.js';

interface Sample {
  name: string;
  frame: Buffer;
  linkType: number;
  status: number;
}

const SAMPLES: readonly Sample[] = [
  {
    name: 'ICMPv4 port unreachable',
    frame: ethernet(0x0800, icmpPortUnreachable()),
    linkType: LINKTYPE_ETHERNET,
    status: DECODE_OK,
  },
  { name: 'ICMPv6 admin prohibited', frame: icmp6AdminProhibited(), linkType: LINKTYPE_RAW, status: DECODE_OK },
  {
    name: 'IPv4 TCP data',
    frame: ethernet(
      0x0800,
      ipv4(6, tcp({ flags: 0x18, seq: 7, ack: 9, payload: Buffer.alloc(10), options: Buffer.alloc(0) }), { ttl: 5 }),
    ),
    linkType: LINKTYPE_ETHERNET,
    status: DECODE_OK,
  },
  { name: 'IPv6 SYN behind extension headers', frame: ipv6HopFragSyn(), linkType: LINKTYPE_RAW, status: DECODE_OK },
  { name: 'UDP', frame: ipv4(17, Buffer.alloc(8)), linkType: LINKTYPE_RAW, status: DECODE_NOT_TCP },
  { name: 'cut SYN', frame: ipv4Syn().subarray(0, 30), linkType: LINKTYPE_RAW, status: DECODE_TRUNCATED },
  {
    name: 'VXLAN-carried SYN',
    frame: ethernet(
      0x0800,
      ipv4(17, udp(4789, vxlan(42, ethernet(0x86dd, ipv6Syn()))), { src: VTEP4_A, dst: VTEP4_B }),
    ),
    linkType: LINKTYPE_ETHERNET,
    status: DECODE_OK,
  },
  {
    name: 'GRE-carried ICMP error (keyed, over IPv6)',
    frame: ipv6(47, gre(0x0800, icmpPortUnreachable(), { key: 9, seq: 1 }), { src: VTEP6_A, dst: VTEP6_B }),
    linkType: LINKTYPE_RAW,
    status: DECODE_OK,
  },
  {
    name: 'MPLS-carried SYN',
    frame: ethernet(0x8847, Buffer.concat([mplsLabel(100, true), ipv4Syn()])),
    linkType: LINKTYPE_ETHERNET,
    status: DECODE_OK,
  },
  {
    name: 'PPPoE LCP',
    frame: ethernet(0x8864, pppoe(7, 0xc021, Buffer.alloc(8))),
    linkType: LINKTYPE_ETHERNET,
    status: DECODE_NOT_TCP,
  },
  {
    name: 'IPv4 fragment',
    frame: ipv4(6, tcp().subarray(0, 8), { id: 77, moreFragments: true, dontFragment: false }),
    linkType: LINKTYPE_RAW,
    status: DECODE_FRAGMENT,
  },
  { name: 'IPv6 fragment', frame: ipv6HopFragSyn(3, true), linkType: LINKTYPE_RAW, status: DECODE_FRAGMENT },
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

  it('a tunnelled fragment then bare TCP: the tunnel and fragment fields are cleared (spelled out)', () => {
    const view = new PacketView();
    const a = ethernet(
      0x0800,
      ipv4(
        17,
        udp(
          4789,
          vxlan(
            9,
            ethernet(
              0x0800,
              ipv4(6, tcp().subarray(0, 8), {
                id: 5,
                moreFragments: true,
                dontFragment: false,
              }),
            ),
          ),
        ),
        { src: VTEP4_A, dst: VTEP4_B },
      ),
    );
    assert.equal(decodePacket(a, 0, a.length, LINKTYPE_ETHERNET, view), DECODE_FRAGMENT);
    assert.deepEqual([view.tunnelId, view.outerAddrLen, view.fragId, view.fragMore], [9, 4, 5, 1]);
    const b = SAMPLES[2].frame;
    assert.equal(decodePacket(b, 0, b.length, LINKTYPE_ETHERNET, view), DECODE_OK);
    assert.deepEqual(
      [
        view.tunnelKind,
        view.tunnelId,
        view.tunnelKey,
        view.outerAddrLen,
        view.outerSrcOff,
        view.outerDstOff,
        view.tunnelDepth,
      ],
      [0, -1, 0, 0, 0, 0, 0],
    );
    assert.deepEqual(
      [view.fragId, view.fragOffset, view.fragMore, view.fragProto, view.fragDataOff, view.fragDataEnd],
      [0, 0, 0, 0, 0, 0],
    );
  });
});
