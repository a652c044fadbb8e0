// Classic pcap written out (little-endian, version 2.4): the file header and record header encodings, which
// the --evidence writer (report/evidence-writer.ts) fills into its own buffer, and PcapFileWriter, a plain
// synchronous file writer on the same encodings for generated captures (benchmarks, crafted captures, tests).

import { closeSync, openSync, writeSync } from 'node:fs';
import {
  PCAP_FILE_HEADER_BYTES,
  PCAP_MAGIC_NS_BE,
  PCAP_MAGIC_US_BE,
  PCAP_MAX_CAPLEN,
  PCAP_RECORD_HEADER_BYTES,
} from './pcap.js';
import { LINKTYPE_ETHERNET } from './source.js';

/**
 * Writes the 24-byte file header at `at` and returns the offset after it. The magic is written in the
 * writer's (little-endian) byte order, so a reader sees a1b2c3d4 (µs) or a1b23c4d (ns) in its own order.
 */
export function putPcapFileHeader(
  buf: Buffer,
  at: number,
  linkType: number,
  snaplen: number,
  nanosecond: boolean,
): number {
  buf.writeUInt32LE(nanosecond ? PCAP_MAGIC_NS_BE : PCAP_MAGIC_US_BE, at);
  buf.writeUInt16LE(2, at + 4); // version 2.4
  buf.writeUInt16LE(4, at + 6);
  buf.writeInt32LE(0, at + 8); // thiszone: always 0 (UTC)
  buf.writeUInt32LE(0, at + 12); // sigfigs: always 0
  buf.writeUInt32LE(snaplen, at + 16);
  buf.writeUInt32LE(linkType & 0xffff, at + 20); // the upper 16 bits hold FCS flags, never set here
  return at + PCAP_FILE_HEADER_BYTES;
}

/**
 * Writes a 16-byte record header at `at` (`tsSub`: µs or ns, as the file header says) and returns the
 * offset where its `caplen` packet bytes go.
 */
export function putPcapRecordHeader(
  buf: Buffer,
  at: number,
  tsSec: number,
  tsSub: number,
  caplen: number,
  origLen: number,
): number {
  buf.writeUInt32LE(tsSec, at);
  buf.writeUInt32LE(tsSub, at + 4);
  buf.writeUInt32LE(caplen, at + 8);
  buf.writeUInt32LE(origLen, at + 12);
  return at + PCAP_RECORD_HEADER_BYTES;
}

const FILE_BUFFER_BYTES = 1 << 20;

/**
 * A microsecond classic pcap streamed to `path` through one reused 1 MiB buffer and synchronous writes:
 * memory stays flat however many packets go in. Overwrites `path`; no temp file, no fsync.
 */
export class PcapFileWriter {
  /** Bytes written to the file so far (header and records). */
  bytes = 0;
  packets = 0;
  readonly snaplen: number;
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(FILE_BUFFER_BYTES);
  private pos: number;

  constructor(path: string, snaplen = PCAP_MAX_CAPLEN, linkType = LINKTYPE_ETHERNET) {
    this.fd = openSync(path, 'w');
    this.snaplen = snaplen;
    this.pos = putPcapFileHeader(this.buf, 0, linkType, snaplen, false);
  }

  /** Appends one record: `len` bytes of `data` from offset 0, cut to the snaplen. */
  write(tsSec: number, tsUsec: number, data: Buffer, len: number): void {
    const caplen = len < this.snaplen ? len : this.snaplen;
    if (this.pos + PCAP_RECORD_HEADER_BYTES + caplen > FILE_BUFFER_BYTES) this.flush();
    const at = putPcapRecordHeader(this.buf, this.pos, tsSec, tsUsec, caplen, len);
    data.copy(this.buf, at, 0, caplen);
    this.pos = at + caplen;
    this.packets++;
  }

  flush(): void {
    let off = 0;
    while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
    this.bytes += this.pos;
    this.pos = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
