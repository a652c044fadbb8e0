// decode/packet.ts: whole frames of every link type through decodePacket into one view, plus a fast-check
// property: arbitrary or damaged bytes never throw, statuses stay in range, and OK offsets lie inside the frame.

import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
} from '../../src/capture/source.js';
import { decodePacket } from '../../src/decode/packet.js';
import {
  DECODE_BAD_HEADER,
  DECODE_FRAGMENT,
  DECODE_NOT_TCP,
  DECODE_OK,
  DECODE_TRUNCATED,
  DECODE_UNKNOWN_LINK,
  KIND_ICMP_ERROR,
  KIND_NONE,
  KIND_TCP,
  PacketView,
  TCP_FLAG_SYN,
} from '../../src/decode/view.js';
import {
  authHeader,
  CLIENT4,
  CLIENT6,
  CLIENT_PORT,
  destOptions,
  ETH_VLAN_IPV4_SYN,
  ETH_VLAN_IPV4_SYN_IP,
  ethernet,
  fragment,
  hopByHop,
  icmp4Error,
  icmp6AdminProhibited,
  icmp6Error,
  icmpHostUnreachable,
  icmpPortUnreachable,
  ipv4,
  ipv4Syn,
  ipv6,
  ipv6HopFragSyn,
  ipv6Syn,
  ISN,
  nullHeader,
  nullIpv4Syn,
  nullIpv6Syn,
  rawIpv4Syn,
  rawIpv6Syn,
  ROUTER4,
  ROUTER6,
  routing,
  SERVER4,
  SERVER6,
  SERVER_PORT,
  sll,
  sll2,
  sll2Ipv6Syn,
  sllIpv4Syn,
  tcp,
} from '../helpers/frames.js';

const view = new PacketView();

function decode(frame: Buffer, linkType: number, end = frame.length): number {
  return decodePacket(frame, 0, end, linkType, view);
}

const addr = (off: number): Buffer => view.buf.subarray(off, off + view.addrLen);

function assertSyn(client: Buffer, server: Buffer): void {
  assert.equal(view.kind, KIND_TCP);
  assert.deepEqual(addr(view.srcOff), client);
  assert.deepEqual(addr(view.dstOff), server);
  assert.equal(view.srcPort, CLIENT_PORT);
  assert.equal(view.dstPort, SERVER_PORT);
  assert.equal(view.seq, ISN);
  assert.equal(view.flags, TCP_FLAG_SYN);
  assert.equal(view.payloadLen, 0);
}

/** Every offset the view reports lies, with its length, inside [off, end) (the property's check). */
function assertOffsetsInside(off: number, end: number): void {
  const inside = (at: number, len: number, what: string): void =>
    assert.ok(at >= off && at + len <= end, `${what} [${at}, ${at + len}) outside [${off}, ${end})`);
  assert.ok(view.kind === KIND_TCP || view.kind === KIND_ICMP_ERROR, `kind ${view.kind}`);
  assert.equal(view.addrLen, view.ipVersion === 4 ? 4 : 16);
  inside(view.ipOff, 1, 'ipOff');
  inside(view.srcOff, view.addrLen, 'srcOff');
  inside(view.dstOff, view.addrLen, 'dstOff');
  if (view.kind === KIND_ICMP_ERROR) {
    inside(view.qSrcOff, view.addrLen, 'qSrcOff');
    inside(view.qDstOff, view.addrLen, 'qDstOff');
  }
}

