// The tunnel decoders through decodePacket: decode/udp.ts (port table), vxlan.ts, geneve.ts, gre.ts (with ERSPAN),
// ipip.ts, mpls.ts, pppoe.ts, the nesting bound in packet.ts, and a property that random bytes in any tunnel
// header never throw. Frames are annotated hex (test/helpers/frames.ts); tunnel-captures.test.ts checks crafted
// captures of the same kinds against tshark's dissection.

import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { LINKTYPE_ETHERNET, LINKTYPE_RAW } from '../../src/capture/source.js';
import { decodePacket, MAX_TUNNEL_DEPTH } from '../../src/decode/packet.js';
import { addVxlanPorts, vxlanPorts } from '../../src/decode/udp.js';
import {
  DECODE_BAD_HEADER,
  DECODE_FRAGMENT,
  DECODE_NOT_TCP,
  DECODE_OK,
  DECODE_TRUNCATED,
  DECODE_UNKNOWN_LINK,
  KIND_ICMP_ERROR,
  KIND_TCP,
  PacketView,
  TUNNEL_ERSPAN,
  TUNNEL_GENEVE,
  TUNNEL_GRE,
  TUNNEL_IPIP,
  TUNNEL_MPLS,
  TUNNEL_NONE,
  TUNNEL_PPPOE,
  TUNNEL_VXLAN,
} from '../../src/decode/view.js';
import {
  CLIENT4,
  CLIENT6,
  ethernet,
  erspan2,
  erspan3,
  geneve,
  gre,
  icmpPortUnreachable,
  ipv4,
  ipv4Syn,
  ipv6,
  ipv6Syn,
  mplsLabel,
  pppoe,
  SERVER4,
  SERVER6,
  udp,
  VTEP4_A,
  VTEP4_B,
  VTEP6_A,
  VTEP6_B,
  vxlan,
} from '../helpers/frames.js';

const view = new PacketView();

function decode(frame: Buffer, linkType = LINKTYPE_ETHERNET): number {
  return decodePacket(frame, 0, frame.length, linkType, view);
}

const bytesAt = (off: number, len: number): Buffer => view.buf.subarray(off, off + len);

/** The inner packet is the client's SYN (CLIENT → SERVER) and the view says how it was carried. */
function assertCarried(kind: number, id: number, outerSrc: Buffer | null, outerDst: Buffer | null, v6 = false): void {
  assert.equal(view.kind, KIND_TCP);
  assert.equal(view.flags, 0x02);
  assert.deepEqual(bytesAt(view.srcOff, view.addrLen), v6 ? CLIENT6 : CLIENT4);
  assert.deepEqual(bytesAt(view.dstOff, view.addrLen), v6 ? SERVER6 : SERVER4);
  assert.equal(view.tunnelKind, kind);
  assert.equal(view.tunnelId, id);
  if (outerSrc === null || outerDst === null) {
    assert.equal(view.outerAddrLen, 0);
  } else {
    assert.equal(view.outerAddrLen, outerSrc.length);
    assert.deepEqual(bytesAt(view.outerSrcOff, view.outerAddrLen), outerSrc);
    assert.deepEqual(bytesAt(view.outerDstOff, view.outerAddrLen), outerDst);
  }
}

/** Outer Ethernet + IPv4 between the two VTEPs, carrying `protocol`. */
const under4 = (protocol: number, payload: Buffer): Buffer =>
  ethernet(0x0800, ipv4(protocol, payload, { src: VTEP4_A, dst: VTEP4_B }));
const under6 = (next: number, payload: Buffer): Buffer =>
  ethernet(0x86dd, ipv6(next, payload, { src: VTEP6_A, dst: VTEP6_B }));

