// A growable byte window over a file or stream: one reused Buffer, absolute offsets for errors.
// Knows nothing of record formats: pcap.ts / pcapng.ts say how many bytes they need, open.ts picks the source.

import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { CaptureFormatError } from '../errors.js';

/** Where the window's bytes come from: fills `into[off, off + len)`, resolves 0 only at end of input. */
export interface ByteSource {
  read(into: Buffer, off: number, len: number): Promise<number>;
  /** Releases the file handle or stream; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Read buffers of inputs already closed, kept for the next input opened: the files of a rotated set
 * read one after another take the same few buffers instead of three new MiB each (memory stays
 * flat over thousands of files). Only a buffer of the size asked for is reused.
 */
const spareBuffers: Buffer[] = [];
const SPARE_BUFFERS_MAX = 6;

function takeBuffer(bytes: number): Buffer {
  for (let i = spareBuffers.length - 1; i >= 0; i--) {
    const b = spareBuffers[i]!;
    if (b.length !== bytes) continue;
    spareBuffers[i] = spareBuffers[spareBuffers.length - 1]!;
    spareBuffers.pop();
    return b;
  }
  return Buffer.allocUnsafe(bytes);
}

/** Hands a buffer nothing reads any more to the next input. */
function giveBuffer(b: Buffer): void {
  if (b.length > 0 && spareBuffers.length < SPARE_BUFFERS_MAX) spareBuffers.push(b);
}

/** Initial window size and size of one file read: 1 MiB keeps fs round trips to ~140 for a 138 MB file. */
export const WINDOW_INITIAL_BYTES = 1 << 20;
/** Compact (move the unconsumed tail to the front) when less than this is free at the end. */
const MIN_FREE_BYTES = 64 * 1024;
/**
 * Hard ceiling for one record. Readers check a header's claimed length against their own,
 * smaller limits first; this is the last line of defence against a length that would allocate gigabytes.
 */
export const WINDOW_MAX_BYTES = 16 * 1024 * 1024 + 64 * 1024;

/**
 * The unconsumed bytes of the input are `buf[pos, end)`; `buf[0]` is at absolute input offset `base`.
 * Readers read `buf` directly (no DataView, no subarray) and move `pos` forward as they consume records.
 * The Buffer is replaced only when a record longer than it needs to be held whole, so `buf` must be
 * re-read after every `ensure()`.
 */
/**
 * What a window waits for before each read of its source, when given one: null to read at once, or a
 * promise (the report's reader falling behind, a slow pipe: the reading waits so that the report
 * does not pile up in memory).
 */
export type ReadGate = () => Promise<void> | null;

export class ByteWindow {
  buf: Buffer;
  pos = 0;
  end = 0;
  /** Absolute input offset of buf[0]. */
  base = 0;
  /** True once the source reported the end of input. */
  eof = false;
  readonly name: string;
  private readonly source: ByteSource;
  private closed = false;
  private readonly initialBytes: number;
  private stopped = false;

  private readonly gate: ReadGate | null;

  constructor(
    name: string,
    source: ByteSource,
    initialBytes: number = WINDOW_INITIAL_BYTES,
    gate: ReadGate | null = null,
  ) {
    this.name = name;
    this.source = source;
    this.gate = gate;
    this.initialBytes = Math.max(16, initialBytes);
    this.buf = takeBuffer(this.initialBytes);
  }

  /** Absolute input offset of buf[pos], the first unconsumed byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Bytes available from pos. */
  get available(): number {
    return this.end - this.pos;
  }

  /** Size of the backing Buffer (for tests: memory stays bounded). */
  get capacity(): number {
    return this.buf.length;
  }

  /** Puts bytes already read from the source (the magic-number peek) in front of what comes next. */
  preload(bytes: Buffer): void {
    if (this.buf.length - this.end < bytes.length) {
      const next = Buffer.allocUnsafe(this.end - this.pos + bytes.length + MIN_FREE_BYTES);
      this.buf.copy(next, 0, this.pos, this.end);
      this.base += this.pos;
      this.end -= this.pos;
      this.pos = 0;
      this.buf = next;
    }
    bytes.copy(this.buf, this.end);
    this.end += bytes.length;
  }

