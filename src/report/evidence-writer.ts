// Writes the --evidence capture: classic pcap for one link type, pcapng (one IDB per link type) for several,
// streamed through a small buffer into a temp file renamed over the target on close. Choosing the packets is the caller's job.

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CaptureFormatError, UsageError } from '../errors.js';

/** What the writer needs of a packet: Frame's fields (a Frame itself fits), bytes at data[offset, offset + caplen). */
export interface EvidenceFrame {
  readonly tsSec: number;
  readonly tsNsec: number;
  readonly linkType: number;
  readonly caplen: number;
  readonly origLen: number;
  readonly data: Buffer;
  readonly offset: number;
}

export interface EvidenceWriter {
  /** The target path, as given. */
  readonly path: string;
  readonly format: 'pcap' | 'pcapng';
  /** Packets written so far. */
  readonly packets: number;
  /**
   * Appends one packet (its bytes are copied out before this returns). Throws a plain Error when a packet's
   * link type does not fit a classic pcap writer, CaptureFormatError (E_CAPTURE_IO) when the disk fails;
   * after a throw the temp file is already removed.
   */
  write(frame: EvidenceFrame): void;
  /** Flushes, syncs and renames the temp file over the target. */
  close(): Promise<void>;
  /** Removes the temp file; the target is left as it was. */
  abort(): Promise<void>;
}

/**
 * Snaplen written to headers and applied to packets: libpcap's MAXIMUM_SNAPLEN, what tcpdump writes by
 * default. libpcap and Wireshark reject records with more captured bytes, so a longer packet (pcapng
 * allows them) is stored snapped to it, its original length kept.
 */
export const EVIDENCE_SNAPLEN = 262144;
const BUFFER_BYTES = 64 * 1024;

/**
 * Opens an evidence writer on `path`: classic pcap when `linkTypes` has exactly one entry, pcapng otherwise
 * (an IDB per link type; a packet of a link type not listed adds its IDB on the fly). Timestamps keep
 * nanoseconds when `nanosecond` (pcap magic a1b23c4d; pcapng if_tsresol 9), else microseconds.
 *
 * Rejects with UsageError when `path` is one of `inputs` (same real path, or the same file through a
 * hard link; "refusing to overwrite the input capture <input>") or a directory, and with
 * CaptureFormatError (E_CAPTURE_IO, naming `path`) when the temp file cannot be created. Messages leave
 * out the option name: the CLI prefixes "--evidence <path>: ".
 */
export async function createEvidenceWriter(
  path: string,
  linkTypes: readonly number[],
  nanosecond: boolean,
  inputs: readonly string[] = [],
): Promise<EvidenceWriter> {
  refuseInputs(path, inputs);
  const distinct = [...new Set(linkTypes)];
  const sink = FileSink.create(path);
  try {
    if (distinct.length === 1) return new PcapWriter(sink, distinct[0]!, nanosecond);
    return new PcapngWriter(sink, distinct, nanosecond);
  } catch (err) {
    sink.discard();
    throw err;
  }
}

/**
 * Refuses (UsageError) a target that is a directory or would replace one of the inputs. The CLI asks
 * before reading anything, so such a run stops at once instead of after the whole analysis.
 */
export function refuseInputs(path: string, inputs: readonly string[]): void {
  const target = statOrNull(path);
  if (target !== null && target.isDirectory()) throw new UsageError(`${path} is a directory`);
  const targetReal = realTarget(path);
  for (const input of inputs) {
    if (input === '-') continue;
    const st = statOrNull(input);
    const sameInode = st !== null && target !== null && st.dev === target.dev && st.ino === target.ino;
    let sameReal = false;
    try {
      sameReal = realpathSync(input) === targetReal;
    } catch {
      sameReal = resolve(input) === targetReal;
    }
    if (sameInode || sameReal) throw new UsageError(`refusing to overwrite the input capture ${input}`);
  }
}

