// Writes the --evidence capture: classic pcap for one link type, pcapng (one IDB per link type) for several.
// Where the bytes go depends on what the target is, so that nothing the user points at is destroyed:
// - a regular file or a new path: a temp file beside it, renamed over it on close (a whole read), or,
//   for a capture that streams (live, stdin), the file itself, written as packets come, as `tcpdump -w`
//   writes, so that a killed process leaves every packet written so far;
// - a symlink: the same, through to its target (the link stays);
// - a FIFO, a character device, `-` (stdout), /dev/stdout, /dev/stderr, /dev/fd/N: written straight into it;
// - anything else (a directory, a socket, a block device): refused before anything is read.
// Choosing the packets is the caller's job.

import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants as fsConstants,
  fstatSync,
  fsyncSync,
  lstatSync,
  open as openCallback,
  openSync,
  readlinkSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  write as writeAsync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { isatty } from 'node:tty';
import { PCAP_FILE_HEADER_BYTES, PCAP_RECORD_HEADER_BYTES } from '../capture/pcap.js';
import { putPcapFileHeader, putPcapRecordHeader } from '../capture/pcap-writer.js';
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
  /** Flushes and finishes the file: renames the temp file over the target, or closes what was written into. */
  close(): Promise<void>;
  /** Gives up: a temp file is removed (the target is left as it was); what was written in place stays. */
  abort(): Promise<void>;
}

/**
 * Where --evidence goes, decided before anything is read:
 * `file` a regular file, existing or new, at this path (a symlink's target); `node` a FIFO or a character
 * device, opened and written straight into; `fd` a descriptor this process already has (stdout, /dev/fd/N).
 */
export type EvidenceTarget =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'node'; readonly path: string }
  | { readonly kind: 'fd'; readonly fd: number };

/**
 * Snaplen written to headers and applied to packets: libpcap's MAXIMUM_SNAPLEN, what tcpdump writes by
 * default. libpcap and Wireshark reject records with more captured bytes, so a longer packet (pcapng
 * allows them) is stored snapped to it, its original length kept.
 */
export const EVIDENCE_SNAPLEN = 262144;
const BUFFER_BYTES = 64 * 1024;
/**
 * A streaming writer hands what it holds to the file at most this long after a packet was written, so a
 * process killed at any moment leaves a capture that is whole up to its last flush: the buffer only ever
 * holds whole records, and each flush writes all of them.
 */
export const EVIDENCE_FLUSH_MS = 200;
/** How often a FIFO with no reader yet is tried again. */
const FIFO_RETRY_MS = 50;
/** Links followed when resolving a dangling symlink (Linux's own limit, MAXSYMLINKS). */
const MAX_LINKS = 40;
/** /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N: a descriptor this process has open. */
const FD_NAME = /^\/(?:dev\/fd|proc\/(?:self|thread-self|(\d+))\/fd)\/(\d+)$/;

/**
 * Where `path` would be written, or a UsageError (messages leave out the option name: the CLI prefixes
 * "--evidence <path>: ") for a target that must not be written: a directory, a socket, a block device,
 * a descriptor that is not open, or one of `inputs` (same file, also through a link: "refusing to
 * overwrite the input capture <input>"). Nothing is opened or created.
 */
export function evidenceTarget(path: string, inputs: readonly string[] = []): EvidenceTarget {
  const fd = fdOfName(path);
  if (fd !== null) {
    let st: Stats;
    try {
      st = fstatSync(fd);
    } catch {
      throw new UsageError(`file descriptor ${fd} is not open`);
    }
    // A descriptor may be a socket: stdout often is one (libuv's pipes are socket pairs).
    if (!st.isSocket()) refuseKind(st);
    if (isatty(fd)) throw new UsageError('is a terminal: pipe it (| tshark -r -) or name a file');
    if (st.isFile()) refuseInputs(st, inputs);
    return { kind: 'fd', fd };
  }
  const link = lstatOrNull(path);
  let st = link;
  let final = path;
  if (link !== null && link.isSymbolicLink()) {
    st = statOrNull(path);
    if (st === null) final = danglingTarget(path);
    else if (st.isFile()) final = realpathSync(path);
  }
  if (st === null) return { kind: 'file', path: final };
  refuseKind(st);
  if (st.isFIFO() || st.isCharacterDevice()) return { kind: 'node', path };
  refuseInputs(st, inputs);
  return { kind: 'file', path: final };
}

