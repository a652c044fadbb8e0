// Buffered writes to stdout: reporters produce many small strings, and json records are written
// as bytes straight into the same Buffer (ByteSink); the terminal, pipe or file gets it in
// 256 KiB pieces (stdout is synchronous for files; a pipe queues what its reader has not taken yet,
// and `read` waits while much is queued: backlog()). No joined strings, no
// Buffer per write, no copy of a record.

import { OutputError } from '../errors.js';
import { ByteOut } from '../report/bytes.js';
import type { ByteSink } from '../report/json.js';

/** Bytes handed to stdout at a time. */
const CHUNK_BYTES = 256 * 1024;
/**
 * A chunk's Buffer: the chunk and room for the record that crosses its end (a handshake's JSON is
 * under 2 KiB), so that filling a chunk never grows its Buffer.
 */
const CHUNK_BUFFER_BYTES = CHUNK_BYTES + 64 * 1024;
/** Bytes of report stdout may hold for a slow reader before `read` waits for it. */
const OUTPUT_BACKLOG_BYTES = 4 * 1024 * 1024;
/** Written chunks kept for reuse: what the backlog holds, and a few more. */
const SPARE_CHUNKS = OUTPUT_BACKLOG_BYTES / CHUNK_BYTES + 4;

/** The report, gathered in one reused Buffer and handed to stdout a chunk at a time. */
export class StdoutSink implements ByteSink {
  readonly out = new ByteOut(CHUNK_BUFFER_BYTES);
  /** Write through at once (live mode, where each verdict must show as it happens). */
  immediate = false;

  readonly write = (text: string): void => {
    this.out.text(text);
    this.commit();
  };

  /** Called after bytes were appended to `out`: sends them on once a chunk is full (or at once). */
  commit(): void {
    if (this.immediate || this.out.pos >= CHUNK_BYTES) this.flush();
  }

  /** stdout, or stderr once stdout carries the evidence capture (`--evidence -`). */
  private stream: NodeJS.WriteStream = process.stdout;

  /** True once nobody reads the report any more (EPIPE): what comes is dropped. */
  private closed = false;

  /** Drops the report from now on: its reader went away. */
  close(): void {
    this.closed = true;
    this.out.pos = 0;
  }

  /** Sends the report to stderr from now on: stdout carries the evidence capture. */
  toStderr(): void {
    this.flush();
    this.stream = process.stderr;
  }

  /** The byte side of the sink, for the json reporters. */
  get bytes(): ByteSink {
    return this;
  }

  /**
   * Resolves once stdout has taken every byte: a pipe whose reader is slower keeps the rest queued,
   * and an error line written to stderr meanwhile would come before the end of the report.
   */
  drained(): Promise<void> {
    const stdout = this.stream;
    if (stdout.writableLength === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        stdout.off('drain', done);
        stdout.off('close', done);
        resolve();
      };
      stdout.on('drain', done);
      stdout.on('close', done);
    });
  }

  /**
   * While more than OUTPUT_BACKLOG_BYTES wait for stdout's reader (a pipe to a slower program):
   * resolves once it took them all. Null when it keeps up.
   */
  backlog(): Promise<void> | null {
    return this.closed || this.stream.writableLength <= OUTPUT_BACKLOG_BYTES ? null : this.drained();
  }

  /**
   * Chunks stdout has written, for the next ones: a pipe whose reader keeps stdout queued would
   * otherwise get a new chunk at every flush, hundreds of megabytes over a big report, which the
   * garbage collector frees late.
   */
  private readonly spare: Buffer[] = [];

  /** Takes back a chunk once stdout has written it (unless it is the one being filled again). */
  private readonly written = (chunk: Buffer): void => {
    if (chunk !== this.out.buf && chunk.length === CHUNK_BUFFER_BYTES && this.spare.length < SPARE_CHUNKS) {
      this.spare.push(chunk);
    }
  };

  flush(): void {
    const o = this.out;
    if (o.pos === 0) return;
    if (this.closed) {
      o.pos = 0;
      return;
    }
    const stdout = this.stream;
    const chunk = o.buf;
    try {
      stdout.write(chunk.subarray(0, o.pos), () => this.written(chunk));
    } catch (e) {
      // A file on a full disk fails at once; a pipe's reader going away comes as an 'error' event.
      o.pos = 0;
      throw new OutputError(e instanceof Error ? e.message : String(e), { cause: e });
    }
    o.pos = 0;
    // A write that could not complete at once keeps the bytes it was given: never overwrite them.
    if (stdout.writableLength > 0 || chunk.length !== CHUNK_BUFFER_BYTES) {
      o.buf = this.spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BUFFER_BYTES);
    }
  }
}
