// Classic pcap reader (libpcap savefile): µs and ns magic, either byte order, frames into one reused Frame.
// Format detection and opening belong to open.ts; what the frame bytes mean belongs to decode/.

import { CaptureFormatError } from '../errors.js';
import { Frame, ignoreFrame, linkTypeOfDlt, type FrameHandler, type PullSource } from './source.js';
import type { ByteWindow } from './window.js';

/** Magic numbers as read big-endian from the first 4 bytes of the file. */
export const PCAP_MAGIC_US_BE = 0xa1b2c3d4;
export const PCAP_MAGIC_US_LE = 0xd4c3b2a1;
export const PCAP_MAGIC_NS_BE = 0xa1b23c4d;
export const PCAP_MAGIC_NS_LE = 0x4d3cb2a1;

export const PCAP_FILE_HEADER_BYTES = 24;
export const PCAP_RECORD_HEADER_BYTES = 16;
/**
 * The largest caplen accepted, whatever the header's snaplen says: libpcap's MAXIMUM_SNAPLEN (262144),
 * above which libpcap itself rejects a record ("invalid packet capture length"). A damaged or fuzzed
 * caplen of 0x7ffffff0 is rejected here before anything is allocated.
 */
export const PCAP_MAX_CAPLEN = 262144;

/**
 * Reads a 32-bit unsigned integer; small enough for V8 to inline in the record loop. Measured faster
 * than Buffer#readUInt32LE/BE behind the same byte-order test (pcapng: ~150 ms against ~230 ms for 1.7 M blocks).
 */
function u32(buf: Buffer, p: number, le: boolean): number {
  return le
    ? (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16)) + buf[p + 3] * 0x1000000
    : (buf[p + 3] | (buf[p + 2] << 8) | (buf[p + 1] << 16)) + buf[p] * 0x1000000;
}

function u16(buf: Buffer, p: number, le: boolean): number {
  return le ? buf[p] | (buf[p + 1] << 8) : (buf[p] << 8) | buf[p + 1];
}

/**
 * The record loop, shared by the file reader and live capture (whose binding copies packets into a
 * buffer as nanosecond little-endian records). Each record is a 16-byte header (ts_sec, ts_usec|ts_nsec,
 * caplen, len) and caplen bytes. Whole records in [pos, end) are delivered through one reused Frame;
 * the walk stops at a partial record, at a caplen above PCAP_MAX_CAPLEN (badCaplen says so) or once
 * frame number `last` is delivered. Per record: no allocation, no closure, no DataView, no subarray.
 * Measured: 1.7 M records / 138 MB in 55-80 ms from the page cache (2-core VM, Node 20), of which
 * ~30 ms is reading the file; `tcpdump -r f -w /dev/null` takes ~380 ms on the same file.
 */
export class PcapRecordWalk {
  /** The number of the latest frame delivered. */
  number = 0;
  /** The caplen that stopped the walk, above PCAP_MAX_CAPLEN; -1 when none did. */
  badCaplen = -1;
  readonly frame = new Frame();
  private le = true;
  private subUnit = 1000;
  private subLimit = 1e6;

  setFormat(littleEndian: boolean, nanosecond: boolean, linkType: number): void {
    this.le = littleEndian;
    this.subUnit = nanosecond ? 1 : 1000; // ns per unit of the second timestamp field
    this.subLimit = nanosecond ? 1e9 : 1e6;
    const f = this.frame;
    f.tsDigits = nanosecond ? 9 : 6;
    f.linkType = linkType;
    f.interfaceId = 0;
  }

  /** Delivers the whole records of buf[pos, end); returns the offset of the first one not delivered. */
  walk(buf: Buffer, pos: number, end: number, base: number, onFrame: FrameHandler, last: number): number {
    const f = this.frame;
    const le = this.le;
    const subUnit = this.subUnit;
    const subLimit = this.subLimit;
    let number = this.number;
    this.badCaplen = -1;
    f.data = buf;
    while (end - pos >= PCAP_RECORD_HEADER_BYTES && number < last) {
      const caplen = u32(buf, pos + 8, le);
      if (caplen > PCAP_MAX_CAPLEN) {
        this.badCaplen = caplen;
        break;
      }
      if (end - pos - PCAP_RECORD_HEADER_BYTES < caplen) break;
      let sec = u32(buf, pos, le);
      let sub = u32(buf, pos + 4, le);
      if (sub >= subLimit) {
        // Out-of-range fraction (writers that do not normalise): carry whole seconds.
        const carry = Math.floor(sub / subLimit);
        sec += carry;
        sub -= carry * subLimit;
      }
      f.number = ++number;
      f.tsSec = sec;
      f.tsNsec = sub * subUnit;
      f.caplen = caplen;
      f.origLen = u32(buf, pos + 12, le);
      f.offset = pos + PCAP_RECORD_HEADER_BYTES;
      f.fileOffset = base + pos;
      this.number = number;
      pos += PCAP_RECORD_HEADER_BYTES + caplen;
      onFrame(f);
    }
    return pos;
  }
}