describe('decode: tunnels', () => {
  describe('decode/udp + decode/vxlan', () => {
    it('opens VXLAN on UDP 4789 and 8472: the VNI, the outer endpoints, the inner SYN', () => {
      for (const port of [4789, 8472]) {
        assert.equal(decode(under4(17, udp(port, vxlan(42, ethernet(0x0800, ipv4Syn()))))), DECODE_OK);
        assertCarried(TUNNEL_VXLAN, 42, VTEP4_A, VTEP4_B);
        assert.equal(view.tunnelKey, TUNNEL_VXLAN * 2 ** 32 + 42);
      }
    });

    it('over IPv6, and a 24-bit VNI', () => {
      assert.equal(decode(under6(17, udp(4789, vxlan(0xabcdef, ethernet(0x86dd, ipv6Syn()))))), DECODE_OK);
      assertCarried(TUNNEL_VXLAN, 0xabcdef, VTEP6_A, VTEP6_B, true);
    });

    it('refuses a header without the I flag, and says when it is cut', () => {
      assert.equal(decode(under4(17, udp(4789, vxlan(42, ethernet(0x0800, ipv4Syn()), 0x00)))), DECODE_NOT_TCP);
      const frame = under4(17, udp(4789, vxlan(42, ethernet(0x0800, ipv4Syn()))));
      assert.equal(decodePacket(frame, 0, 14 + 20 + 8 + 7, LINKTYPE_ETHERNET, view), DECODE_TRUNCATED);
    });

    it('other UDP is not a tunnel; --vxlan-port adds a port', () => {
      const frame = under4(17, udp(9999, vxlan(7, ethernet(0x0800, ipv4Syn()))));
      assert.equal(decode(frame), DECODE_NOT_TCP);
      assert.equal(view.tunnelKind, TUNNEL_NONE);
      addVxlanPorts([9999]);
      assert.deepEqual(vxlanPorts(), [4789, 8472, 9999]);
      assert.equal(decode(frame), DECODE_OK);
      assertCarried(TUNNEL_VXLAN, 7, VTEP4_A, VTEP4_B);
    });

    it('an ICMP error inside the tunnel keeps the tunnel: it is matched in the same VNI', () => {
      assert.equal(decode(under4(17, udp(4789, vxlan(42, ethernet(0x0800, icmpPortUnreachable()))))), DECODE_OK);
      assert.equal(view.kind, KIND_ICMP_ERROR);
      assert.equal(view.tunnelKey, TUNNEL_VXLAN * 2 ** 32 + 42);
    });
  });

  describe('decode/geneve', () => {
    it('skips the options by their length; an Ethernet frame (0x6558) or IP directly', () => {
      const options = Buffer.from('0101010200000000', 'hex'); // one option: class 0x0101, type 1, length 2 words
      assert.equal(decode(under4(17, udp(6081, geneve(77, 0x6558, ethernet(0x86dd, ipv6Syn()), options)))), DECODE_OK);
      assertCarried(TUNNEL_GENEVE, 77, VTEP4_A, VTEP4_B, true);
      assert.equal(decode(under4(17, udp(6081, geneve(78, 0x0800, ipv4Syn())))), DECODE_OK);
      assertCarried(TUNNEL_GENEVE, 78, VTEP4_A, VTEP4_B);
    });

    it('drops an unknown version ("MUST be dropped") and an option length past the packet', () => {
      const v1 = geneve(1, 0x0800, ipv4Syn());
      v1[0] = 0x40;
      assert.equal(decode(under4(17, udp(6081, v1))), DECODE_NOT_TCP);
      const long = geneve(1, 0x0800, Buffer.alloc(0));
      long[0] = 0x3f;
      assert.equal(decode(under4(17, udp(6081, long))), DECODE_TRUNCATED);
    });
  });

  describe('decode/gre', () => {
    it('reads the key past the checksum, skips the sequence number', () => {
      const frame = under4(47, gre(0x0800, ipv4Syn(), { checksum: true, key: 0xfeedbeef, seq: 9 }));
      assert.equal(decode(frame), DECODE_OK);
      assertCarried(TUNNEL_GRE, 0xfeedbeef, VTEP4_A, VTEP4_B);
      assert.equal(view.tunnelKey, TUNNEL_GRE * 2 ** 32 + 0xfeedbeef);
    });

    it('GRE in UDP (RFC 8086, port 4754): the GRE header after the UDP header', () => {
      assert.equal(decode(under4(17, udp(4754, gre(0x0800, ipv4Syn(), { key: 7 })))), DECODE_OK);
      assertCarried(TUNNEL_GRE, 7, VTEP4_A, VTEP4_B);
      assert.equal(decode(under6(17, udp(4754, gre(0x86dd, ipv6Syn())))), DECODE_OK);
      assertCarried(TUNNEL_GRE, -1, VTEP6_A, VTEP6_B, true);
    });

    it('without a key: id -1, and one key for all keyless GRE', () => {
      assert.equal(decode(under6(47, gre(0x86dd, ipv6Syn()))), DECODE_OK);
      assertCarried(TUNNEL_GRE, -1, VTEP6_A, VTEP6_B, true);
      assert.equal(view.tunnelKey, TUNNEL_GRE * 2 ** 32);
    });

    it('an Ethernet frame (gretap, 0x6558) with a VLAN tag inside, and MPLS over GRE', () => {
      assert.equal(decode(under4(47, gre(0x6558, ethernet(0x0800, ipv4Syn(), [[0x8100, 5]]), { key: 3 }))), DECODE_OK);
      assertCarried(TUNNEL_GRE, 3, VTEP4_A, VTEP4_B);
      assert.equal(decode(under4(47, gre(0x8847, Buffer.concat([mplsLabel(300, true), ipv4Syn()])))), DECODE_OK);
      // MPLS is the innermost: its label, and GRE's outer endpoints (MPLS has none of its own).
      assertCarried(TUNNEL_MPLS, 300, VTEP4_A, VTEP4_B);
    });

    it('ERSPAN type I, II and III: the session ID and the mirrored frame', () => {
      assert.equal(decode(under4(47, gre(0x88be, ethernet(0x0800, ipv4Syn())))), DECODE_OK);
      assertCarried(TUNNEL_ERSPAN, -1, VTEP4_A, VTEP4_B);
      assert.equal(decode(under4(47, gre(0x88be, erspan2(513, ethernet(0x0800, ipv4Syn())), { seq: 1 }))), DECODE_OK);
      assertCarried(TUNNEL_ERSPAN, 513, VTEP4_A, VTEP4_B);
      for (const sub of [false, true]) {
        assert.equal(
          decode(under4(47, gre(0x22eb, erspan3(1023, ethernet(0x86dd, ipv6Syn()), sub), { seq: 1 }))),
          DECODE_OK,
        );
        assertCarried(TUNNEL_ERSPAN, 1023, VTEP4_A, VTEP4_B, true);
      }
    });

    it('PPTP (version 1), source routes, and a cut key are not followed', () => {
      assert.equal(decode(under4(47, gre(0x880b, ipv4Syn(), { version: 1, key: 1 }))), DECODE_NOT_TCP);
      const routed = gre(0x0800, ipv4Syn());
      routed[0] = 0x40;
      assert.equal(decode(under4(47, routed)), DECODE_NOT_TCP);
      const frame = under4(47, gre(0x0800, ipv4Syn(), { key: 1 }));
      assert.equal(decodePacket(frame, 0, 14 + 20 + 6, LINKTYPE_ETHERNET, view), DECODE_TRUNCATED);
    });
  });

  describe('decode/ipip', () => {
    it('4in4, 6in4, 4in6 and 6in6', () => {
      assert.equal(decode(under4(4, ipv4Syn())), DECODE_OK);
      assertCarried(TUNNEL_IPIP, -1, VTEP4_A, VTEP4_B);
      assert.equal(decode(under4(41, ipv6Syn())), DECODE_OK);
      assertCarried(TUNNEL_IPIP, -1, VTEP4_A, VTEP4_B, true);
      assert.equal(decode(under6(4, ipv4Syn())), DECODE_OK);
      assertCarried(TUNNEL_IPIP, -1, VTEP6_A, VTEP6_B);
      assert.equal(decode(under6(41, ipv6Syn()), LINKTYPE_ETHERNET), DECODE_OK);
      assertCarried(TUNNEL_IPIP, -1, VTEP6_A, VTEP6_B, true);
      assert.equal(view.tunnelKey, TUNNEL_IPIP * 2 ** 32);
    });

    it("an inner version that is not the protocol's is a bad header", () => {
      assert.equal(decode(under4(4, ipv6Syn())), DECODE_BAD_HEADER);
    });

    it(`nesting is followed ${MAX_TUNNEL_DEPTH} deep, no deeper`, () => {
      let packet = ipv4Syn();
      for (let i = 0; i < MAX_TUNNEL_DEPTH; i++) packet = ipv4(4, packet, { src: VTEP4_A, dst: VTEP4_B });
      assert.equal(decode(packet, LINKTYPE_RAW), DECODE_OK);
      assert.equal(view.tunnelDepth, MAX_TUNNEL_DEPTH);
      assert.equal(decode(ipv4(4, packet), LINKTYPE_RAW), DECODE_NOT_TCP);
    });
  });

  describe('decode/mpls', () => {
    it('walks the stack to the bottom label and guesses IPv4 / IPv6 by the next nibble', () => {
      assert.equal(
        decode(ethernet(0x8847, Buffer.concat([mplsLabel(16, false), mplsLabel(1000, true), ipv4Syn()]))),
        DECODE_OK,
      );
      assertCarried(TUNNEL_MPLS, 1000, null, null);
      assert.equal(view.tunnelKey, TUNNEL_MPLS * 2 ** 32, 'labels change per hop and direction: not in the key');
      assert.equal(decode(ethernet(0x8848, Buffer.concat([mplsLabel(0xfffff, true), ipv6Syn()]))), DECODE_OK);
      assertCarried(TUNNEL_MPLS, 0xfffff, null, null, true);
    });

    it('a pseudowire control word (nibble 0) is not IP; a stack without a bottom is bounded', () => {
      assert.equal(
        decode(ethernet(0x8847, Buffer.concat([mplsLabel(16, true), Buffer.alloc(4), ipv4Syn()]))),
        DECODE_NOT_TCP,
      );
      const deep = Buffer.concat([...Array.from({ length: 20 }, () => mplsLabel(16, false)), ipv4Syn()]);
      assert.equal(decode(ethernet(0x8847, deep)), DECODE_NOT_TCP);
      assert.equal(decode(ethernet(0x8847, mplsLabel(16, false))), DECODE_TRUNCATED);
    });
  });

  describe('decode/pppoe', () => {
    it('IPv4 (PPP 0x0021) and IPv6 (0x0057) in a session, behind a VLAN tag too', () => {
      assert.equal(decode(ethernet(0x8864, pppoe(0x1234, 0x0021, ipv4Syn()), [[0x8100, 7]])), DECODE_OK);
      assertCarried(TUNNEL_PPPOE, 0x1234, null, null);
      assert.equal(decode(ethernet(0x8864, pppoe(1, 0x0057, ipv6Syn()))), DECODE_OK);
      assertCarried(TUNNEL_PPPOE, 1, null, null, true);
    });

    it('LCP is not IP; a wrong version or code is a bad header', () => {
      assert.equal(decode(ethernet(0x8864, pppoe(1, 0xc021, Buffer.alloc(8)))), DECODE_NOT_TCP);
      const bad = pppoe(1, 0x0021, ipv4Syn());
      bad[1] = 0x09;
      assert.equal(decode(ethernet(0x8864, bad)), DECODE_BAD_HEADER);
    });
  });

  it('nested: VLAN → IPv4 → UDP → VXLAN → Ethernet → VLAN → IPv6 → TCP', () => {
    const inner = ethernet(0x86dd, ipv6Syn(), [[0x8100, 200]]);
    const frame = ethernet(0x0800, ipv4(17, udp(4789, vxlan(4242, inner)), { src: VTEP4_A, dst: VTEP4_B }), [
      [0x8100, 100],
    ]);
    assert.equal(decode(frame), DECODE_OK);
    assertCarried(TUNNEL_VXLAN, 4242, VTEP4_A, VTEP4_B, true);
    assert.equal(view.tunnelDepth, 1);
  });

  describe('property: random bytes in tunnel headers never throw', () => {
    // A carrier (its outer headers) followed by random bytes where the tunnel header and what it carries go.
    const carriers: ReadonlyArray<(b: Buffer) => Buffer> = [
      (b) => under4(17, udp(4789, b)),
      (b) => under6(17, udp(8472, b)),
      (b) => under4(17, udp(6081, b)),
      (b) => under4(47, b),
      (b) => under6(47, b),
      (b) => under4(4, b),
      (b) => under4(41, b),
      (b) => under6(4, b),
      (b) => ethernet(0x8847, b),
      (b) => ethernet(0x8864, b),
      (b) => under4(17, udp(4789, vxlan(1, Buffer.concat([ethernet(0x0800, Buffer.alloc(0)), b])))),
      (b) => under4(47, gre(0x22eb, b, { seq: 1 })),
    ];
    it('every status is a DECODE_* value and an OK packet lies inside the frame', () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...carriers),
          fc.uint8Array({ maxLength: 120 }),
          fc.nat(400),
          (carrier, random, cut) => {
            const frame = carrier(Buffer.from(random));
            const end = Math.min(frame.length, cut);
            const status = decodePacket(frame, 0, end, LINKTYPE_ETHERNET, view);
            assert.ok(
              Number.isInteger(status) &&
                status >= DECODE_FRAGMENT &&
                status <= DECODE_OK &&
                status !== DECODE_UNKNOWN_LINK,
            );
            if (status === DECODE_OK) {
              for (const off of [view.srcOff, view.dstOff, view.outerSrcOff, view.outerDstOff])
                assert.ok(off >= 0 && off < end);
            }
          },
        ),
        { numRuns: 4000 },
      );
    });
  });
});
