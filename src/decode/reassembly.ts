// IPv4 and IPv6 fragment reassembly, as far as the headers synscope reads need: the one stateful piece of
// decode/. decodePacket() stops at a fragment (DECODE_FRAGMENT, the view's frag* fields set); the feed hands
// it here, and when the last piece of a datagram arrives the datagram's first REASSEMBLY_PREFIX bytes are
// laid out in a scratch buffer and decoded from the IP header on (decodeNetwork) into the same view, as if
// one packet had come. Everything is preallocated: a fixed number of slots, each with a fixed byte window,
// so a flood of fragments never grows memory; the oldest datagram makes room, and a datagram expires on
// capture time. It lives in decode/ because it only needs decode's knowledge; the tracker sees a packet
// whose frames are the fragments' (`parts`).
//
// Rules, as Linux's inet_frag_queue_insert() applies them to both versions:
// - RFC 5722 §4 (IPv6): "if any of the fragments being reassembled overlap with any other fragments being
//   reassembled for the same packet, reassembly of that packet must be abandoned and all the fragments that
//   have been received for that packet must be discarded". Linux does the same for IPv4 since 4.19.
//   A piece equal to one already held (the same frame seen twice, -i any) is a copy, not an overlap.
// - A datagram waits at most REASSEMBLY_TIMEOUT seconds of capture time (Linux ipfrag_time, 30 s).
// Counted (anomalies): fragments_overlapping, fragments_incomplete (expired, evicted or left at the end),
// fragments_inconsistent (pieces past the end, two different ends, more than MAX_PIECES, > 65535 bytes).

import type { Frame } from '../capture/source.js';
import { decodeNetwork } from './packet.js';
import { DECODE_FRAGMENT, DECODE_NOT_TCP, type PacketView } from './view.js';

/** Datagrams being reassembled at once. */
export const REASSEMBLY_SLOTS = 1024;
/**
 * Bytes of each datagram's payload kept: enough for a TCP header with options (60), an ICMP error's quote
 * (8 + 60 + 8, or IPv6's 8 + 40 + extension headers + 8), or a tunnel's headers and the packet inside.
 */
export const REASSEMBLY_PREFIX = 512;
/** Fragments of one datagram held at most (a 65535-byte datagram in 1500-byte pieces is 45). */
export const MAX_PIECES = 64;
/** Seconds of capture time a datagram may wait for its missing pieces. */
export const REASSEMBLY_TIMEOUT = 30;
/** Bytes of fragment copies kept for --evidence at most, over all slots. */
export const KEEP_BUDGET = 8 * 1024 * 1024;

/**
 * A fragment's frame, copied for --evidence (track/'s KeptPacket is this shape): its own bytes, whole
 * (offset 0, caplen their length), so that it is what the evidence writers write.
 */
export interface FragmentPart {
  readonly number: number;
  /** The input it was read from, and its place in the timeline of all inputs (evidence order). */
  readonly fileIndex: number;
  readonly seq: number;
  readonly tsSec: number;
  readonly tsNsec: number;
  readonly linkType: number;
  readonly origLen: number;
  readonly data: Buffer;
  readonly offset: 0;
  readonly caplen: number;
}

/** A kept copy of `frame`, the `seq`th packet of the timeline: its own bytes and its record's fields. */
export function copyOfFrame(frame: Frame, seq: number): FragmentPart {
  const data = Buffer.allocUnsafe(frame.caplen);
  frame.data.copy(data, 0, frame.offset, frame.offset + frame.caplen);
  return {
    number: frame.number,
    fileIndex: frame.fileIndex,
    seq,
    tsSec: frame.tsSec,
    tsNsec: frame.tsNsec,
    linkType: frame.linkType,
    origLen: frame.origLen,
    data,
    offset: 0,
    caplen: frame.caplen,
  };
}

/** The frames a reassembled packet was made of, in timeline order; reused for every datagram. */
export class FragmentFrames {
  count = 0;
  readonly numbers: number[] = [];
  /** The input of each (frame numbers count per input). */
  readonly files: number[] = [];
  /** Their copies, when evidence is kept; empty otherwise. */
  readonly packets: FragmentPart[] = [];
}