  /** Ends a wait for the gate at once. */
  private wake: (() => void) | null = null;

  /**
   * Makes at least `n` bytes available from pos. Resolves false when the input ends first
   * (whatever is left stays available). Rejects with CaptureFormatError when the source fails.
   * Allocation grows with the bytes actually read, never with `n` alone: a header claiming
   * 16 MiB in a 100-byte file allocates nothing.
   */
  async ensure(n: number): Promise<boolean> {
    if (n > WINDOW_MAX_BYTES) {
      throw new CaptureFormatError(
        this.name,
        this.offset,
        `record of ${n} bytes exceeds the limit of ${WINDOW_MAX_BYTES}`,
      );
    }
    while (this.end - this.pos < n) {
      if (this.eof) return false;
      this.makeRoom(n);
      if (this.stopped) return this.stop();
      const wait = this.gate === null ? null : this.gate();
      if (wait !== null) {
        // stop() ends the wait too: a signal must not wait for a reader that may never come back.
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          void wait.then(resolve);
        });
        this.wake = null;
        if (this.stopped) return this.stop();
      }
      const got = await this.source.read(this.buf, this.end, this.buf.length - this.end);
      if (this.stopped) return this.stop();
      if (got === 0) this.eof = true;
      else this.end += got;
    }
    return true;
  }

  /**
   * Ends the input here (a signal): the read in flight is abandoned and ensure() answers false with
   * nothing left, as at a clean end of input, so no record after this one is delivered. Returns false.
   */
  stop(): false {
    this.stopped = true;
    this.wake?.();
    this.eof = true;
    this.pos = this.end;
    // Wakes a stream read that waits for data (stdin); a file read finishes on its own. The window
    // itself (and its Buffer) is closed by its reader, once ensure() has returned.
    void this.source.close().catch(() => undefined);
    return false;
  }

  /** Releases the source; the Buffer goes to the next input opened, so nothing may read it after this. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.source.close();
    if (this.buf.length === this.initialBytes) giveBuffer(this.buf);
  }

  /**
   * Leaves free space at the end for the next read. Called only while fewer than `need` bytes are
   * available from pos. Compacts (moves the unconsumed bytes to the front) when the free tail is short,
   * and grows the Buffer only when unconsumed bytes fill it entirely: at most doubling, so memory
   * follows the bytes actually read (never more than twice them), not what a header claims.
   */
  private makeRoom(need: number): void {
    if (this.buf.length - this.end >= MIN_FREE_BYTES) return;
    const live = this.end - this.pos;
    if (this.pos > 0) {
      // Leftovers are less than one record: the copy is small.
      this.buf.copy(this.buf, 0, this.pos, this.end);
      this.base += this.pos;
      this.pos = 0;
      this.end = live;
    }
    if (this.end < this.buf.length) return;
    // Full of unconsumed bytes, all of them part of the record in hand (need > buf.length).
    const next = Buffer.allocUnsafe(Math.min(this.buf.length * 2, need + MIN_FREE_BYTES));
    this.buf.copy(next, 0, 0, live);
    this.buf = next;
  }
}

/**
 * Bytes per read, in each of the two buffers FileByteSource alternates between. On the 2-core
 * benchmark machine a read in the thread pool sometimes stalls for 5-30 ms (the other core is busy
 * with V8's GC threads); with the next buffer always being filled while one is handed out, the
 * reader rarely waits. 512 KiB, 1 MiB and 2 MiB measured alike (within this VM's noise); 1 MiB
 * keeps 4 MB off the peak RSS of 2 MiB.
 */
export const READ_AHEAD_BYTES = 1 << 20;

/**
 * Reads a file (or a FIFO / character device) through its handle. From a regular file, two
 * buffers alternate: while the reader takes its bytes from one, libuv's thread pool fills the
 * other, at the cost of one copy of each chunk. Reads are issued one after the other, so their
 * order is the file's.
 */
