// Buffered writes to stdout: reporters produce many small strings; the terminal, pipe or file
// gets them in 64 KiB pieces (stdout is synchronous for files and pipes on Linux).

export class StdoutSink {
  private parts: string[] = [];
  private size = 0;
  /** Write through at once (live mode, where each verdict must show as it happens). */
  immediate = false;

  readonly write = (text: string): void => {
    this.parts.push(text);
    this.size += text.length;
    if (this.immediate || this.size >= 65536) this.flush();
  };

  flush(): void {
    if (this.size === 0) return;
    process.stdout.write(this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}
