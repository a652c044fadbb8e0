// decode/link.ts: every link type's table entry finds the IP header, follows VLAN tags, and refuses what is not IP.
// The IP headers themselves are ip4.test.ts / ip6.test.ts's.

import { strict as assert } from 'node:assert';
import {
  LINKTYPE_C_HDLC,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPOIB,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NFLOG,
  LINKTYPE_NULL,
  LINKTYPE_PPP,
  LINKTYPE_PPP_ETHER,
  LINKTYPE_PPP_HDLC,
  LINKTYPE_RAW,
  linkTypeName,
} from '../../src/capture/source.js';
import { decodeLink, LINK_DECODERS } from '../../src/decode/link.js';
import {
  DECODE_BAD_HEADER,
  DECODE_NOT_TCP,
  DECODE_TRUNCATED,
  DECODE_UNKNOWN_LINK,
  PacketView,
} from '../../src/decode/view.js';
import {
  ETH_VLAN_IPV4_SYN,
  ETH_VLAN_IPV4_SYN_IP,
  ethernet,
  hex,
  ipv4Syn,
  ipv6Syn,
  nullHeader,
  nullIpv4Syn,
  nullIpv6Syn,
  sll,
  sll2,
  sll2Ipv6Syn,
  sllIpv4Syn,
} from '../helpers/frames.js';

const link = (frame: Buffer, linkType: number): number =>
  decodeLink(frame, 0, frame.length, linkType, new PacketView());