const NO_SLOT = -1;
const EMPTY = Buffer.alloc(0);
const BUCKETS = REASSEMBLY_SLOTS * 2;
const HEADER_MAX = 60;
/** Scratch layout: outer tunnel addresses (2 × 16), then the IP header, then the payload prefix. */
const SCRATCH_IP = 32;

export class Reassembler {
  private readonly keepPackets: boolean;
  // Per slot, as typed arrays indexed by slot number (no object per datagram).
  private used = new Uint8Array(0);
  private version = new Uint8Array(0);
  private proto = new Uint8Array(0);
  private ident = new Float64Array(0);
  private tunnelKey = new Float64Array(0);
  private hash = new Int32Array(0);
  private firstTime = new Float64Array(0);
  /** Length of the whole payload once the last piece (MF = 0) came; -1 before. */
  private total = new Int32Array(0);
  /** Bytes of payload held (pieces never overlap, so complete when it equals total). */
  private have = new Int32Array(0);
  private pieces = new Int32Array(0);
  private pieceStart = new Int32Array(0);
  private pieceEnd = new Int32Array(0);
  private frames = new Float64Array(0);
  private frameFiles = new Int32Array(0);
  private headerLen = new Uint8Array(0);
  /**
   * Addresses (src then dst, 16 bytes each) for the key; the first piece's IP header; the payload prefix and
   * which of its bytes were captured.
   */
  private addrs = EMPTY;
  private headers = EMPTY;
  private data = EMPTY;
  private captured = new Uint8Array(0);
  private kept: (FragmentPart[] | null)[] = [];
  private keptBytes = 0;
  // Hash chains and the age list (oldest first), through slot numbers.
  private buckets = new Int32Array(0);
  private chainNext = new Int32Array(0);
  private ageNext = new Int32Array(0);
  private agePrev = new Int32Array(0);
  private oldest = NO_SLOT;
  private newest = NO_SLOT;
  private readonly free: number[] = [];
  private readonly scratch = Buffer.alloc(SCRATCH_IP + HEADER_MAX + REASSEMBLY_PREFIX);
  /** The frames of the datagram completed by the last add() that returned a decode status. */
  readonly parts = new FragmentFrames();

  /** Fragments taken in, datagrams completed, and what was given up (see the header). */
  fragments = 0;
  reassembled = 0;
  overlapping = 0;
  incomplete = 0;
  inconsistent = 0;

  constructor(keepPackets: boolean) {
    this.keepPackets = keepPackets;
  }

  /**
   * The slots, allocated with the first fragment (about 2.7 MiB): a capture without fragments pays nothing
   * for them, and after that their size never changes.
   */
  private allocate(): void {
    this.used = new Uint8Array(REASSEMBLY_SLOTS);
    this.version = new Uint8Array(REASSEMBLY_SLOTS);
    this.proto = new Uint8Array(REASSEMBLY_SLOTS);
    this.ident = new Float64Array(REASSEMBLY_SLOTS);
    this.tunnelKey = new Float64Array(REASSEMBLY_SLOTS);
    this.hash = new Int32Array(REASSEMBLY_SLOTS);
    this.firstTime = new Float64Array(REASSEMBLY_SLOTS);
    this.total = new Int32Array(REASSEMBLY_SLOTS);
    this.have = new Int32Array(REASSEMBLY_SLOTS);
    this.pieces = new Int32Array(REASSEMBLY_SLOTS);
    this.pieceStart = new Int32Array(REASSEMBLY_SLOTS * MAX_PIECES);
    this.pieceEnd = new Int32Array(REASSEMBLY_SLOTS * MAX_PIECES);
    this.frames = new Float64Array(REASSEMBLY_SLOTS * MAX_PIECES);
    this.frameFiles = new Int32Array(REASSEMBLY_SLOTS * MAX_PIECES);
    this.headerLen = new Uint8Array(REASSEMBLY_SLOTS);
    this.addrs = Buffer.alloc(REASSEMBLY_SLOTS * 32);
    this.headers = Buffer.alloc(REASSEMBLY_SLOTS * HEADER_MAX);
    this.data = Buffer.alloc(REASSEMBLY_SLOTS * REASSEMBLY_PREFIX);
    this.captured = new Uint8Array(REASSEMBLY_SLOTS * REASSEMBLY_PREFIX);
    this.kept = new Array<FragmentPart[] | null>(REASSEMBLY_SLOTS).fill(null);
    this.buckets = new Int32Array(BUCKETS).fill(NO_SLOT);
    this.chainNext = new Int32Array(REASSEMBLY_SLOTS).fill(NO_SLOT);
    this.ageNext = new Int32Array(REASSEMBLY_SLOTS).fill(NO_SLOT);
    this.agePrev = new Int32Array(REASSEMBLY_SLOTS).fill(NO_SLOT);
    for (let i = REASSEMBLY_SLOTS - 1; i >= 0; i--) this.free.push(i);
  }