export class PcapReader implements PullSource {
  readonly name: string;
  readonly format = 'pcap' as const;
  readonly gzip: boolean;
  readonly linkTypes: number[] = [];
  /** From the file header; 0 until `readHeader()`. */
  snaplen = 0;
  /** True for the a1b23c4d magic (nanosecond timestamps). */
  nanosecond = false;
  /** True when the file was written little-endian. */
  littleEndian = true;
  /** The window over the input (exposed for tests that check memory stays bounded). */
  readonly window: ByteWindow;
  private linkType = 0;
  private headerRead = false;
  private running = false;
  private readonly walk = new PcapRecordWalk();
  readonly frame = this.walk.frame;

  /** Packets delivered so far. */
  get packets(): number {
    return this.walk.number;
  }

  constructor(window: ByteWindow, gzip: boolean) {
    this.window = window;
    this.name = window.name;
    this.gzip = gzip;
  }

  /**
   * Reads and checks the 24-byte file header (open.ts calls this so that linkTypes is known before run()).
   *
   * Spec (draft-ietf-opsawg-pcap, "LinkType and additional information"): the link-layer type is in the
   * lower 16 bits; the upper bits carry the FCS length (bits 28-31) and its presence flag (bit 26),
   * and must be ignored by readers that do not use them.
   */
  async readHeader(): Promise<void> {
    if (this.headerRead) return;
    const w = this.window;
    const at = w.offset;
    if (!(await w.ensure(PCAP_FILE_HEADER_BYTES))) {
      throw new CaptureFormatError(this.name, at, 'truncated pcap file header');
    }
    const buf = w.buf;
    const p = w.pos;
    const magic = u32(buf, p, false);
    switch (magic) {
      case PCAP_MAGIC_US_BE:
        this.littleEndian = false;
        this.nanosecond = false;
        break;
      case PCAP_MAGIC_US_LE:
        this.littleEndian = true;
        this.nanosecond = false;
        break;
      case PCAP_MAGIC_NS_BE:
        this.littleEndian = false;
        this.nanosecond = true;
        break;
      case PCAP_MAGIC_NS_LE:
        this.littleEndian = true;
        this.nanosecond = true;
        break;
      default:
        throw new CaptureFormatError(
          this.name,
          at,
          `not a pcap capture (magic 0x${magic.toString(16).padStart(8, '0')})`,
        );
    }
    const le = this.littleEndian;
    const major = u16(buf, p + 4, le);
    const minor = u16(buf, p + 6, le);
    // libpcap reads every 2.x file; 1.x and 3+ do not exist in the wild.
    if (major !== 2) throw new CaptureFormatError(this.name, at + 4, `unsupported pcap version ${major}.${minor}`);
    this.snaplen = u32(buf, p + 16, le);
    this.linkType = linkTypeOfDlt(u32(buf, p + 20, le) & 0xffff);
    this.linkTypes.push(this.linkType);
    this.walk.setFormat(this.littleEndian, this.nanosecond, this.linkType);
    w.pos = p + PCAP_FILE_HEADER_BYTES;
    this.headerRead = true;
  }

  stop(): void {
    this.window.stop();
  }

  async run(onFrame: FrameHandler): Promise<void> {
    if (this.running) throw new Error(`${this.name}: run() called twice`);
    this.running = true;
    try {
      await this.readHeader();
      do this.scan(onFrame, false);
      while (await this.more());
    } finally {
      await this.window.close();
    }
  }

  pull(): boolean {
    return this.scan(ignoreFrame, true);
  }

  /** Reads the next record into the window: false at a clean end of file, on a record boundary. */
  async more(): Promise<boolean> {
    const w = this.window;
    const buf = w.buf;
    const pos = w.pos;
    const at = w.offset;
    const need =
      w.end - pos >= PCAP_RECORD_HEADER_BYTES
        ? PCAP_RECORD_HEADER_BYTES + u32(buf, pos + 8, this.littleEndian)
        : PCAP_RECORD_HEADER_BYTES;
    if (await w.ensure(need)) return true;
    const left = w.available;
    if (left === 0) return false;
    throw new CaptureFormatError(
      this.name,
      at,
      left < PCAP_RECORD_HEADER_BYTES ? 'truncated packet record header' : 'truncated packet record',
    );
  }

  close(): Promise<void> {
    return this.window.close();
  }

  /**
   * The records whole in the window, delivered without awaiting (with `one`, only the first: true when
   * it was), by the shared record walk.
   */
  private scan(onFrame: FrameHandler, one: boolean): boolean {
    const w = this.window;
    const walk = this.walk;
    const before = walk.number;
    const pos = walk.walk(w.buf, w.pos, w.end, w.base, onFrame, one ? before + 1 : Number.POSITIVE_INFINITY);
    w.pos = pos;
    if (walk.badCaplen >= 0) throw this.caplenError(w.base + pos, walk.badCaplen);
    return one && walk.number > before;
  }

  private caplenError(at: number, caplen: number): CaptureFormatError {
    const why =
      caplen > this.snaplen
        ? `bigger than the snaplen of ${this.snaplen}`
        : `bigger than the maximum of ${PCAP_MAX_CAPLEN}`;
    return new CaptureFormatError(this.name, at, `invalid packet record caplen ${caplen}, ${why}`);
  }
}
