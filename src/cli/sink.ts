// Buffered writes to stdout: reporters produce many small strings; each is encoded straight into
// one reused Buffer, and the terminal, pipe or file gets it in 256 KiB pieces (stdout is
// synchronous for files and pipes on Linux). No joined strings, no Buffer per write.

/** Bytes handed to stdout at a time. */
const CHUNK_BYTES = 256 * 1024;

export class StdoutSink {
  private buf = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  private used = 0;
  /** Write through at once (live mode, where each verdict must show as it happens). */
  immediate = false;

  readonly write = (text: string): void => {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.buf.length - this.used < text.length * 3) {
      this.flush();
      if (text.length * 3 > this.buf.length) {
        process.stdout.write(text);
        return;
      }
    }
    this.used += this.buf.write(text, this.used, 'utf8');
    if (this.immediate) this.flush();
  };

  /** Bytes already UTF-8 encoded (json records): copied into the buffer, nothing allocated. */
  readonly writeBytes = (src: Buffer, start: number, end: number): void => {
    const n = end - start;
    if (this.buf.length - this.used < n) {
      this.flush();
      if (n > this.buf.length) {
        process.stdout.write(Buffer.from(src.subarray(start, end)));
        return;
      }
    }
    src.copy(this.buf, this.used, start, end);
    this.used += n;
    if (this.immediate) this.flush();
  };

  flush(): void {
    if (this.used === 0) return;
    const out = process.stdout;
    out.write(this.buf.subarray(0, this.used));
    this.used = 0;
    // A write that could not complete at once keeps the bytes it was given: never overwrite them.
    if (out.writableLength > 0) this.buf = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  }
}