  /**
   * Takes the fragment decodePacket() described in `view` (frame `frame`, at place `seq` of the timeline:
   * any number that grows with capture order). Returns DECODE_FRAGMENT while its
   * datagram waits for more; when this piece completes it, the status of decoding the reassembled datagram
   * (DECODE_OK: the view holds its TCP segment or ICMP error, with view.buf the scratch buffer, and `parts`
   * its frames).
   */
  add(frame: Frame, view: PacketView, seq: number): number {
    if (this.used.length === 0) this.allocate();
    this.fragments++;
    const now = frame.tsSec + frame.tsNsec * 1e-9;
    this.expire(now);
    const buf = view.buf;
    const len = view.addrLen;
    const start = view.fragOffset;
    const end = start + (view.fragDataEnd - view.fragDataOff);
    if (end <= start || end > 0xffff) {
      this.inconsistent++;
      return DECODE_FRAGMENT;
    }
    const h = this.keyHash(buf, view);
    let s = this.find(h, buf, view);
    if (s === NO_SLOT) s = this.open(h, buf, view, now);

    // Where this piece goes among the others: a copy of one held, an overlap, or new.
    const base = s * MAX_PIECES;
    const n = this.pieces[s];
    let copy = false;
    for (let i = 0; i < n; i++) {
      const ps = this.pieceStart[base + i];
      const pe = this.pieceEnd[base + i];
      if (ps === start && pe === end) {
        copy = true;
        break;
      }
      if (start < pe && ps < end) {
        this.overlapping++;
        this.close(s);
        return DECODE_FRAGMENT;
      }
    }
    if (n >= MAX_PIECES) {
      this.inconsistent++;
      this.close(s);
      return DECODE_FRAGMENT;
    }
    if (view.fragMore === 0) {
      if (this.total[s] >= 0 && this.total[s] !== end) {
        this.inconsistent++;
        this.close(s);
        return DECODE_FRAGMENT;
      }
      this.total[s] = end;
    }
    const total = this.total[s];
    if (total >= 0 && end > total) {
      this.inconsistent++;
      this.close(s);
      return DECODE_FRAGMENT;
    }
    this.pieceStart[base + n] = copy ? -1 : start; // a copy lists its frame, adds no bytes
    this.pieceEnd[base + n] = copy ? -1 : end;
    this.frames[base + n] = frame.number;
    this.frameFiles[base + n] = frame.fileIndex;
    this.pieces[s] = n + 1;
    if (this.keepPackets) this.keep(s, frame, seq);
    if (copy) return DECODE_FRAGMENT;
    this.have[s] += end - start;

    // The bytes inside the prefix window, as far as they were captured.
    if (start < REASSEMBLY_PREFIX) {
      const frameEnd = frame.offset + frame.caplen;
      const capEnd = view.fragDataEnd < frameEnd ? view.fragDataEnd : frameEnd;
      const stop = Math.min(end, REASSEMBLY_PREFIX, start + (capEnd - view.fragDataOff));
      const d = s * REASSEMBLY_PREFIX;
      for (let i = start, p = view.fragDataOff; i < stop; i++, p++) {
        this.data[d + i] = buf[p]!;
        this.captured[d + i] = 1;
      }
    }
    if (start === 0) {
      // The first piece's header becomes the datagram's: IPv4's own (with options), IPv6's fixed 40 bytes.
      const hl = len === 4 ? view.fragDataOff - view.ipOff : 40;
      buf.copy(this.headers, s * HEADER_MAX, view.ipOff, view.ipOff + hl);
      this.headerLen[s] = hl;
    }
    if (total < 0 || this.have[s] !== total) return DECODE_FRAGMENT;
    return this.complete(s, view);
  }