/** The real path the target will have: realpath of the file, or of its directory for a new file. */
function realTarget(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    try {
      return join(realpathSync(dirname(path)), basename(path));
    } catch {
      return resolve(path);
    }
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** A temp file beside the target, written through one reused buffer, renamed over the target on commit. */
class FileSink {
  readonly path: string;
  private readonly temp: string;
  private fd: number;
  private readonly buf = Buffer.allocUnsafe(BUFFER_BYTES);
  private used = 0;
  private open = true;

  private constructor(path: string, temp: string, fd: number) {
    this.path = path;
    this.temp = temp;
    this.fd = fd;
  }

  static create(path: string): FileSink {
    const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      return new FileSink(path, temp, openSync(temp, 'wx', 0o644));
    } catch (err) {
      throw writeError(path, err);
    }
  }

  /** Room for `n` bytes in the buffer (flushing first if needed); returns the offset to write at. */
  reserve(n: number): number {
    if (this.used + n > this.buf.length) this.flush();
    const at = this.used;
    this.used += n;
    return at;
  }

  get buffer(): Buffer {
    return this.buf;
  }

  /** Appends raw bytes (packet data), bypassing the buffer when they are large. */
  bytes(data: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n > this.buf.length - this.used) {
      this.flush();
      if (n > this.buf.length) {
        this.writeAll(data, start, n);
        return;
      }
    }
    data.copy(this.buf, this.used, start, end);
    this.used += n;
  }

  flush(): void {
    if (this.used > 0) this.writeAll(this.buf, 0, this.used);
    this.used = 0;
  }

  commit(): void {
    if (!this.open) throw new Error(`evidence writer for ${this.path} is already closed`);
    try {
      this.flush();
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.open = false;
      renameSync(this.temp, this.path);
    } catch (err) {
      this.discard();
      throw writeError(this.path, err);
    }
  }

  discard(): void {
    if (this.open) {
      this.open = false;
      try {
        closeSync(this.fd);
      } catch {
        // already unusable: removing the temp file is what matters
      }
    }
    try {
      unlinkSync(this.temp);
    } catch {
      // never created or already renamed
    }
  }

  private writeAll(data: Buffer, start: number, n: number): void {
    if (!this.open) throw new Error(`evidence writer for ${this.path} is already closed`);
    try {
      let done = 0;
      while (done < n) done += writeSync(this.fd, data, start + done, n - done);
    } catch (err) {
      this.discard();
      throw writeError(this.path, err);
    }
  }
}

function writeError(path: string, err: unknown): CaptureFormatError {
  const detail = err instanceof Error ? err.message : String(err);
  return new CaptureFormatError(path, -1, `cannot write evidence (${detail})`, { cause: err, code: 'E_CAPTURE_IO' });
}

/** Classic pcap, little-endian, version 2.4, one link type. */
export class PcapWriter implements EvidenceWriter {
  readonly format = 'pcap' as const;
  readonly linkType: number;
  readonly nanosecond: boolean;
  packets = 0;
  private readonly sink: FileSink;

  /** Use createEvidenceWriter(); this writes the 24-byte file header at once. */
  constructor(sink: FileSink, linkType: number, nanosecond: boolean) {
    this.sink = sink;
    this.linkType = linkType;
    this.nanosecond = nanosecond;
    const at = sink.reserve(24);
    const b = sink.buffer;
    b.writeUInt32LE(nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, at);
    b.writeUInt16LE(2, at + 4);
    b.writeUInt16LE(4, at + 6);
    b.writeInt32LE(0, at + 8); // thiszone: always 0 (UTC)
    b.writeUInt32LE(0, at + 12); // sigfigs: always 0
    b.writeUInt32LE(EVIDENCE_SNAPLEN, at + 16);
    b.writeUInt32LE(linkType & 0xffff, at + 20);
  }

  get path(): string {
    return this.sink.path;
  }

  write(frame: EvidenceFrame): void {
    if (frame.linkType !== this.linkType) {
      this.sink.discard();
      throw new Error(`evidence: a classic pcap holds one link type (${this.linkType}); got a packet of link type ${frame.linkType}`);
    }
    if (frame.tsSec < 0 || frame.tsSec > 0xffffffff) {
      this.sink.discard();
      throw new Error(`evidence: timestamp ${frame.tsSec} s does not fit a classic pcap record`);
    }
    const caplen = Math.min(frame.caplen, EVIDENCE_SNAPLEN);
    const at = this.sink.reserve(16);
    const b = this.sink.buffer;
    b.writeUInt32LE(frame.tsSec, at);
    b.writeUInt32LE(this.nanosecond ? frame.tsNsec : Math.floor(frame.tsNsec / 1000), at + 4);
    b.writeUInt32LE(caplen, at + 8);
    b.writeUInt32LE(frame.origLen, at + 12);
    this.sink.bytes(frame.data, frame.offset, frame.offset + caplen);
    this.packets++;
  }

