// decode/ip6.ts: the IPv6 header and the walk over its extension headers (hop-by-hop, routing,
// fragment, destination options, AH; ESP and No Next Header end it). TCP itself is tcp.test.ts's.

import { strict as assert } from 'node:assert';
import { decodeIp6, ip6PayloadEnd, ip6UpperProtocol, skipIp6Extensions } from '../../src/decode/ip6.js';
import {
  DECODE_BAD_HEADER,
  DECODE_FRAGMENT,
  DECODE_NOT_TCP,
  DECODE_TRUNCATED,
  PacketView,
} from '../../src/decode/view.js';
import {
  authHeader,
  CLIENT6,
  destOptions,
  hopByHop,
  ipv4Syn,
  ipv6,
  ipv6HopFragSyn,
  ipv6Syn,
  routing,
  SERVER6,
  tcp,
} from '../helpers/frames.js';

function decode(packet: Buffer, end = packet.length): { result: number; view: PacketView } {
  const view = new PacketView();
  view.reset(packet);
  return { result: decodeIp6(packet, 0, end, view), view };
}

describe('decode/ip6', () => {
  it('fills the network fields and returns the offset of the TCP header', () => {
    const { result, view } = decode(ipv6Syn({ hopLimit: 3 }));
    assert.equal(result, 40);
    assert.equal(view.ipVersion, 6);
    assert.equal(view.addrLen, 16);
    assert.equal(view.ipOff, 0);
    assert.deepEqual(view.buf.subarray(view.srcOff, view.srcOff + 16), CLIENT6);
    assert.deepEqual(view.buf.subarray(view.dstOff, view.dstOff + 16), SERVER6);
    assert.equal(view.ttl, 3);
    assert.equal(ip6UpperProtocol(view.buf, 0, result), 6);
  });

  it('refuses a wrong version; a header cut short is truncated', () => {
    assert.equal(decode(Buffer.concat([ipv4Syn(), Buffer.alloc(20)])).result, DECODE_BAD_HEADER);
    assert.equal(decode(ipv6Syn(), 39).result, DECODE_TRUNCATED);
  });

  it('walks hop-by-hop then an atomic fragment header (offset 0, M clear: RFC 6946) to TCP', () => {
    const packet = ipv6HopFragSyn();
    const { result } = decode(packet);
    assert.equal(result, 40 + 8 + 8);
    assert.equal(ip6UpperProtocol(packet, 0, result), 6);
  });

  it('hands a real fragment (an offset or M set) to reassembly: identification, offset, M, next header, data', () => {
    const first = decode(ipv6HopFragSyn(0, true));
    assert.equal(first.result, DECODE_FRAGMENT);
    const v = first.view;
    assert.deepEqual([v.fragOffset, v.fragMore, v.fragProto, v.fragDataOff, v.fragDataEnd], [0, 1, 6, 56, 96]);
    const later = decode(ipv6HopFragSyn(185, false));
    assert.deepEqual([later.result, later.view.fragOffset, later.view.fragMore], [DECODE_FRAGMENT, 185 * 8, 0]);
  });

  it('walks routing, destination options and AH (length in 4-byte units + 2)', () => {
    const chain = Buffer.concat([hopByHop(43), routing(60), destOptions(51), authHeader(6), tcp()]);
    const packet = ipv6(0, chain);
    const { result } = decode(packet);
    assert.equal(result, 40 + 8 + 8 + 16 + 24);
    assert.equal(ip6UpperProtocol(packet, 0, result), 6);
  });

  it('stops at ESP and at No Next Header: not TCP', () => {
    assert.equal(decode(ipv6(50, Buffer.alloc(32))).result, DECODE_NOT_TCP);
    assert.equal(decode(ipv6(0, Buffer.concat([hopByHop(59), Buffer.alloc(8)]))).result, DECODE_NOT_TCP);
  });

  it('returns other upper layers for the caller to judge (UDP, ICMPv6)', () => {
    const udp = ipv6(17, Buffer.alloc(8));
    assert.equal(decode(udp).result, 40);
    assert.equal(ip6UpperProtocol(udp, 0, 40), 17);
    const icmp = ipv6(0, Buffer.concat([hopByHop(58), Buffer.alloc(8)]));
    assert.equal(decode(icmp).result, 48);
    assert.equal(ip6UpperProtocol(icmp, 0, 48), 58);
  });

  it('reports an extension header cut by the snaplen as truncated', () => {
    const packet = ipv6HopFragSyn();
    assert.equal(decode(packet, 47).result, DECODE_TRUNCATED);
    assert.equal(decode(packet, 55).result, DECODE_TRUNCATED);
    assert.equal(decode(packet, 56).result, 56, 'both extension headers present is enough');
  });

  it('refuses extension headers that run past the Payload Length', () => {
    const packet = Buffer.concat([ipv6(0, Buffer.concat([hopByHop(6), tcp()]), { payloadLength: 4 }), Buffer.alloc(8)]);
    assert.equal(decode(packet).result, DECODE_BAD_HEADER);
  });

  describe('skipIp6Extensions', () => {
    it('always advances, so a chain of extension headers ends', () => {
      // 40 hop-by-hop headers each announcing another: the walk reaches the end and stops.
      const chain = Buffer.concat(Array.from({ length: 40 }, () => hopByHop(0)));
      assert.equal(skipIp6Extensions(chain, 0, chain.length, 0), DECODE_TRUNCATED);
    });
  });

  describe('ip6PayloadEnd', () => {
    it('ends the packet at 40 + Payload Length; 0 (jumbogram, TSO) means the captured end', () => {
      assert.equal(ip6PayloadEnd(ipv6Syn(), 0, 10), 80);
      assert.equal(ip6PayloadEnd(ipv6Syn({ payloadLength: 0 }), 0, 77), 77);
    });
  });
});