export class FileByteSource implements ByteSource {
  private readonly handle: FileHandle;
  private readonly name: string;
  private closed = false;
  private readonly bufs: Buffer[];
  /** The read filling each buffer: resolves to bytes read, or to the error it met. */
  private readonly pending: (Promise<number | Error> | null)[] = [null, null];
  /** The buffer being handed out, and its unread bytes [start, end). */
  private cur = 0;
  private start = 0;
  private end = 0;
  private ended = false;
  private readonly readAhead: boolean;

  /**
   * `readAhead` false: each read waits for its own bytes (FIFOs, character devices, a look at a
   * file's first packet); `chunkBytes` per read.
   */
  constructor(name: string, handle: FileHandle, readAhead = true, chunkBytes = READ_AHEAD_BYTES) {
    this.name = name;
    this.handle = handle;
    this.readAhead = readAhead;
    this.bufs = [takeBuffer(chunkBytes), readAhead ? takeBuffer(chunkBytes) : EMPTY];
  }

  private fill(i: number): Promise<number | Error> {
    const buf = this.bufs[i]!;
    // position null: read from the current position, so pipes and character devices work too.
    return this.handle.read(buf, 0, buf.length, null).then(
      (r) => r.bytesRead,
      (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    );
  }

  async read(into: Buffer, off: number, len: number): Promise<number> {
    if (this.start === this.end) {
      if (this.ended) return 0;
      const i = this.cur;
      const got = await (this.pending[i] ?? this.fill(i));
      this.pending[i] = null;
      if (got instanceof Error) throw ioError(this.name, got);
      if (got === 0) {
        this.ended = true;
        return 0;
      }
      this.start = 0;
      this.end = got;
      // The next chunk is read into the other buffer while this one is handed out.
      if (this.readAhead && !this.closed) this.pending[i ^ 1] = this.fill(i ^ 1);
    }
    const n = Math.min(len, this.end - this.start);
    this.bufs[this.cur]!.copy(into, off, this.start, this.start + n);
    this.start += n;
    if (this.start === this.end && this.readAhead) this.cur ^= 1;
    return n;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (let i = 0; i < 2; i++) {
      const p = this.pending[i];
      this.pending[i] = null;
      if (p !== undefined && p !== null) await p;
    }
    await this.handle.close().catch(() => undefined);
    // No read is in flight any more: the buffers go to the next input.
    for (const b of this.bufs) giveBuffer(b);
  }
}

/** A stream source pauses its stream once this many bytes wait unread, and resumes it when they are taken. */
const STREAM_QUEUE_BYTES = 1 << 20;

/**
 * Reads a Readable (stdin, a gunzip stream) chunk by chunk, copying each into the window.
 * `gzip` streams report zlib failures as a damaged capture at the decompressed offset reached.
 * Chunks are queued from 'data' events (not a stream iterator, which throws a stream's error as
 * soon as it happens and drops what was still buffered): zlib emits everything it could
 * decompress from a truncated file before its error, and every byte of it is delivered first.
 */
export class StreamByteSource implements ByteSource {
  private readonly name: string;
  private readonly stream: Readable;
  private readonly gzip: boolean;
  private readonly destroyOnClose: boolean;
  private readonly onClose: (() => Promise<void>) | undefined;
  private readonly queue: Buffer[] = [];
  private queueHead = 0;
  private queued = 0;
  private chunk: Buffer | undefined = undefined;
  private chunkPos = 0;
  private delivered = 0;
  private ended = false;
  private failure: { readonly err: unknown } | null = null;
  private paused = false;
  private closed = false;
  private wake: (() => void) | null = null;

  constructor(
    name: string,
    stream: Readable,
    options: { gzip: boolean; destroyOnClose: boolean; onClose?: () => Promise<void> },
  ) {
    this.name = name;
    this.stream = stream;
    this.gzip = options.gzip;
    this.destroyOnClose = options.destroyOnClose;
    this.onClose = options.onClose;
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('error', this.onError);
    // Destroyed without 'end' or 'error' (nothing more will come): treat as the end of input.
    stream.on('close', this.onEnd);
  }