  async close(): Promise<void> {
    this.sink.commit();
  }

  async abort(): Promise<void> {
    this.sink.discard();
  }
}

/** Minimal pcapng, little-endian: one SHB, one IDB per link type, EPBs. */
export class PcapngWriter implements EvidenceWriter {
  readonly format = 'pcapng' as const;
  readonly nanosecond: boolean;
  packets = 0;
  /** Interface id of each link type (its IDB's position). */
  private readonly ids = new Map<number, number>();
  private readonly sink: FileSink;

  /** Use createEvidenceWriter(); this writes the SHB and the IDBs at once. */
  constructor(sink: FileSink, linkTypes: readonly number[], nanosecond: boolean) {
    this.sink = sink;
    this.nanosecond = nanosecond;
    // SHB: type, length 28, byte-order magic, version 1.0, section length -1 (unknown), no options.
    const at = sink.reserve(28);
    const b = sink.buffer;
    b.writeUInt32LE(0x0a0d0d0a, at);
    b.writeUInt32LE(28, at + 4);
    b.writeUInt32LE(0x1a2b3c4d, at + 8);
    b.writeUInt16LE(1, at + 12);
    b.writeUInt16LE(0, at + 14);
    b.writeBigInt64LE(-1n, at + 16);
    b.writeUInt32LE(28, at + 24);
    for (const lt of linkTypes) this.addInterface(lt);
  }

  get path(): string {
    return this.sink.path;
  }

  write(frame: EvidenceFrame): void {
    let id = this.ids.get(frame.linkType);
    // Spec: an IDB must precede the blocks that refer to it, and may come after other packets.
    if (id === undefined) id = this.addInterface(frame.linkType);
    const caplen = Math.min(frame.caplen, EVIDENCE_SNAPLEN);
    const pad = (4 - (caplen % 4)) % 4;
    const len = 32 + caplen + pad;
    // Timestamp: one 64-bit count of units (ns or µs) split into high and low 32-bit words.
    const ts = this.nanosecond
      ? BigInt(frame.tsSec) * 1_000_000_000n + BigInt(frame.tsNsec)
      : BigInt(frame.tsSec) * 1_000_000n + BigInt(Math.floor(frame.tsNsec / 1000));
    if (ts < 0n || ts >= 1n << 64n) {
      this.sink.discard();
      throw new Error(`evidence: timestamp ${frame.tsSec} s does not fit a pcapng timestamp`);
    }
    const at = this.sink.reserve(28);
    const b = this.sink.buffer;
    b.writeUInt32LE(6, at);
    b.writeUInt32LE(len, at + 4);
    b.writeUInt32LE(id, at + 8);
    b.writeUInt32LE(Number(ts >> 32n), at + 12);
    b.writeUInt32LE(Number(ts & 0xffffffffn), at + 16);
    b.writeUInt32LE(caplen, at + 20);
    b.writeUInt32LE(frame.origLen, at + 24);
    this.sink.bytes(frame.data, frame.offset, frame.offset + caplen);
    const tail = this.sink.reserve(pad + 4);
    b.fill(0, tail, tail + pad);
    b.writeUInt32LE(len, tail + pad);
    this.packets++;
  }

  async close(): Promise<void> {
    this.sink.commit();
  }

  async abort(): Promise<void> {
    this.sink.discard();
  }

  /** IDB: link type, reserved, snaplen, if_tsresol 9 when nanosecond, opt_endofopt. */
  private addInterface(linkType: number): number {
    const id = this.ids.size;
    this.ids.set(linkType, id);
    const len = this.nanosecond ? 32 : 24;
    const at = this.sink.reserve(len);
    const b = this.sink.buffer;
    b.writeUInt32LE(1, at);
    b.writeUInt32LE(len, at + 4);
    b.writeUInt16LE(linkType & 0xffff, at + 8);
    b.writeUInt16LE(0, at + 10);
    b.writeUInt32LE(EVIDENCE_SNAPLEN, at + 12);
    let o = at + 16;
    if (this.nanosecond) {
      b.writeUInt16LE(9, o); // if_tsresol
      b.writeUInt16LE(1, o + 2);
      b.writeUInt32LE(9, o + 4); // value 9 (10^-9 s) and three bytes of padding
      o += 8;
    }
    b.writeUInt32LE(0, o); // opt_endofopt
    b.writeUInt32LE(len, o + 4);
    return id;
  }
}
