// decode/reassembly.ts: IPv4 and IPv6 fragments in, the reassembled datagram's TCP header or ICMP quote out,
// with the frames it was made of; RFC 5722 overlaps, copies, the capture-time timeout, a flood inside fixed
// slots, fragments inside a tunnel and a tunnel inside fragments.

import { strict as assert } from 'node:assert';
import { Frame, LINKTYPE_ETHERNET, LINKTYPE_RAW } from '../../src/capture/source.js';
import { decodePacket } from '../../src/decode/packet.js';
import { MAX_PIECES, REASSEMBLY_SLOTS, REASSEMBLY_TIMEOUT, Reassembler } from '../../src/decode/reassembly.js';
import {
  DECODE_FRAGMENT,
  DECODE_OK,
  KIND_ICMP_ERROR,
  KIND_TCP,
  PacketView,
  TUNNEL_VXLAN,
} from '../../src/decode/view.js';
import {
  CLIENT4,
  CLIENT6,
  ethernet,
  icmpPortUnreachable,
  ipv4,
  ipv6,
  SERVER4,
  SERVER6,
  tcp,
  udp,
  VTEP4_A,
  VTEP4_B,
  vxlan,
} from '../helpers/frames.js';

/** IPv4 fragments of `payload` (protocol `proto`) cut at the given byte offsets (multiples of 8). */
function fragments4(
  proto: number,
  payload: Buffer,
  cuts: readonly number[],
  id = 0x4242,
  src = CLIENT4,
  dst = SERVER4,
): Buffer[] {
  const bounds = [0, ...cuts, payload.length];
  const out: Buffer[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const more = i + 2 < bounds.length;
    out.push(
      ipv4(proto, payload.subarray(bounds[i], bounds[i + 1]), {
        id,
        src,
        dst,
        dontFragment: false,
        moreFragments: more,
        fragmentOffset: bounds[i]! / 8,
      }),
    );
  }
  return out;
}

/** IPv6 fragments: a Fragment header (identification `id`) in each, the pieces as given by [start, end). */
function fragments6(
  next: number,
  payload: Buffer,
  pieces: ReadonlyArray<readonly [number, number]>,
  id = 0xabcd,
): Buffer[] {
  return pieces.map(([s, e]) => {
    const more = e < payload.length ? 1 : 0;
    const header = Buffer.from([
      next,
      0,
      ((s << 0) >> 8) & 0xff,
      (s & 0xf8) | more,
      id >>> 24,
      (id >> 16) & 0xff,
      (id >> 8) & 0xff,
      id & 0xff,
    ]);
    return ipv6(44, Buffer.concat([header, payload.subarray(s, e)]));
  });
}

class Feeder {
  readonly view = new PacketView();
  readonly r: Reassembler;
  private readonly frame = new Frame();
  private n = 0;
  constructor(keep = false) {
    this.r = new Reassembler(keep);
  }
  /** Decodes one packet at capture time `t`; a fragment goes through the reassembler. */
  feed(bytes: Buffer, t = 0, linkType = LINKTYPE_RAW): number {
    const f = this.frame;
    f.number = ++this.n;
    f.tsSec = Math.floor(t);
    f.tsNsec = Math.round((t - Math.floor(t)) * 1e9);
    f.data = bytes;
    f.offset = 0;
    f.caplen = bytes.length;
    f.origLen = bytes.length;
    f.linkType = linkType;
    const st = decodePacket(bytes, 0, bytes.length, linkType, this.view);
    return st === DECODE_FRAGMENT ? this.r.add(f, this.view, this.n) : st;
  }
  anomalies(): Record<string, number> {
    const a: Record<string, number> = {};
    this.r.addAnomalies(a);
    return a;
  }
}

const SYN = tcp({ payload: Buffer.alloc(0) }); // 40 bytes: 20 + Linux's 20 bytes of options

function assertSyn(v: PacketView, v6 = false): void {
  assert.equal(v.kind, KIND_TCP);
  assert.equal(v.flags, 0x02);
  assert.equal(v.srcPort, 51234);
  assert.equal(v.dstPort, 8080);
  assert.equal(v.seq, 0xdeadbeef);
  assert.equal(v.payloadLen, 0);
  assert.deepEqual(v.buf.subarray(v.srcOff, v.srcOff + v.addrLen), v6 ? CLIENT6 : CLIENT4);
  assert.deepEqual(v.buf.subarray(v.dstOff, v.dstOff + v.addrLen), v6 ? SERVER6 : SERVER4);
}