  private readonly onData = (value: unknown): void => {
    const b = Buffer.isBuffer(value)
      ? value
      : typeof value === 'string'
        ? Buffer.from(value, 'latin1')
        : Buffer.from(value as Uint8Array);
    if (b.length === 0) return;
    this.queue.push(b);
    this.queued += b.length;
    if (this.queued >= STREAM_QUEUE_BYTES && !this.paused) {
      this.paused = true;
      this.stream.pause();
    }
    this.notify();
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    this.notify();
  };

  private readonly onError = (err: unknown): void => {
    if (this.failure === null) this.failure = { err };
    this.notify();
  };

  private notify(): void {
    const wake = this.wake;
    if (wake !== null) {
      this.wake = null;
      wake();
    }
  }

  async read(into: Buffer, off: number, len: number): Promise<number> {
    if (len <= 0) return 0;
    while (this.chunk === undefined || this.chunkPos >= this.chunk.length) {
      this.chunk = undefined;
      if (this.queueHead < this.queue.length) {
        const next = this.queue[this.queueHead]!;
        this.queue[this.queueHead++] = EMPTY;
        if (this.queueHead === this.queue.length) {
          this.queue.length = 0;
          this.queueHead = 0;
        }
        this.queued -= next.length;
        this.chunk = next;
        this.chunkPos = 0;
        if (this.paused && this.queued < STREAM_QUEUE_BYTES / 2) {
          this.paused = false;
          this.stream.resume();
        }
        continue;
      }
      // Everything that came before a failure has been delivered: now the failure.
      if (this.failure !== null) {
        const err = this.failure.err;
        this.ended = true;
        this.failure = null;
        throw this.streamError(err);
      }
      if (this.ended || this.closed) return 0;
      if (this.paused) {
        this.paused = false;
        this.stream.resume();
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    const n = Math.min(len, this.chunk.length - this.chunkPos);
    this.chunk.copy(into, off, this.chunkPos, this.chunkPos + n);
    this.chunkPos += n;
    this.delivered += n;
    return n;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.chunk = undefined;
    this.queue.length = 0;
    this.queueHead = 0;
    this.queued = 0;
    const s = this.stream;
    s.off('data', this.onData);
    s.off('end', this.onEnd);
    s.off('close', this.onEnd);
    if (this.destroyOnClose) {
      // Keep a listener: destroying may still emit an error nobody else listens to.
      s.destroy();
    } else {
      // stdin stays open: an error it meets after the read is over concerns nobody.
      s.off('error', this.onError);
      s.on('error', ignoreError);
      s.pause();
    }
    this.notify();
    if (this.onClose !== undefined) await this.onClose();
  }

  private streamError(err: unknown): CaptureFormatError {
    if (err instanceof CaptureFormatError) return err;
    if (this.gzip && isZlibError(err)) {
      const detail = errorMessage(err);
      const problem = /unexpected end/i.test(detail) ? 'truncated gzip stream' : `corrupt gzip stream (${detail})`;
      return new CaptureFormatError(this.name, this.delivered, problem, { cause: err });
    }
    return ioError(this.name, err);
  }
}

const EMPTY = Buffer.alloc(0);

function ignoreError(): void {
  // see StreamByteSource.close()
}

/** An I/O failure (no position applies): E_CAPTURE_IO, offset -1. */
export function ioError(name: string, err: unknown): CaptureFormatError {
  if (err instanceof CaptureFormatError) return err;
  const code = errorCode(err);
  let problem: string;
  switch (code) {
    case 'ENOENT':
      problem = 'no such file';
      break;
    case 'EISDIR':
      problem = 'is a directory';
      break;
    case 'EACCES':
    case 'EPERM':
      problem = 'permission denied';
      break;
    default:
      problem = `cannot read (${code ?? 'error'}: ${errorMessage(err)})`;
  }
  return new CaptureFormatError(name, -1, problem, { cause: err, code: 'E_CAPTURE_IO' });
}

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isZlibError(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && code.startsWith('Z_');
}
