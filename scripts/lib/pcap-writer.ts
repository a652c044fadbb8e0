// Streams a classic pcap file (microsecond timestamps, little-endian) to disk through one
// reused 1 MiB buffer and synchronous writes: memory stays flat however many packets go in.

import { closeSync, openSync, writeSync } from 'node:fs';

export const LINKTYPE_ETHERNET = 1;
const BUFFER_BYTES = 1 << 20;

export class PcapWriter {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(BUFFER_BYTES);
  private pos = 0;
  private readonly snaplen: number;
  /** Bytes written so far (header and records). */
  bytes = 0;
  packets = 0;

  constructor(path: string, snaplen = 262144, linkType = LINKTYPE_ETHERNET) {
    this.fd = openSync(path, 'w');
    this.snaplen = snaplen;
    const h = this.buf;
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeInt32LE(0, 8); // thiszone
    h.writeUInt32LE(0, 12); // sigfigs
    h.writeUInt32LE(snaplen, 16);
    h.writeUInt32LE(linkType, 20);
    this.pos = 24;
  }

  /** Appends one record: `len` bytes of `data` from offset 0, cut to the snaplen. */
  write(tsSec: number, tsUsec: number, data: Buffer, len: number): void {
    const caplen = len < this.snaplen ? len : this.snaplen;
    if (this.pos + 16 + caplen > BUFFER_BYTES) this.flush();
    const b = this.buf;
    b.writeUInt32LE(tsSec, this.pos);
    b.writeUInt32LE(tsUsec, this.pos + 4);
    b.writeUInt32LE(caplen, this.pos + 8);
    b.writeUInt32LE(len, this.pos + 12);
    data.copy(b, this.pos + 16, 0, caplen);
    this.pos += 16 + caplen;
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