/** The descriptor `-`, /dev/stdout, /dev/stderr, /dev/fd/N or /proc/self/fd/N names, else null. */
function fdOfName(path: string): number | null {
  if (path === '-' || path === '/dev/stdout') return 1;
  if (path === '/dev/stderr') return 2;
  const m = FD_NAME.exec(path);
  if (m === null || (m[1] !== undefined && Number(m[1]) !== process.pid)) return null;
  return Number(m[2]);
}

function refuseKind(st: Stats): void {
  if (st.isFile() || st.isFIFO() || st.isCharacterDevice()) return;
  if (st.isDirectory()) throw new UsageError('is a directory');
  if (st.isSocket()) throw new UsageError('is a socket (give a file, a FIFO or a character device)');
  if (st.isBlockDevice()) throw new UsageError('is a block device (give a file, a FIFO or a character device)');
  throw new UsageError('is not a file, a FIFO or a character device');
}

/** Refuses (UsageError) a regular-file target that is one of the inputs (same inode: also through links). */
function refuseInputs(target: Stats, inputs: readonly string[]): void {
  for (const input of inputs) {
    if (input === '-') continue;
    const st = statOrNull(input);
    if (st !== null && st.dev === target.dev && st.ino === target.ino) {
      throw new UsageError(`refusing to overwrite the input capture ${input}`);
    }
  }
}

/** The path a dangling symlink points to in the end (where the new file is created). */
function danglingTarget(path: string): string {
  let p = resolve(path);
  for (let i = 0; i < MAX_LINKS; i++) {
    const st = lstatOrNull(p);
    if (st === null || !st.isSymbolicLink()) return p;
    const to = readlinkSync(p);
    p = isAbsolute(to) ? to : resolve(dirname(p), to);
  }
  throw new UsageError(`too many levels of symbolic links`);
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new UsageError('too many levels of symbolic links');
    return null;
  }
}

/**
 * Opens an evidence writer on `path`: classic pcap when `linkTypes` has exactly one entry, pcapng otherwise
 * (an IDB per link type; a packet of a link type not listed adds its IDB on the fly). Timestamps keep
 * nanoseconds when `nanosecond` (pcap magic a1b23c4d; pcapng if_tsresol 9), else microseconds.
 * `streaming` (live, stdin): a regular file is written in place and flushed every EVIDENCE_FLUSH_MS;
 * otherwise through a temp file renamed over it on close. A FIFO with no reader yet is waited for
 * without blocking the event loop.
 *
 * Rejects with UsageError as evidenceTarget() does, and with CaptureFormatError (E_CAPTURE_IO, naming
 * `path`) when the file cannot be created or opened.
 */
export async function createEvidenceWriter(
  path: string,
  linkTypes: readonly number[],
  nanosecond: boolean,
  inputs: readonly string[] = [],
  streaming = false,
): Promise<EvidenceWriter> {
  const w = openEvidenceWriter(path, linkTypes, nanosecond, inputs, streaming);
  await w.opened();
  return w;
}

/**
 * createEvidenceWriter() without waiting: a FIFO or device is opened in the background (packets
 * written meanwhile wait in order), and its open failing shows at the first flush or at close.
 * Throws UsageError and CaptureFormatError as createEvidenceWriter() rejects.
 */
export function openEvidenceWriter(
  path: string,
  linkTypes: readonly number[],
  nanosecond: boolean,
  inputs: readonly string[] = [],
  streaming = false,
): EvidenceWriter & { opened(): Promise<void> } {
  const target = evidenceTarget(path, inputs);
  const distinct = [...new Set(linkTypes)];
  const sink = FileSink.open(path, target, streaming);
  try {
    const w =
      distinct.length === 1
        ? new PcapWriter(sink, distinct[0]!, nanosecond)
        : new PcapngWriter(sink, distinct, nanosecond);
    // A streamed capture is a valid (empty) capture from the start.
    if (sink.flushMs > 0) sink.flush();
    return w;
  } catch (err) {
    sink.discard();
    throw err;
  }
}

/** How the bytes reach the target: a temp file renamed over it, the file itself, or a stream (no seek, no rename). */
const MODE_REPLACE = 0;
const MODE_IN_PLACE = 1;
const MODE_STREAM = 2;

