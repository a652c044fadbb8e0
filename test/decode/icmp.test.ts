// decode/icmp.ts: ICMP / ICMPv6 errors quoting a SYN → the quoted addresses, ports and sequence number.
// Which attempt the quote belongs to, and the errno it means, are track/'s.

import { strict as assert } from 'node:assert';
import { decodeIcmp4, decodeIcmp6 } from '../../src/decode/icmp.js';
import { decodeIp4 } from '../../src/decode/ip4.js';
import { decodeIp6 } from '../../src/decode/ip6.js';
import {
  DECODE_BAD_HEADER,
  DECODE_NOT_TCP,
  DECODE_TRUNCATED,
  KIND_ICMP_ERROR,
  KIND_NONE,
  PacketView,
} from '../../src/decode/view.js';
import {
  CLIENT4,
  CLIENT6,
  CLIENT_PORT,
  destOptions,
  fragment,
  hex,
  hopByHop,
  icmp4Error,
  icmp6,
  icmp6AdminProhibited,
  icmp6Error,
  icmp6TimeExceeded,
  icmpAdminProhibited,
  icmpHostUnreachable,
  icmpPortUnreachable,
  icmpTimeExceeded,
  ipv4,
  ipv4Syn,
  ipv6,
  ipv6Syn,
  ISN,
  ROUTER4,
  ROUTER6,
  SERVER4,
  SERVER6,
  SERVER_PORT,
  tcp,
} from '../helpers/frames.js';

/** Decodes the outer IP header, then the ICMP message after it. */
function decode(packet: Buffer, end = packet.length): { result: number; view: PacketView } {
  const view = new PacketView();
  view.reset(packet);
  if (packet[0] >> 4 === 4) {
    const upper = decodeIp4(packet, 0, end, view);
    assert.ok(upper >= 0);
    return { result: decodeIcmp4(packet, upper, end, view), view };
  }
  const upper = decodeIp6(packet, 0, end, view);
  assert.ok(upper >= 0);
  return { result: decodeIcmp6(packet, upper, end, view), view };
}

const at = (view: PacketView, off: number): Buffer => view.buf.subarray(off, off + view.addrLen);

/** The quoted fields are those of the client's SYN to the server. */
function assertQuotesTheSyn(view: PacketView, client: Buffer, server: Buffer): void {
  assert.equal(view.kind, KIND_ICMP_ERROR);
  assert.deepEqual(at(view, view.qSrcOff), client);
  assert.deepEqual(at(view, view.qDstOff), server);
  assert.equal(view.qSrcPort, CLIENT_PORT);
  assert.equal(view.qDstPort, SERVER_PORT);
  assert.equal(view.qSeq, ISN);
}