describe('decode/packet', () => {
  describe('every link type', () => {
    it('Ethernet + 802.1Q + IPv4 + TCP SYN', () => {
      assert.equal(decode(ETH_VLAN_IPV4_SYN, LINKTYPE_ETHERNET), DECODE_OK);
      assert.equal(view.ipOff, ETH_VLAN_IPV4_SYN_IP);
      assert.equal(view.ttl, 64);
      assertSyn(CLIENT4, SERVER4);
    });

    it('Linux cooked SLL (IPv4) and SLL2 (IPv6)', () => {
      assert.equal(decode(sllIpv4Syn(), LINKTYPE_LINUX_SLL), DECODE_OK);
      assertSyn(CLIENT4, SERVER4);
      assert.equal(decode(sll2Ipv6Syn(), LINKTYPE_LINUX_SLL2), DECODE_OK);
      assertSyn(CLIENT6, SERVER6);
    });

    it('raw IP: 101, 228 and 229', () => {
      for (const linkType of [LINKTYPE_RAW, LINKTYPE_IPV4]) {
        assert.equal(decode(rawIpv4Syn(), linkType), DECODE_OK);
        assertSyn(CLIENT4, SERVER4);
      }
      for (const linkType of [LINKTYPE_RAW, LINKTYPE_IPV6]) {
        assert.equal(decode(rawIpv6Syn(), linkType), DECODE_OK);
        assertSyn(CLIENT6, SERVER6);
      }
    });

    it('BSD NULL (either byte order) and LOOP', () => {
      assert.equal(decode(nullIpv4Syn('le'), LINKTYPE_NULL), DECODE_OK);
      assertSyn(CLIENT4, SERVER4);
      assert.equal(decode(nullIpv6Syn(30, 'le'), LINKTYPE_NULL), DECODE_OK);
      assertSyn(CLIENT6, SERVER6);
      assert.equal(decode(nullIpv6Syn(24, 'be'), LINKTYPE_LOOP), DECODE_OK);
      assertSyn(CLIENT6, SERVER6);
    });

    it('IPv6 with hop-by-hop + atomic fragment headers; a real fragment goes to reassembly', () => {
      assert.equal(decode(ethernet(0x86dd, ipv6HopFragSyn()), LINKTYPE_ETHERNET), DECODE_OK);
      assertSyn(CLIENT6, SERVER6);
      assert.equal(decode(ethernet(0x86dd, ipv6HopFragSyn(1, false)), LINKTYPE_ETHERNET), DECODE_FRAGMENT);
    });
  });

  describe('ICMP errors', () => {
    it('ICMPv4 port unreachable on Ethernet', () => {
      assert.equal(decode(ethernet(0x0800, icmpPortUnreachable()), LINKTYPE_ETHERNET), DECODE_OK);
      assert.equal(view.kind, KIND_ICMP_ERROR);
      assert.deepEqual([view.icmpType, view.icmpCode], [3, 3]);
      assert.deepEqual(addr(view.srcOff), SERVER4);
      assert.deepEqual(addr(view.qSrcOff), CLIENT4);
      assert.deepEqual(addr(view.qDstOff), SERVER4);
      assert.deepEqual([view.qSrcPort, view.qDstPort, view.qSeq], [CLIENT_PORT, SERVER_PORT, ISN]);
    });

    it('ICMPv6 administratively prohibited on SLL2', () => {
      assert.equal(decode(sll2(0x86dd, icmp6AdminProhibited()), LINKTYPE_LINUX_SLL2), DECODE_OK);
      assert.deepEqual([view.kind, view.icmpType, view.icmpCode], [KIND_ICMP_ERROR, 1, 1]);
      assert.deepEqual(addr(view.srcOff), ROUTER6);
      assert.deepEqual(addr(view.qDstOff), SERVER6);
    });

    it('does not read bytes past the IP total length (link padding) as quoted bytes', () => {
      // The IP total length ends the quote one byte short of RFC 792's minimum (IP header + 8 bytes of TCP);
      // the bytes after it look like the rest of the SYN but are not part of the datagram.
      const packet = ipv4(1, icmp4Error(3, 1, ROUTER4).subarray(20), {
        src: ROUTER4,
        dst: CLIENT4,
        totalLength: 20 + 8 + 27,
      });
      assert.equal(decode(ethernet(0x0800, packet), LINKTYPE_ETHERNET), DECODE_TRUNCATED);
      const whole = ipv4(1, icmp4Error(3, 1, ROUTER4).subarray(20), {
        src: ROUTER4,
        dst: CLIENT4,
        totalLength: 20 + 8 + 28,
      });
      assert.equal(decode(ethernet(0x0800, whole), LINKTYPE_ETHERNET), DECODE_OK);
    });
  });

  describe('lengths', () => {
    it('Ethernet padding is not TCP payload', () => {
      const packet = ipv4(6, tcp({ options: Buffer.alloc(0), flags: 0x14, seq: 0, ack: ISN + 1 }));
      const frame = Buffer.concat([ethernet(0x0800, packet), Buffer.alloc(6)]);
      assert.equal(frame.length, 60);
      assert.equal(decode(frame, LINKTYPE_ETHERNET), DECODE_OK);
      assert.equal(view.payloadLen, 0);
      assert.equal(view.ack, ISN + 1);
    });

    it('a 68-byte snaplen still yields a SYN with 20 bytes of options (payloadLen from the IP length)', () => {
      const frame = ethernet(0x0800, ipv4(6, tcp({ payload: Buffer.alloc(500) })));
      assert.equal(decode(frame, LINKTYPE_ETHERNET, 68), DECODE_OK);
      assert.equal(view.payloadLen, 500);
    });

    it('a frame cut before 20 bytes of TCP is truncated', () => {
      assert.equal(decode(ETH_VLAN_IPV4_SYN, LINKTYPE_ETHERNET, ETH_VLAN_IPV4_SYN_IP + 20 + 19), DECODE_TRUNCATED);
      assert.equal(view.kind, KIND_NONE);
    });

    it('decodes a frame in the middle of a larger buffer, and bounds `end` by the buffer', () => {
      const frame = ethernet(0x86dd, ipv6Syn());
      const buf = Buffer.concat([Buffer.alloc(33, 0xff), frame, Buffer.alloc(40, 0xff)]);
      assert.equal(decodePacket(buf, 33, 33 + frame.length, LINKTYPE_ETHERNET, view), DECODE_OK);
      assert.equal(view.ipOff, 33 + 14);
      assertSyn(CLIENT6, SERVER6);
      const alone = Buffer.concat([Buffer.alloc(33, 0xff), frame.subarray(0, 60)]);
      assert.equal(decodePacket(alone, 33, 33 + frame.length, LINKTYPE_ETHERNET, view), DECODE_TRUNCATED);
    });
  });

  describe('statuses', () => {
    it('UDP, ARP and ICMP echo are not TCP; unknown link types are unknown; a wrong IP version is bad', () => {
      assert.equal(decode(ethernet(0x0800, ipv4(17, Buffer.alloc(8))), LINKTYPE_ETHERNET), DECODE_NOT_TCP);
      assert.equal(decode(ethernet(0x0806, Buffer.alloc(28)), LINKTYPE_ETHERNET), DECODE_NOT_TCP);
      assert.equal(decode(ethernet(0x0800, icmp4Error(8, 0, CLIENT4)), LINKTYPE_ETHERNET), DECODE_NOT_TCP);
      assert.equal(decode(ETH_VLAN_IPV4_SYN, 147), DECODE_UNKNOWN_LINK);
      assert.equal(decode(ethernet(0x0800, ipv4Syn({ ihl: 3 })), LINKTYPE_ETHERNET), DECODE_BAD_HEADER);
    });
  });

  describe('property: never throws, statuses in range, OK offsets inside the frame', () => {
    const LINK_TYPES = [
      LINKTYPE_NULL,
      LINKTYPE_ETHERNET,
      LINKTYPE_RAW,
      LINKTYPE_LOOP,
      LINKTYPE_LINUX_SLL,
      LINKTYPE_IPV4,
      LINKTYPE_IPV6,
      LINKTYPE_LINUX_SLL2,
      147,
    ];

    /** Decodes frame[0, cut) placed at `pad` inside a buffer of 0xff junk, and checks the property. */
    function check(frame: Uint8Array, linkType: number, pad: number, cut: number): number {
      const buf = Buffer.alloc(pad + frame.length + 64, 0xff);
      buf.set(frame, pad);
      const off = pad;
      const end = pad + Math.min(cut, frame.length);
      const status = decodePacket(buf, off, end, linkType, view);
      assert.ok(Number.isInteger(status) && status >= DECODE_FRAGMENT && status <= DECODE_OK, `status ${status}`);
      if (status === DECODE_OK) assertOffsetsInside(off, end);
      else assert.equal(linkType === 147, status === DECODE_UNKNOWN_LINK);
      return status;
    }

    it('arbitrary bytes for every link type', () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 160 }),
          fc.constantFrom(...LINK_TYPES),
          fc.nat(40),
          fc.nat(200),
          (bytes, linkType, pad, cut) => {
            check(bytes, linkType, pad, cut);
          },
        ),
        { numRuns: 3000 },
      );
    });

    // Well-formed frames, then cut and damaged, so the deep paths (extension headers, quotes) are reached.
    const ipv4Packet = fc.oneof(
      fc.constant(ipv4Syn()),
      fc.constant(icmpPortUnreachable()),
      fc.constant(icmpHostUnreachable()),
      fc.constant(ipv4(6, tcp({ payload: Buffer.alloc(30) }), { options: Buffer.from([1, 1, 1, 0]) })),
    );
    const ipv6Packet = fc.oneof(
      fc.constant(ipv6Syn()),
      fc.constant(ipv6HopFragSyn()),
      fc.constant(ipv6(0, Buffer.concat([hopByHop(43), routing(60), destOptions(51), authHeader(6), tcp()]))),
      fc.constant(icmp6AdminProhibited()),
      fc.constant(icmp6Error(1, 4, SERVER6, ipv6(0, Buffer.concat([hopByHop(44), fragment(6, 0, true), tcp()])))),
    );
    const framed = fc.oneof(
      ipv4Packet.map((p) => [ethernet(0x0800, p, [[0x8100, 7]]), LINKTYPE_ETHERNET] as const),
      ipv6Packet.map(
        (p) =>
          [
            ethernet(0x86dd, p, [
              [0x88a8, 1],
              [0x8100, 2],
            ]),
            LINKTYPE_ETHERNET,
          ] as const,
      ),
      ipv4Packet.map((p) => [sll(0x0800, p), LINKTYPE_LINUX_SLL] as const),
      ipv6Packet.map((p) => [sll2(0x86dd, p), LINKTYPE_LINUX_SLL2] as const),
      fc.oneof(ipv4Packet, ipv6Packet).map((p) => [p, LINKTYPE_RAW] as const),
      ipv4Packet.map((p) => [p, LINKTYPE_IPV4] as const),
      ipv6Packet.map((p) => [p, LINKTYPE_IPV6] as const),
      ipv4Packet.map((p) => [nullHeader(2, 'le', p), LINKTYPE_NULL] as const),
      ipv6Packet.map((p) => [nullHeader(28, 'be', p), LINKTYPE_LOOP] as const),
    );

    it('well-formed frames of every link type decode OK', () => {
      fc.assert(
        fc.property(framed, fc.nat(40), ([frame, linkType], pad) => {
          assert.equal(check(frame, linkType, pad, frame.length), DECODE_OK);
        }),
      );
    });

    it('well-formed frames cut anywhere and with bytes overwritten', () => {
      fc.assert(
        fc.property(
          framed,
          fc.array(fc.tuple(fc.nat(200), fc.nat(255)), { maxLength: 6 }),
          fc.nat(40),
          fc.nat(220),
          ([frame, linkType], damage, pad, cut) => {
            const copy = Buffer.from(frame);
            for (const [at, value] of damage) copy[at % copy.length] = value;
            check(copy, linkType, pad, cut);
          },
        ),
        { numRuns: 5000 },
      );
    });
  });
});