  /** Adds the counts that are not zero to `into`, by anomaly name; datagrams still waiting count as incomplete. */
  addAnomalies(into: Record<string, number>): void {
    let waiting = 0;
    for (let s = 0; s < this.used.length; s++) waiting += this.used[s]!;
    const counts: [string, number][] = [
      ['fragments_overlapping', this.overlapping],
      ['fragments_incomplete', this.incomplete + waiting],
      ['fragments_inconsistent', this.inconsistent],
    ];
    for (const [k, n] of counts) if (n > 0) into[k] = (into[k] ?? 0) + n;
  }

  // ---------------------------------------------------------------- slots

  private keyHash(buf: Buffer, view: PacketView): number {
    let h = 0x811c9dc5;
    const len = view.addrLen;
    for (let i = 0; i < len; i++) h = Math.imul(h ^ buf[view.srcOff + i]!, 0x01000193);
    for (let i = 0; i < len; i++) h = Math.imul(h ^ buf[view.dstOff + i]!, 0x01000193);
    h = Math.imul(h ^ (view.fragId & 0xffff), 0x01000193);
    h = Math.imul(h ^ (view.fragId >>> 16), 0x01000193);
    h = Math.imul(h ^ view.fragProto, 0x01000193);
    h = Math.imul(h ^ (view.tunnelKey % 0x7fffffff), 0x01000193);
    return (h >>> 0) % BUCKETS;
  }

  /**
   * The slot of the datagram the fragment belongs to: RFC 791's (source, destination, protocol,
   * identification), RFC 8200's (source, destination, identification), and the tunnel.
   */
  private find(h: number, buf: Buffer, view: PacketView): number {
    const len = view.addrLen;
    const v = len === 4 ? 4 : 6;
    for (let s = this.buckets[h]!; s !== NO_SLOT; s = this.chainNext[s]!) {
      if (this.version[s] !== v || this.ident[s] !== view.fragId || this.tunnelKey[s] !== view.tunnelKey) continue;
      if (v === 4 && this.proto[s] !== view.fragProto) continue;
      const a = s * 32;
      let same = true;
      for (let i = 0; i < len && same; i++) {
        if (this.addrs[a + i] !== buf[view.srcOff + i] || this.addrs[a + 16 + i] !== buf[view.dstOff + i]) same = false;
      }
      if (same) return s;
    }
    return NO_SLOT;
  }

  private open(h: number, buf: Buffer, view: PacketView, now: number): number {
    if (this.free.length === 0) {
      this.incomplete++;
      this.close(this.oldest);
    }
    const s = this.free.pop()!;
    const len = view.addrLen;
    this.used[s] = 1;
    this.version[s] = len === 4 ? 4 : 6;
    this.proto[s] = view.fragProto;
    this.ident[s] = view.fragId;
    this.tunnelKey[s] = view.tunnelKey;
    this.hash[s] = h;
    this.firstTime[s] = now;
    this.total[s] = -1;
    this.have[s] = 0;
    this.pieces[s] = 0;
    this.headerLen[s] = 0;
    buf.copy(this.addrs, s * 32, view.srcOff, view.srcOff + len);
    buf.copy(this.addrs, s * 32 + 16, view.dstOff, view.dstOff + len);
    this.captured.fill(0, s * REASSEMBLY_PREFIX, (s + 1) * REASSEMBLY_PREFIX);
    this.chainNext[s] = this.buckets[h]!;
    this.buckets[h] = s;
    this.agePrev[s] = this.newest;
    this.ageNext[s] = NO_SLOT;
    if (this.newest !== NO_SLOT) this.ageNext[this.newest] = s;
    else this.oldest = s;
    this.newest = s;
    return s;
  }