describe('decode/icmp', () => {
  describe('ICMPv4', () => {
    it('port unreachable (3/3) from the server, quoting the whole SYN', () => {
      const { result, view } = decode(icmpPortUnreachable());
      assert.equal(result, 20 + 8 + 20 + 8);
      assert.equal(view.icmpType, 3);
      assert.equal(view.icmpCode, 3);
      assert.deepEqual(at(view, view.srcOff), SERVER4, 'who sent the error');
      assert.deepEqual(at(view, view.dstOff), CLIENT4);
      assertQuotesTheSyn(view, CLIENT4, SERVER4);
      assert.equal(view.srcPort, 0, 'the outer packet has no ports');
    });

    it('host unreachable (3/1) from a router, with RFC 792’s minimum quote (IP header + 64 bits)', () => {
      const { view } = decode(icmpHostUnreachable());
      assert.equal(view.icmpCode, 1);
      assert.deepEqual(at(view, view.srcOff), ROUTER4);
      assertQuotesTheSyn(view, CLIENT4, SERVER4);
    });

    it('administratively prohibited (3/13) and fragmentation needed (3/4, decoded; track/ ignores it)', () => {
      assertQuotesTheSyn(decode(icmpAdminProhibited()).view, CLIENT4, SERVER4);
      const { view } = decode(icmp4Error(3, 4, ROUTER4));
      assert.equal(view.icmpCode, 4);
      assertQuotesTheSyn(view, CLIENT4, SERVER4);
    });

    it('time exceeded (11/0) and parameter problem (12/0)', () => {
      const exceeded = decode(icmpTimeExceeded()).view;
      assert.equal(exceeded.icmpType, 11);
      assertQuotesTheSyn(exceeded, CLIENT4, SERVER4);
      const problem = decode(icmp4Error(12, 0, ROUTER4)).view;
      assert.equal(problem.icmpType, 12);
      assertQuotesTheSyn(problem, CLIENT4, SERVER4);
    });

    it('finds the quoted TCP header behind quoted IP options', () => {
      const quote = ipv4(6, tcp(), { options: hex('94 04 00 00   // router alert') }).subarray(0, 32);
      const { view } = decode(icmp4Error(3, 1, ROUTER4, quote));
      assertQuotesTheSyn(view, CLIENT4, SERVER4);
    });

    it('calls echo, redirect, source quench and other types not TCP', () => {
      for (const type of [0, 4, 5, 8, 13]) {
        const { result, view } = decode(icmp4Error(type, 0, ROUTER4));
        assert.equal(result, DECODE_NOT_TCP, `type ${type}`);
        assert.equal(view.kind, KIND_NONE);
      }
    });

    it('calls an error quoting UDP, or a non-first fragment, not TCP', () => {
      assert.equal(decode(icmp4Error(3, 3, SERVER4, ipv4(17, Buffer.alloc(8)))).result, DECODE_NOT_TCP);
      assert.equal(decode(icmp4Error(3, 3, SERVER4, ipv4Syn({ fragmentOffset: 2 }))).result, DECODE_NOT_TCP);
    });

    it('reports a quote shorter than IP header + 8 bytes of TCP as truncated', () => {
      assert.equal(decode(icmp4Error(3, 1, ROUTER4, ipv4Syn().subarray(0, 27))).result, DECODE_TRUNCATED);
      assert.equal(decode(icmp4Error(3, 1, ROUTER4, ipv4Syn().subarray(0, 19))).result, DECODE_TRUNCATED);
      assert.equal(decode(icmpPortUnreachable(), 27).result, DECODE_TRUNCATED, 'ICMP header cut');
    });

    it('refuses a quote that is not IPv4, or has an IHL below 5', () => {
      assert.equal(decode(icmp4Error(3, 1, ROUTER4, ipv6Syn())).result, DECODE_BAD_HEADER);
      assert.equal(decode(icmp4Error(3, 1, ROUTER4, ipv4Syn({ ihl: 4 }))).result, DECODE_BAD_HEADER);
    });
  });

  describe('ICMPv6', () => {
    it('destination unreachable code 1 (administratively prohibited) quoting a v6 SYN', () => {
      const { result, view } = decode(icmp6AdminProhibited());
      assert.equal(result, 40 + 8 + 40 + 8);
      assert.equal(view.icmpType, 1);
      assert.equal(view.icmpCode, 1);
      assert.equal(view.addrLen, 16);
      assert.deepEqual(at(view, view.srcOff), ROUTER6);
      assertQuotesTheSyn(view, CLIENT6, SERVER6);
    });

    it('time exceeded (3), packet too big (2), parameter problem (4), port unreachable (1/4)', () => {
      assert.equal(decode(icmp6TimeExceeded()).view.icmpType, 3);
      for (const [type, code] of [
        [2, 0],
        [4, 0],
        [1, 4],
      ] as const) {
        const { view } = decode(icmp6Error(type, code, SERVER6));
        assert.equal(view.icmpType, type);
        assert.equal(view.icmpCode, code);
        assertQuotesTheSyn(view, CLIENT6, SERVER6);
      }
    });

    it('walks extension headers inside the quoted packet', () => {
      const quote = ipv6(0, Buffer.concat([hopByHop(60), destOptions(44), fragment(6, 0, true), tcp()]));
      const { result, view } = decode(icmp6Error(1, 3, ROUTER6, quote));
      assert.equal(result, 40 + 8 + 40 + 8 + 16 + 8 + 8);
      assertQuotesTheSyn(view, CLIENT6, SERVER6);
    });

    it('calls informational messages, quoted UDP and quoted non-first fragments not TCP', () => {
      assert.equal(decode(ipv6(58, icmp6(128, 0, Buffer.alloc(56)))).result, DECODE_NOT_TCP, 'echo request');
      assert.equal(decode(ipv6(58, icmp6(135, 0, Buffer.alloc(16)))).result, DECODE_NOT_TCP, 'neighbour solicitation');
      assert.equal(decode(icmp6Error(1, 4, SERVER6, ipv6(17, Buffer.alloc(8)))).result, DECODE_NOT_TCP);
      const fragmentQuote = ipv6(44, Buffer.concat([fragment(6, 3, false), tcp()]));
      assert.equal(decode(icmp6Error(1, 4, SERVER6, fragmentQuote)).result, DECODE_NOT_TCP);
    });

    it('reports a quote cut before 8 bytes of TCP as truncated', () => {
      assert.equal(decode(icmp6Error(1, 1, ROUTER6, ipv6Syn().subarray(0, 47))).result, DECODE_TRUNCATED);
      assert.equal(decode(icmp6Error(1, 1, ROUTER6, ipv6Syn().subarray(0, 39))).result, DECODE_TRUNCATED);
      assert.equal(decode(icmp6Error(1, 1, ROUTER6, ipv6Syn().subarray(0, 48))).view.qSeq, ISN);
    });

    it('refuses a quote that is not IPv6', () => {
      assert.equal(
        decode(icmp6Error(1, 1, ROUTER6, Buffer.concat([ipv4Syn(), Buffer.alloc(20)]))).result,
        DECODE_BAD_HEADER,
      );
    });
  });
});