/**
 * The bytes of the capture, gathered in one buffer that only ever holds whole records (room() makes
 * space for a record before it is written), and handed to the target by flush(). Regular files are
 * written synchronously; FIFOs and devices through libuv's thread pool, one write after the other,
 * so that a slow reader never holds up the capture (nor the signals that end it).
 */
class FileSink {
  readonly path: string;
  /** Flush this long after a write; 0: only when the buffer is full and on close. */
  readonly flushMs: number;
  private readonly mode: number;
  /** MODE_REPLACE: the temp file, and the file it is renamed over. */
  private readonly temp: string | null;
  private readonly final: string;
  private fd: number;
  private readonly ownsFd: boolean;
  private buf = Buffer.allocUnsafe(BUFFER_BYTES);
  private used = 0;
  private open = true;
  private timer: NodeJS.Timeout | null = null;
  /** Stream mode: the writes in flight, one after the other; `failure` holds the first error. */
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown = null;

  private constructor(
    path: string,
    mode: number,
    fd: number,
    ownsFd: boolean,
    temp: string | null,
    final: string,
    flushMs: number,
  ) {
    this.path = path;
    this.final = final;
    this.mode = mode;
    this.fd = fd;
    this.ownsFd = ownsFd;
    this.temp = temp;
    this.flushMs = flushMs;
  }