describe('decode/link', () => {
  describe('Ethernet', () => {
    it('finds IPv4 after a plain Ethernet header', () => {
      assert.equal(link(ethernet(0x0800, ipv4Syn()), LINKTYPE_ETHERNET), 14);
    });

    it('finds IPv6 after a plain Ethernet header', () => {
      assert.equal(link(ethernet(0x86dd, ipv6Syn()), LINKTYPE_ETHERNET), 14);
    });

    it('follows an 802.1Q tag (the hand-written model frame)', () => {
      assert.deepEqual(
        ethernet(0x0800, ipv4Syn(), [[0x8100, 100]]),
        ETH_VLAN_IPV4_SYN,
        'builders agree with the literal',
      );
      assert.equal(link(ETH_VLAN_IPV4_SYN, LINKTYPE_ETHERNET), ETH_VLAN_IPV4_SYN_IP);
    });

    it('follows QinQ: 802.1ad S-tag then 802.1Q C-tag', () => {
      const frame = ethernet(0x86dd, ipv6Syn(), [
        [0x88a8, 10],
        [0x8100, 20],
      ]);
      assert.equal(link(frame, LINKTYPE_ETHERNET), 22);
    });

    it('follows the pre-standard 0x9100 outer tag', () => {
      const frame = ethernet(0x0800, ipv4Syn(), [
        [0x9100, 10],
        [0x8100, 20],
      ]);
      assert.equal(link(frame, LINKTYPE_ETHERNET), 22);
    });

    it('calls ARP, LLDP and 802.3 length frames not TCP', () => {
      assert.equal(link(ethernet(0x0806, Buffer.alloc(28)), LINKTYPE_ETHERNET), DECODE_NOT_TCP);
      assert.equal(link(ethernet(0x88cc, Buffer.alloc(28)), LINKTYPE_ETHERNET), DECODE_NOT_TCP);
      assert.equal(link(ethernet(46, Buffer.alloc(46)), LINKTYPE_ETHERNET), DECODE_NOT_TCP);
    });

    it('reports a cut Ethernet header or VLAN tag as truncated', () => {
      assert.equal(link(ETH_VLAN_IPV4_SYN.subarray(0, 13), LINKTYPE_ETHERNET), DECODE_TRUNCATED);
      assert.equal(link(ETH_VLAN_IPV4_SYN.subarray(0, 17), LINKTYPE_ETHERNET), DECODE_TRUNCATED);
      assert.equal(link(ETH_VLAN_IPV4_SYN.subarray(0, 18), LINKTYPE_ETHERNET), DECODE_TRUNCATED, 'no IP byte at all');
    });

    it('refuses an EtherType that disagrees with the IP version', () => {
      assert.equal(link(ethernet(0x0800, ipv6Syn()), LINKTYPE_ETHERNET), DECODE_BAD_HEADER);
      assert.equal(link(ethernet(0x86dd, ipv4Syn()), LINKTYPE_ETHERNET), DECODE_BAD_HEADER);
    });

    it('works at an offset inside a larger buffer', () => {
      const frame = ethernet(0x0800, ipv4Syn());
      const buf = Buffer.concat([Buffer.alloc(100, 0xee), frame, Buffer.alloc(50, 0xee)]);
      assert.equal(decodeLink(buf, 100, 100 + frame.length, LINKTYPE_ETHERNET, new PacketView()), 114);
    });
  });

  describe('Linux cooked (SLL, SLL2)', () => {
    it('SLL: protocol at offset 14, IP at 16', () => {
      assert.equal(link(sllIpv4Syn(), LINKTYPE_LINUX_SLL), 16);
    });

    it('SLL2: protocol at offset 0, IP at 20', () => {
      assert.equal(link(sll2Ipv6Syn(), LINKTYPE_LINUX_SLL2), 20);
    });

    it('SLL and SLL2 follow a VLAN tag left in the packet', () => {
      const tagged = Buffer.concat([hex('00 64 08 00   // VLAN 100, EtherType IPv4'), ipv4Syn()]);
      assert.equal(link(sll(0x8100, tagged), LINKTYPE_LINUX_SLL), 20);
      assert.equal(link(sll2(0x8100, tagged), LINKTYPE_LINUX_SLL2), 24);
    });

    it('non-IP protocols are not TCP; cut headers are truncated', () => {
      assert.equal(link(sll(0x0806, Buffer.alloc(28)), LINKTYPE_LINUX_SLL), DECODE_NOT_TCP);
      assert.equal(link(sll(0x0004, Buffer.alloc(28)), LINKTYPE_LINUX_SLL), DECODE_NOT_TCP);
      assert.equal(link(sllIpv4Syn().subarray(0, 15), LINKTYPE_LINUX_SLL), DECODE_TRUNCATED);
      assert.equal(link(sll2Ipv6Syn().subarray(0, 19), LINKTYPE_LINUX_SLL2), DECODE_TRUNCATED);
    });
  });

  describe('raw IP', () => {
    for (const linkType of [LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6]) {
      it(`LINKTYPE ${linkType}: the version nibble decides`, () => {
        assert.equal(link(ipv4Syn(), linkType), 0);
        assert.equal(link(ipv6Syn(), linkType), 0);
        assert.equal(link(hex('55 00 00 14'), linkType), DECODE_BAD_HEADER);
        assert.equal(link(Buffer.alloc(0), linkType), DECODE_TRUNCATED);
      });
    }
  });

  describe('BSD NULL / LOOP', () => {
    for (const linkType of [LINKTYPE_NULL, LINKTYPE_LOOP]) {
      for (const order of ['le', 'be'] as const) {
        it(`LINKTYPE ${linkType}, family in ${order} byte order: AF_INET and all three AF_INET6 values`, () => {
          assert.equal(link(nullIpv4Syn(order), linkType), 4);
          for (const family of [24, 28, 30])
            assert.equal(link(nullIpv6Syn(family, order), linkType), 4, `AF ${family}`);
        });
      }
      it(`LINKTYPE ${linkType}: other families not TCP, a mismatched version bad, a cut header truncated`, () => {
        assert.equal(link(nullHeader(7, 'le', ipv4Syn()), linkType), DECODE_NOT_TCP);
        assert.equal(link(nullHeader(0x12345678, 'be', ipv4Syn()), linkType), DECODE_NOT_TCP);
        assert.equal(link(nullHeader(2, 'le', ipv6Syn()), linkType), DECODE_BAD_HEADER);
        assert.equal(link(nullIpv4Syn('le').subarray(0, 3), linkType), DECODE_TRUNCATED);
      });
    }
  });

  describe('PPP, Cisco HDLC, PPPoE without Ethernet, IP over InfiniBand, NFLOG', () => {
    it('PPP: with and without the 0xff 0x03 address and control, with a compressed protocol field', () => {
      assert.equal(link(Buffer.concat([hex('ff 03 00 21'), ipv4Syn()]), LINKTYPE_PPP), 4);
      assert.equal(link(Buffer.concat([hex('00 21'), ipv4Syn()]), LINKTYPE_PPP), 2);
      assert.equal(link(Buffer.concat([hex('21'), ipv4Syn()]), LINKTYPE_PPP), 1);
      assert.equal(link(Buffer.concat([hex('ff 03 00 57'), ipv6Syn()]), LINKTYPE_PPP), 4);
      assert.equal(link(Buffer.concat([hex('57'), ipv6Syn()]), LINKTYPE_PPP), 1);
    });

    it('PPP: MPLS is walked to the IP packet; LCP and the like are not TCP; cut or mismatched headers say so', () => {
      // MPLS unicast: one label (100), bottom of stack, TTL 64.
      assert.equal(link(Buffer.concat([hex('ff 03 02 81  00 06 41 40'), ipv4Syn()]), LINKTYPE_PPP), 8);
      assert.equal(link(Buffer.concat([hex('ff 03 c0 21'), Buffer.alloc(20)]), LINKTYPE_PPP), DECODE_NOT_TCP);
      assert.equal(link(hex('ff 03 00'), LINKTYPE_PPP), DECODE_TRUNCATED);
      assert.equal(link(hex('ff 03 00 21'), LINKTYPE_PPP), DECODE_TRUNCATED);
      assert.equal(link(Buffer.concat([hex('00 21'), ipv6Syn()]), LINKTYPE_PPP), DECODE_BAD_HEADER);
    });

    it('PPP in HDLC framing: PPP after 0xff, Cisco HDLC after 0x0f or 0x8f', () => {
      assert.equal(link(Buffer.concat([hex('ff 03 00 21'), ipv4Syn()]), LINKTYPE_PPP_HDLC), 4);
      assert.equal(link(Buffer.concat([hex('0f 00 08 00'), ipv4Syn()]), LINKTYPE_PPP_HDLC), 4);
      assert.equal(link(Buffer.concat([hex('8f 00 86 dd'), ipv6Syn()]), LINKTYPE_PPP_HDLC), 4);
      assert.equal(link(Buffer.alloc(0), LINKTYPE_PPP_HDLC), DECODE_TRUNCATED);
    });

    it('Cisco HDLC: an EtherType at offset 2; SLARP is not TCP', () => {
      assert.equal(link(Buffer.concat([hex('0f 00 08 00'), ipv4Syn()]), LINKTYPE_C_HDLC), 4);
      assert.equal(link(Buffer.concat([hex('0f 00 86 dd'), ipv6Syn()]), LINKTYPE_C_HDLC), 4);
      assert.equal(link(Buffer.concat([hex('8f 00 80 35'), Buffer.alloc(20)]), LINKTYPE_C_HDLC), DECODE_NOT_TCP);
      assert.equal(link(hex('0f 00 08'), LINKTYPE_C_HDLC), DECODE_TRUNCATED);
    });

    it('PPPoE without its Ethernet header: the PPP protocol after 8 bytes, the session as the tunnel id', () => {
      const v = new PacketView();
      const frame = Buffer.concat([hex('11 00 12 34 00 2a 00 21'), ipv4Syn()]);
      assert.equal(decodeLink(frame, 0, frame.length, LINKTYPE_PPP_ETHER, v), 8);
      assert.equal(v.tunnelId, 0x1234);
    });

    it('IP over InfiniBand: two 20-byte addresses, the EtherType at 40, IP at 44', () => {
      const ipoib = (type: string, payload: Buffer): Buffer =>
        Buffer.concat([Buffer.alloc(40), hex(`${type} 00 00`), payload]);
      assert.equal(link(ipoib('08 00', ipv4Syn()), LINKTYPE_IPOIB), 44);
      assert.equal(link(ipoib('86 dd', ipv6Syn()), LINKTYPE_IPOIB), 44);
      assert.equal(link(ipoib('08 06', Buffer.alloc(28)), LINKTYPE_IPOIB), DECODE_NOT_TCP);
      assert.equal(link(Buffer.alloc(41), LINKTYPE_IPOIB), DECODE_TRUNCATED);
    });

    it('NFLOG: the packet in the NFULA_PAYLOAD TLV, after the others (little-endian lengths, padded to 4)', () => {
      const nflog = (family: number, packet: Buffer): Buffer =>
        Buffer.concat([
          hex(`${family.toString(16).padStart(2, '0')} 00 00 2a`), // family, version, resource id
          hex('08 00 01 00  08 00 00 00'), // NFULA_PACKET_HDR: hw protocol, hook
          hex('05 00 0a 00  41 00 00 00'), // NFULA_PREFIX "A", padded from 5 to 8 bytes
          hex(
            `${(packet.length + 4)
              .toString(16)
              .padStart(4, '0')
              .replace(/(..)(..)/, '$2 $1')} 09 00`,
          ),
          packet,
        ]);
      assert.equal(link(nflog(2, ipv4Syn()), LINKTYPE_NFLOG), 24);
      assert.equal(link(nflog(10, ipv6Syn()), LINKTYPE_NFLOG), 24);
      assert.equal(link(nflog(2, ipv6Syn()), LINKTYPE_NFLOG), DECODE_BAD_HEADER);
      assert.equal(link(nflog(7, ipv4Syn()), LINKTYPE_NFLOG), DECODE_NOT_TCP);
      assert.equal(link(hex('02 00 00 2a  08 00 01 00  08 00 00 00'), LINKTYPE_NFLOG), DECODE_TRUNCATED);
      assert.equal(link(hex('02 00 00 2a  02 00 01 00'), LINKTYPE_NFLOG), DECODE_BAD_HEADER);
    });

    it('names them as the link-type registry does', () => {
      assert.deepEqual(
        [LINKTYPE_PPP, LINKTYPE_PPP_HDLC, LINKTYPE_PPP_ETHER, LINKTYPE_C_HDLC, LINKTYPE_IPOIB, LINKTYPE_NFLOG].map(
          linkTypeName,
        ),
        ['PPP', 'PPP_HDLC', 'PPP_ETHER', 'C_HDLC', 'IPOIB', 'NFLOG'],
      );
    });
  });

  describe('dispatch table', () => {
    it('answers DECODE_UNKNOWN_LINK for link types it does not decode, never throwing', () => {
      const frame = ethernet(0x0800, ipv4Syn());
      for (const linkType of [2, 105, 127, 147, 275, 277, 1000, -1, 1.5, Number.NaN]) {
        assert.equal(link(frame, linkType), DECODE_UNKNOWN_LINK, `link type ${linkType}`);
      }
    });

    it('is data: one entry per slot up to SLL2', () => {
      assert.equal(LINK_DECODERS.length, LINKTYPE_LINUX_SLL2 + 1);
    });
  });
});