describe('decode/reassembly', () => {
  it('IPv4: a tiny first fragment (8 bytes of TCP) and the rest, in either order', () => {
    for (const order of [
      [0, 1],
      [1, 0],
    ]) {
      const f = new Feeder();
      const parts = fragments4(6, SYN, [8]);
      assert.equal(f.feed(parts[order[0]!]!), DECODE_FRAGMENT);
      assert.equal(f.feed(parts[order[1]!]!), DECODE_OK);
      assertSyn(f.view);
      assert.deepEqual(f.r.parts.numbers.slice(0, f.r.parts.count), [1, 2], 'both fragment frames, sorted');
      assert.deepEqual(f.anomalies(), {});
    }
  });

  it("IPv4: TCP data split in three; payloadLen is the whole datagram's, beyond the kept prefix", () => {
    const f = new Feeder();
    const seg = tcp({ flags: 0x18, options: Buffer.alloc(0), payload: Buffer.alloc(3000, 7) });
    const parts = fragments4(6, seg, [1480, 2960]);
    assert.equal(f.feed(parts[2]!), DECODE_FRAGMENT);
    assert.equal(f.feed(parts[0]!), DECODE_FRAGMENT);
    assert.equal(f.feed(parts[1]!), DECODE_OK);
    assert.equal(f.view.payloadLen, 3000);
    assert.equal(f.r.parts.count, 3);
  });

  it('IPv6: Fragment headers, 16 bytes then 24', () => {
    const f = new Feeder();
    const parts = fragments6(6, SYN, [
      [16, 40],
      [0, 16],
    ]);
    assert.equal(f.feed(parts[0]!), DECODE_FRAGMENT);
    assert.equal(f.feed(parts[1]!), DECODE_OK);
    assertSyn(f.view, true);
  });

  it('an ICMP error split in two is matched like a whole one', () => {
    const f = new Feeder();
    const icmp = icmpPortUnreachable(); // IPv4 + ICMP + the quoted SYN
    const parts = fragments4(1, icmp.subarray(20), [16], 7, SERVER4, CLIENT4);
    assert.equal(f.feed(parts[0]!), DECODE_FRAGMENT);
    assert.equal(f.feed(parts[1]!), DECODE_OK);
    assert.equal(f.view.kind, KIND_ICMP_ERROR);
    assert.equal(f.view.qSeq, 0xdeadbeef);
  });

  it('RFC 5722: overlapping IPv6 fragments drop the datagram; an exact copy is only another frame', () => {
    const f = new Feeder();
    const overlap = fragments6(6, SYN, [
      [0, 24],
      [16, 40],
    ]);
    assert.equal(f.feed(overlap[0]!), DECODE_FRAGMENT);
    assert.equal(f.feed(overlap[1]!), DECODE_FRAGMENT);
    assert.deepEqual(f.anomalies(), { fragments_overlapping: 1 }, 'both pieces discarded, nothing waits');
    const copies = fragments6(
      6,
      SYN,
      [
        [0, 16],
        [0, 16],
        [16, 40],
      ],
      99,
    );
    assert.equal(f.feed(copies[0]!), DECODE_FRAGMENT);
    assert.equal(f.feed(copies[1]!), DECODE_FRAGMENT);
    assert.equal(f.feed(copies[2]!), DECODE_OK);
    assertSyn(f.view, true);
    assert.equal(f.r.parts.count, 3, 'the copy is listed too');
  });

  it('a piece past the end, or two different ends, give the datagram up as inconsistent', () => {
    const f = new Feeder();
    const a = fragments4(6, SYN, [16]);
    const b = fragments4(6, Buffer.concat([SYN, Buffer.alloc(16)]), [40]);
    assert.equal(f.feed(a[1]!), DECODE_FRAGMENT); // [16, 40), the last
    assert.equal(f.feed(b[1]!), DECODE_FRAGMENT); // [40, 56), the last too: another end
    assert.equal(f.anomalies()['fragments_inconsistent'], 1);
  });

  it(`a datagram waits ${REASSEMBLY_TIMEOUT} s of capture time, no longer`, () => {
    const f = new Feeder();
    const parts = fragments4(6, SYN, [8]);
    assert.equal(f.feed(parts[0]!, 100), DECODE_FRAGMENT);
    assert.equal(f.feed(parts[1]!, 100 + REASSEMBLY_TIMEOUT + 0.5), DECODE_FRAGMENT);
    assert.equal(f.anomalies()['fragments_incomplete'], 2, 'the expired one, and the second piece still waiting');
  });

  it(`a flood of first fragments stays in ${REASSEMBLY_SLOTS} slots; the oldest make room`, () => {
    const f = new Feeder();
    const n = REASSEMBLY_SLOTS * 5;
    for (let i = 0; i < n; i++) f.feed(fragments4(6, SYN, [8], i)[0]!, i * 1e-4);
    assert.equal(f.anomalies()['fragments_incomplete'], n);
    const parts = fragments4(6, SYN, [8], 0xffff);
    assert.equal(f.feed(parts[0]!, 1), DECODE_FRAGMENT);
    assert.equal(f.feed(parts[1]!, 1), DECODE_OK, 'a datagram after the flood still reassembles');
  });

  it(`more than ${MAX_PIECES} pieces is given up`, () => {
    const f = new Feeder();
    const big = Buffer.concat([SYN, Buffer.alloc(8 * MAX_PIECES)]);
    const parts = fragments4(
      6,
      big,
      Array.from({ length: MAX_PIECES + 1 }, (_, i) => 8 * (i + 1)),
    );
    for (const p of parts) assert.equal(f.feed(p), DECODE_FRAGMENT);
    assert.ok((f.anomalies()['fragments_inconsistent'] ?? 0) >= 1);
  });

  it('keeps copies of the fragment frames for --evidence, in frame order', () => {
    const f = new Feeder(true);
    const parts = fragments4(6, SYN, [8]);
    f.feed(parts[1]!);
    assert.equal(f.feed(parts[0]!), DECODE_OK);
    assert.deepEqual(
      f.r.parts.packets.map((p) => p.number),
      [1, 2],
    );
    assert.deepEqual(f.r.parts.packets[0]!.data, parts[1]);
  });

  it('VXLAN fragmented on the underlay: the outer datagram is reassembled, then the tunnel opened', () => {
    const f = new Feeder();
    const inner = vxlan(42, ethernet(0x0800, ipv4(6, SYN)));
    const parts = fragments4(17, udp(4789, inner), [48], 0x77, VTEP4_A, VTEP4_B).map((p) => ethernet(0x0800, p));
    assert.equal(f.feed(parts[0]!, 0, LINKTYPE_ETHERNET), DECODE_FRAGMENT);
    assert.equal(f.feed(parts[1]!, 0, LINKTYPE_ETHERNET), DECODE_OK);
    assertSyn(f.view);
    assert.equal(f.view.tunnelKind, TUNNEL_VXLAN);
    assert.deepEqual(f.view.buf.subarray(f.view.outerSrcOff, f.view.outerSrcOff + 4), VTEP4_A);
  });

  it('fragments inside VXLAN: keyed by the tunnel, so equal datagrams in two VNIs stay apart', () => {
    const f = new Feeder();
    const parts = fragments4(6, SYN, [8]);
    const inVni = (vni: number, p: Buffer): Buffer =>
      ethernet(0x0800, ipv4(17, udp(4789, vxlan(vni, ethernet(0x0800, p))), { src: VTEP4_A, dst: VTEP4_B }));
    assert.equal(f.feed(inVni(1, parts[0]!), 0, LINKTYPE_ETHERNET), DECODE_FRAGMENT);
    assert.equal(
      f.feed(inVni(2, parts[1]!), 0, LINKTYPE_ETHERNET),
      DECODE_FRAGMENT,
      'another VNI: not the same datagram',
    );
    assert.equal(f.feed(inVni(1, parts[1]!), 0, LINKTYPE_ETHERNET), DECODE_OK);
    assertSyn(f.view);
    assert.equal(f.view.tunnelId, 1);
    assert.deepEqual(
      f.view.buf.subarray(f.view.outerDstOff, f.view.outerDstOff + 4),
      VTEP4_B,
      'outer addresses copied along',
    );
  });
});
