// decode/ip4.ts: the IPv4 header's fields, IHL with options, length checks and fragments.
// What follows the header (TCP, ICMP) is tcp.test.ts / icmp.test.ts's.

import { strict as assert } from 'node:assert';
import { decodeIp4, ip4PayloadEnd, ip4Protocol } from '../../src/decode/ip4.js';
import { DECODE_BAD_HEADER, DECODE_FRAGMENT, DECODE_TRUNCATED, PacketView } from '../../src/decode/view.js';
import { CLIENT4, hex, ipv4, ipv4Syn, SERVER4, tcp } from '../helpers/frames.js';

function decode(packet: Buffer, end = packet.length): { result: number; view: PacketView } {
  const view = new PacketView();
  view.reset(packet);
  return { result: decodeIp4(packet, 0, end, view), view };
}

describe('decode/ip4', () => {
  it('fills the network fields and returns the offset of the TCP header', () => {
    const { result, view } = decode(ipv4Syn({ ttl: 57 }));
    assert.equal(result, 20);
    assert.equal(view.ipVersion, 4);
    assert.equal(view.addrLen, 4);
    assert.equal(view.ipOff, 0);
    assert.deepEqual(view.buf.subarray(view.srcOff, view.srcOff + 4), CLIENT4);
    assert.deepEqual(view.buf.subarray(view.dstOff, view.dstOff + 4), SERVER4);
    assert.equal(view.ttl, 57);
    assert.equal(ip4Protocol(view.buf, view.ipOff), 6);
  });

  it('skips options by the IHL', () => {
    const options = hex('01 01 01 00   // NOP, NOP, NOP, end of options list');
    const packet = ipv4(6, tcp(), { options, ttl: 1 });
    const { result, view } = decode(packet);
    assert.equal(result, 24);
    assert.equal(view.ttl, 1);
    assert.equal(view.dstOff, 16, 'addresses sit before the options');
  });

  it('refuses an IHL below 5 and a wrong version', () => {
    assert.equal(decode(ipv4Syn({ ihl: 4 })).result, DECODE_BAD_HEADER);
    assert.equal(decode(ipv4Syn({ ihl: 0 })).result, DECODE_BAD_HEADER);
    assert.equal(decode(ipv4Syn({ version: 6 })).result, DECODE_BAD_HEADER);
  });

  it('refuses a total length shorter than the header', () => {
    assert.equal(decode(ipv4Syn({ totalLength: 19 })).result, DECODE_BAD_HEADER);
    const options = hex('01 01 01 00');
    assert.equal(decode(ipv4(6, tcp(), { options, totalLength: 22 })).result, DECODE_BAD_HEADER);
  });

  it('reports a header or its options cut short as truncated', () => {
    assert.equal(decode(ipv4Syn(), 19).result, DECODE_TRUNCATED);
    const options = hex('01 01 01 00');
    assert.equal(decode(ipv4(6, tcp(), { options }), 23).result, DECODE_TRUNCATED);
  });

  it('accepts a snaplen shorter than the total length (the header is all it needs)', () => {
    assert.equal(decode(ipv4Syn(), 20).result, 20);
  });

  it('hands every fragment (an offset or MF set) to reassembly, with its place; DF alone is no fragment', () => {
    const last = decode(ipv4Syn({ fragmentOffset: 1 }));
    assert.equal(last.result, DECODE_FRAGMENT);
    assert.deepEqual(
      [last.view.fragOffset, last.view.fragMore, last.view.fragProto, last.view.fragDataOff, last.view.fragDataEnd],
      [8, 0, 6, 20, 60],
    );
    const middle = decode(ipv4Syn({ fragmentOffset: 0x1fff, moreFragments: true }));
    assert.deepEqual([middle.result, middle.view.fragOffset, middle.view.fragMore], [DECODE_FRAGMENT, 0x1fff * 8, 1]);
    const first = decode(ipv4Syn({ fragmentOffset: 0, moreFragments: true, dontFragment: false }));
    assert.deepEqual([first.result, first.view.fragOffset, first.view.fragMore], [DECODE_FRAGMENT, 0, 1]);
    assert.equal(decode(ipv4Syn({ dontFragment: true })).result, 20);
  });

  describe('ip4PayloadEnd', () => {
    it('ends the datagram at its total length, not at the end of the captured bytes', () => {
      const padded = Buffer.concat([ipv4(6, tcp({ options: Buffer.alloc(0) })), Buffer.alloc(6)]);
      assert.equal(ip4PayloadEnd(padded, 0, padded.length), 40);
      const cut = ipv4Syn();
      assert.equal(ip4PayloadEnd(cut, 0, 30), 60);
    });

    it('takes a total length of 0 (a TSO send) to end at the captured end', () => {
      assert.equal(ip4PayloadEnd(ipv4Syn({ totalLength: 0 }), 0, 60), 60);
      assert.equal(decode(ipv4Syn({ totalLength: 0 })).result, 20);
    });
  });
});