  private close(s: number): void {
    const h = this.hash[s]!;
    if (this.buckets[h] === s) {
      this.buckets[h] = this.chainNext[s]!;
    } else {
      let p = this.buckets[h]!;
      while (this.chainNext[p] !== s) p = this.chainNext[p]!;
      this.chainNext[p] = this.chainNext[s]!;
    }
    const prev = this.agePrev[s]!;
    const next = this.ageNext[s]!;
    if (prev !== NO_SLOT) this.ageNext[prev] = next;
    else this.oldest = next;
    if (next !== NO_SLOT) this.agePrev[next] = prev;
    else this.newest = prev;
    const kept = this.kept[s];
    if (kept !== null && kept !== undefined) {
      for (const k of kept) this.keptBytes -= k.data.length;
      this.kept[s] = null;
    }
    this.used[s] = 0;
    this.free.push(s);
  }

  private expire(now: number): void {
    while (this.oldest !== NO_SLOT && this.firstTime[this.oldest]! + REASSEMBLY_TIMEOUT <= now) {
      this.incomplete++;
      this.close(this.oldest);
    }
  }

  private keep(s: number, frame: Frame, seq: number): void {
    if (this.keptBytes + frame.caplen > KEEP_BUDGET) return;
    this.keptBytes += frame.caplen;
    let list = this.kept[s];
    if (list === null || list === undefined) {
      list = [];
      this.kept[s] = list;
    }
    list.push(copyOfFrame(frame, seq));
  }

  // ---------------------------------------------------------------- the reassembled datagram

  /** Lays the datagram out in the scratch buffer, decodes it into the view, lists its frames, frees the slot. */
  private complete(s: number, view: PacketView): number {
    this.reassembled++;
    const sc = this.scratch;
    const total = this.total[s]!;
    // The tunnel's outer addresses still point into the frame: copy them along.
    if (view.outerAddrLen !== 0) {
      const b = view.buf;
      const ol = view.outerAddrLen;
      b.copy(sc, 0, view.outerSrcOff, view.outerSrcOff + ol);
      b.copy(sc, 16, view.outerDstOff, view.outerDstOff + ol);
      view.outerSrcOff = 0;
      view.outerDstOff = 16;
    }
    const hl = this.headerLen[s]!;
    this.headers.copy(sc, SCRATCH_IP, s * HEADER_MAX, s * HEADER_MAX + hl);
    if (this.version[s] === 4) {
      // Total Length of the whole datagram; no More Fragments, offset 0.
      const tl = hl + total;
      sc[SCRATCH_IP + 2] = tl >> 8;
      sc[SCRATCH_IP + 3] = tl & 0xff;
      sc[SCRATCH_IP + 6] = 0;
      sc[SCRATCH_IP + 7] = 0;
    } else {
      // The fixed header only (the unfragmentable extension headers are not needed), the Fragment header's Next Header.
      sc[SCRATCH_IP + 4] = total >> 8;
      sc[SCRATCH_IP + 5] = total & 0xff;
      sc[SCRATCH_IP + 6] = this.proto[s]!;
    }
    // The captured bytes of the prefix, up to the first one the capture cut (a snaplen).
    const d = s * REASSEMBLY_PREFIX;
    const want = total < REASSEMBLY_PREFIX ? total : REASSEMBLY_PREFIX;
    let c = 0;
    while (c < want && this.captured[d + c] === 1) c++;
    this.data.copy(sc, SCRATCH_IP + hl, d, d + c);

    // The frames in the order they were captured (the order add() took them, whatever their offsets).
    const parts = this.parts;
    const base = s * MAX_PIECES;
    const n = this.pieces[s]!;
    parts.count = n;
    for (let i = 0; i < n; i++) {
      parts.numbers[i] = this.frames[base + i]!;
      parts.files[i] = this.frameFiles[base + i]!;
    }
    parts.packets.length = 0;
    const kept = this.kept[s];
    if (kept !== null && kept !== undefined) {
      for (const k of kept) parts.packets.push(k);
      for (const k of kept) this.keptBytes -= k.data.length;
      this.kept[s] = null;
    }
    this.close(s);

    view.buf = sc;
    const st = decodeNetwork(sc, SCRATCH_IP, SCRATCH_IP + hl + c, view);
    // A fragment inside the reassembled datagram (fragments in a fragmented tunnel) is not followed.
    return st === DECODE_FRAGMENT ? DECODE_NOT_TCP : st;
  }
}