  static open(path: string, target: EvidenceTarget, streaming: boolean): FileSink {
    const flushMs = streaming ? EVIDENCE_FLUSH_MS : 0;
    try {
      if (target.kind === 'fd') return new FileSink(path, MODE_STREAM, target.fd, target.fd > 2, null, path, flushMs);
      if (target.kind === 'node') {
        // No O_CREAT, no O_TRUNC: the node stays what it is. Non-blocking: a FIFO without a reader
        // answers ENXIO at once, and is tried again until one comes (a blocking open would hold a
        // thread of libuv's pool, and with it the process's exit, until then). Writes queue behind it.
        const sink = new FileSink(path, MODE_STREAM, -1, true, null, path, flushMs);
        sink.chain = new Promise<void>((res) => {
          const attempt = (): void => {
            openCallback(target.path, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK, (e, fd) => {
              if (e !== null && e.code === 'ENXIO' && sink.open) {
                setTimeout(attempt, FIFO_RETRY_MS);
                return;
              }
              if (e !== null) sink.failure = e;
              else if (sink.open) sink.fd = fd;
              else closeSync(fd); // discarded meanwhile
              res();
            });
          };
          attempt();
        });
        return sink;
      }
      if (streaming)
        return new FileSink(path, MODE_IN_PLACE, openSync(target.path, 'w', 0o644), true, null, target.path, flushMs);
      const temp = join(
        dirname(target.path),
        `.${basename(target.path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
      );
      return new FileSink(path, MODE_REPLACE, openSync(temp, 'wx', 0o644), true, temp, target.path, 0);
    } catch (err) {
      throw writeError(path, err);
    }
  }

  /** Resolves once the target is open; rejects (CaptureFormatError) when it could not be. */
  async opened(): Promise<void> {
    await this.chain;
    if (this.failure !== null) this.fail(this.failure);
  }

  get buffer(): Buffer {
    return this.buf;
  }

  /** Room for a whole record of `n` bytes in the buffer (flushing first if needed); returns its offset. */
  room(n: number): number {
    if (this.used + n > this.buf.length) {
      this.flush();
      if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
    }
    const at = this.used;
    this.used += n;
    return at;
  }

  /** A record was written into the buffer: flush soon when streaming. */
  wrote(): void {
    if (this.flushMs > 0 && this.timer === null) {
      this.timer = setTimeout(this.onTimer, this.flushMs);
      this.timer.unref();
    }
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    try {
      this.flush();
    } catch {
      // kept in `failure`: the next write or close reports it
    }
  };

  /** Hands the buffered records to the target. Throws CaptureFormatError when it failed (now or before). */
  flush(): void {
    if (!this.open) throw new Error(`evidence writer for ${this.path} is already closed`);
    if (this.failure !== null) this.fail(this.failure);
    if (this.used === 0) return;
    if (this.mode === MODE_STREAM) {
      const chunk = this.buf.subarray(0, this.used);
      this.buf = Buffer.allocUnsafe(Math.max(BUFFER_BYTES, this.used));
      this.used = 0;
      this.chain = this.chain.then(() => this.writeAsync(chunk));
      return;
    }
    try {
      let done = 0;
      while (done < this.used) done += writeSync(this.fd, this.buf, done, this.used - done);
    } catch (err) {
      this.fail(err);
    }
    this.used = 0;
  }

  async commit(): Promise<void> {
    this.flush();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.chain;
    if (this.failure !== null) this.fail(this.failure);
    try {
      if (this.mode !== MODE_STREAM) fsyncSync(this.fd);
      this.open = false;
      if (this.ownsFd && this.fd >= 0) closeSync(this.fd);
      if (this.temp !== null) renameSync(this.temp, this.final);
    } catch (err) {
      this.fail(err);
    }
  }

  discard(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.open) {
      this.open = false;
      try {
        if (this.ownsFd && this.fd >= 0) closeSync(this.fd);
      } catch {
        // already unusable: removing the temp file is what matters
      }
    }
    if (this.temp !== null) {
      try {
        unlinkSync(this.temp);
      } catch {
        // never created or already renamed
      }
    }
  }

  private fail(err: unknown): never {
    this.discard();
    throw writeError(this.path, err);
  }

  /** One chunk into a FIFO or device, waiting out EAGAIN (a descriptor shared with a non-blocking stdout). */
  private async writeAsync(chunk: Buffer): Promise<void> {
    if (this.failure !== null || !this.open) return;
    let done = 0;
    while (done < chunk.length) {
      try {
        done += await new Promise<number>((res, rej) => {
          writeAsync(this.fd, chunk, done, chunk.length - done, null, (e, n) => (e === null ? res(n) : rej(e)));
        });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
          await new Promise((res) => setTimeout(res, 5));
          continue;
        }
        this.failure = e;
        return;
      }
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
    const at = sink.room(PCAP_FILE_HEADER_BYTES); // before reading sink.buffer: room() may replace it
    putPcapFileHeader(sink.buffer, at, linkType, EVIDENCE_SNAPLEN, nanosecond);
  }

  get path(): string {
    return this.sink.path;
  }

  write(frame: EvidenceFrame): void {
    if (frame.linkType !== this.linkType) {
      this.sink.discard();
      throw new Error(
        `evidence: a classic pcap holds one link type (${this.linkType}); got a packet of link type ${frame.linkType}`,
      );
    }
    if (frame.tsSec < 0 || frame.tsSec > 0xffffffff) {
      this.sink.discard();
      throw new Error(`evidence: timestamp ${frame.tsSec} s does not fit a classic pcap record`);
    }
    const caplen = Math.min(frame.caplen, EVIDENCE_SNAPLEN);
    const at = this.sink.room(PCAP_RECORD_HEADER_BYTES + caplen);
    const b = this.sink.buffer;
    const tsSub = this.nanosecond ? frame.tsNsec : Math.floor(frame.tsNsec / 1000);
    frame.data.copy(
      b,
      putPcapRecordHeader(b, at, frame.tsSec, tsSub, caplen, frame.origLen),
      frame.offset,
      frame.offset + caplen,
    );
    this.packets++;
    this.sink.wrote();
  }

  async close(): Promise<void> {
    await this.sink.commit();
  }

  opened(): Promise<void> {
    return this.sink.opened();
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
    const at = sink.room(28);
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
    const at = this.sink.room(len);
    const b = this.sink.buffer;
    b.writeUInt32LE(6, at);
    b.writeUInt32LE(len, at + 4);
    b.writeUInt32LE(id, at + 8);
    b.writeUInt32LE(Number(ts >> 32n), at + 12);
    b.writeUInt32LE(Number(ts & 0xffffffffn), at + 16);
    b.writeUInt32LE(caplen, at + 20);
    b.writeUInt32LE(frame.origLen, at + 24);
    frame.data.copy(b, at + 28, frame.offset, frame.offset + caplen);
    const tail = at + 28 + caplen;
    b.fill(0, tail, tail + pad);
    b.writeUInt32LE(len, tail + pad);
    this.packets++;
    this.sink.wrote();
  }

  async close(): Promise<void> {
    await this.sink.commit();
  }

  opened(): Promise<void> {
    return this.sink.opened();
  }

  async abort(): Promise<void> {
    this.sink.discard();
  }

  /** IDB: link type, reserved, snaplen, if_tsresol 9 when nanosecond, opt_endofopt. */
  private addInterface(linkType: number): number {
    const id = this.ids.size;
    this.ids.set(linkType, id);
    const len = this.nanosecond ? 32 : 24;
    const at = this.sink.room(len);
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
