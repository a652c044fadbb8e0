// decode/tcp.ts: ports, unsigned seq/ack, the flags byte, Data Offset checks, and payloadLen from the IP lengths.
// The IP header in front is decoded by ip4.ts / ip6.ts first, as decodePacket does.

import { strict as assert } from 'node:assert';
import { decodeIp4 } from '../../src/decode/ip4.js';
import { decodeIp6 } from '../../src/decode/ip6.js';
import { decodeTcp } from '../../src/decode/tcp.js';
import {
  DECODE_BAD_HEADER,
  DECODE_TRUNCATED,
  KIND_TCP,
  PacketView,
  TCP_FLAG_ACK,
  TCP_FLAG_CWR,
  TCP_FLAG_ECE,
  TCP_FLAG_FIN,
  TCP_FLAG_PSH,
  TCP_FLAG_RST,
  TCP_FLAG_SYN,
  TCP_FLAG_URG,
} from '../../src/decode/view.js';
import { CLIENT_PORT, ipv4, ipv6, ipv6HopFragSyn, ISN, SERVER_PORT, tcp } from '../helpers/frames.js';

/** Decodes IP then TCP over packet[0, end), as decodePacket would (end bounded by the IP length). */
function decode(packet: Buffer, end = packet.length): { result: number; view: PacketView } {
  const view = new PacketView();
  view.reset(packet);
  const version = packet[0] >> 4;
  const upper = version === 4 ? decodeIp4(packet, 0, end, view) : decodeIp6(packet, 0, end, view);
  assert.ok(upper >= 0, `IP decoded (${upper})`);
  return { result: decodeTcp(packet, upper, end, view), view };
}

describe('decode/tcp', () => {
  it('reads ports, seq, ack, flags and the payload offset of a SYN with options', () => {
    const { result, view } = decode(ipv4(6, tcp()));
    assert.equal(result, 20 + 40);
    assert.equal(view.kind, KIND_TCP);
    assert.equal(view.srcPort, CLIENT_PORT);
    assert.equal(view.dstPort, SERVER_PORT);
    assert.equal(view.seq, ISN);
    assert.equal(view.ack, 0);
    assert.equal(view.flags, TCP_FLAG_SYN);
    assert.equal(view.payloadLen, 0);
  });

  it('keeps 32-bit numbers unsigned', () => {
    const { view } = decode(ipv4(6, tcp({ seq: 0xffffffff, ack: 0x80000000, flags: TCP_FLAG_SYN | TCP_FLAG_ACK })));
    assert.equal(view.seq, 4294967295);
    assert.equal(view.ack, 2147483648);
    assert.equal(view.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
  });

  it('passes every flag bit of byte 13 through', () => {
    const all =
      TCP_FLAG_FIN |
      TCP_FLAG_SYN |
      TCP_FLAG_RST |
      TCP_FLAG_PSH |
      TCP_FLAG_ACK |
      TCP_FLAG_URG |
      TCP_FLAG_ECE |
      TCP_FLAG_CWR;
    assert.equal(decode(ipv4(6, tcp({ flags: all }))).view.flags, 0xff);
    assert.equal(decode(ipv4(6, tcp({ flags: TCP_FLAG_RST | TCP_FLAG_ACK }))).view.flags, 0x14);
  });

  it('takes payloadLen from the IP lengths, with and without options', () => {
    const payload = Buffer.alloc(100, 0x61);
    assert.equal(decode(ipv4(6, tcp({ payload }))).view.payloadLen, 100);
    assert.equal(decode(ipv4(6, tcp({ payload, options: Buffer.alloc(0) }))).view.payloadLen, 100);
    assert.equal(decode(ipv6(6, tcp({ payload }))).view.payloadLen, 100);
    assert.equal(decode(ipv6HopFragSyn()).view.payloadLen, 0, 'extension headers are not payload');
  });

  it('reports the full payload length when the snaplen cut the payload', () => {
    const packet = ipv4(6, tcp({ payload: Buffer.alloc(1000), options: Buffer.alloc(0) }));
    const { result, view } = decode(packet, 54);
    assert.equal(result, 40);
    assert.equal(view.payloadLen, 1000);
  });

  it('needs only the fixed 20 bytes: options cut by the snaplen are not read', () => {
    const { result, view } = decode(ipv4(6, tcp()), 20 + 24);
    assert.equal(result, 60);
    assert.equal(view.kind, KIND_TCP);
    assert.equal(view.seq, ISN);
  });

  it('reports a header cut inside its fixed 20 bytes as truncated', () => {
    for (const end of [20, 21, 33, 39]) {
      const { result, view } = decode(ipv4(6, tcp()), end);
      assert.equal(result, DECODE_TRUNCATED, `cut at ${end}`);
      assert.equal(view.srcPort, 0, 'no TCP field is set');
    }
  });

  it('refuses a Data Offset below 5', () => {
    for (const dataOffset of [0, 1, 4]) {
      assert.equal(decode(ipv4(6, tcp({ dataOffset }))).result, DECODE_BAD_HEADER, `data offset ${dataOffset}`);
    }
  });

  it('refuses a header longer than the IP packet holds', () => {
    assert.equal(decode(ipv4(6, tcp({ options: Buffer.alloc(0), dataOffset: 15 }))).result, DECODE_BAD_HEADER);
    const short = ipv4(6, tcp({ options: Buffer.alloc(0) }), { totalLength: 30 });
    assert.equal(decode(short, 30).result, DECODE_BAD_HEADER, 'the IP packet ends before 20 bytes of TCP');
  });

  it('decodes a TSO send (IP total length 0) up to the captured end', () => {
    const packet = ipv4(6, tcp({ payload: Buffer.alloc(3000), options: Buffer.alloc(0) }), { totalLength: 0 });
    assert.equal(decode(packet).view.payloadLen, 3000);
  });
});
