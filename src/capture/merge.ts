// Several capture files read as one timeline, as mergecap merges them: a k-way merge on
// timestamps, ties by input order. Files that follow one another (rotation: tcpdump -G / -C,
// dumpcap ring buffers) are read one at a time, in the order of their first packet; only files
// whose times overlap (two interfaces, two hosts) are open together.
//
// How: every file is opened once to peek at its first packet's time, and closed again (stdin,
// which cannot be reopened, stays open). Files are then activated in that order: a file is
// reopened when the timeline reaches its first packet, and the packet with the earliest time
// among the open files goes next. With rotated files the earlier one has ended by then, so one
// file is open at a time, whatever their number. Per packet: a pull from the reader and a
// comparison or two; nothing allocated.

import { CaptureFormatError } from '../errors.js';
import { IdHeap } from '../heap.js';
import type { FrameHandler, PullSource } from './source.js';

/**
 * Opens an input by index (format detection belongs to the caller); `peek` when only its first
 * packet is wanted, so a small read buffer will do.
 */
export type OpenInput = (index: number, peek: boolean) => Promise<PullSource>;

/** What happens to each input, in the order it happens. */
export interface TimelineHooks {
  /** The input is open and about to deliver frames (for progress lines and per-file counters). */
  opened?(index: number, source: PullSource): void;
  /**
   * The input is done: read to its end, or stopped by `error` (then the frames before the damage
   * were delivered). `source` is null when it could not be opened at all.
   */
  done(index: number, source: PullSource | null, error: CaptureFormatError | null): void;
}

/** One input of the merge: every field set here, one shape for all. */
class Input {
  readonly index: number;
  /** Time of the next frame to deliver: the first packet's until the input is open, then its head's. */
  sec = 0;
  nsec = 0;
  source: PullSource | null = null;

  constructor(index: number) {
    this.index = index;
  }
}

/** Whether input `a`'s next frame comes before input `b`'s: earlier time, then lower input index. */
function before(a: Input, b: Input): boolean {
  if (a.sec !== b.sec) return a.sec < b.sec;
  if (a.nsec !== b.nsec) return a.nsec < b.nsec;
  return a.index < b.index;
}

/**
 * Pulls the next frame of `s` into s.frame, reading on as needed: false at the end of the input.
 * Rejects with CaptureFormatError at damage.
 */
async function advance(s: PullSource): Promise<boolean> {
  while (!s.pull()) {
    if (!(await s.more())) return false;
  }
  return true;
}

/** Reads `count` inputs as one timeline; resolves once every input is done. */
export class Timeline {
  private readonly count: number;
  private readonly open: OpenInput;
  private readonly hooks: TimelineHooks;
  /** Open inputs by index: a min-heap on (time of the head frame: sec, nsec), then input index. */
  private readonly heap: IdHeap;
  /** Every input by index, from peekAll() on. */
  private inputs: Input[] = [];
  /** Inputs not opened yet, by their first packet's time, and the next one's position. */
  private pending: Input[] = [];
  private next = 0;
  /** Open inputs at most at once (for tests and the benchmark: rotated files keep this at 1). */
  maxOpen = 0;
  private stopped = false;
  /** Closes of inputs read to their end, still in flight: the next open waits for them (ulimit -n). */
  private closing: Promise<void> = Promise.resolve();

  constructor(count: number, open: OpenInput, hooks: TimelineHooks) {
    this.count = count;
    this.open = open;
    this.hooks = hooks;
    this.heap = new IdHeap(count);
  }

  /**
   * Delivers every frame of every input in timeline order, each with its input's index in
   * frame.fileIndex. The Frame is the reader's own, valid until onFrame returns.
   */
  async run(onFrame: FrameHandler): Promise<void> {
    try {
      await this.peekAll();
      const heap = this.heap;
      const pending = this.pending;
      for (;;) {
        if (this.stopped) return;
        // Open every file whose first packet comes before the earliest open one's next packet.
        while (this.next < pending.length) {
          if (heap.size > 0 && !before(pending[this.next]!, this.inputs[heap.head]!)) break;
          await this.activate(pending[this.next++]!);
        }
        if (heap.size === 0) return;
        const top = this.inputs[heap.head]!;
        const s = top.source!;
        const f = s.frame;
        onFrame(f);
        let more: boolean;
        try {
          more = s.pull() || (await advance(s));
        } catch (e) {
          if (!(e instanceof CaptureFormatError)) throw e;
          this.finish(top, e);
          continue;
        }
        if (!more) {
          this.finish(top, null);
          continue;
        }
        top.sec = f.tsSec;
        top.nsec = f.tsNsec;
        heap.update(top.index, f.tsSec, f.tsNsec);
      }
    } finally {
      await this.closeAll();
    }
  }

  /**
   * Ends the timeline here (a signal): no frame is delivered after this returns, and run() resolves
   * once the reads in flight return (one on a FIFO or stdin may not: callers that stop race it).
   */
  stop(): void {
    this.stopped = true;
    for (let i = 0; i < this.heap.size; i++) this.inputs[this.heap.at(i)]!.source?.stop();
  }

  /** Opens every input, notes its first packet's time and closes it again (all but stdin). */
  private async peekAll(): Promise<void> {
    const withPackets: Input[] = [];
    for (let i = 0; i < this.count && !this.stopped; i++) {
      const input = new Input(i);
      this.inputs.push(input);
      let s: PullSource;
      try {
        s = await this.open(i, true);
      } catch (e) {
        if (!(e instanceof CaptureFormatError)) throw e;
        this.hooks.done(i, null, e);
        continue;
      }
      let first: boolean;
      try {
        first = await advance(s);
      } catch (e) {
        await s.close();
        if (!(e instanceof CaptureFormatError)) throw e;
        // Damaged before its first packet: nothing of it can join the timeline.
        this.hooks.done(i, s, e);
        continue;
      }
      if (!first) {
        await s.close();
        this.hooks.done(i, s, null);
        continue;
      }
      input.sec = s.frame.tsSec;
      input.nsec = s.frame.tsNsec;
      if (s.name === '-')
        input.source = s; // cannot be reopened: its first frame waits in it
      else await s.close();
      withPackets.push(input);
    }
    withPackets.sort((a, b) => (before(a, b) ? -1 : 1));
    this.pending = withPackets;
  }

  /** Opens an input (again) at its first frame and puts it on the heap. */
  private async activate(input: Input): Promise<void> {
    let s = input.source;
    if (s === null) {
      try {
        await this.closing;
        s = await this.open(input.index, false);
        if (!(await advance(s))) {
          // Read before, empty now: the file changed under us.
          this.hooks.done(input.index, s, null);
          await s.close();
          return;
        }
      } catch (e) {
        if (!(e instanceof CaptureFormatError)) throw e;
        this.hooks.done(input.index, s, e);
        await s?.close();
        return;
      }
      input.source = s;
    }
    s.frame.fileIndex = input.index;
    input.sec = s.frame.tsSec;
    input.nsec = s.frame.tsNsec;
    this.hooks.opened?.(input.index, s);
    const heap = this.heap;
    heap.push(input.index, input.sec, input.nsec);
    if (heap.size > this.maxOpen) this.maxOpen = heap.size;
  }

  /** Takes the input at the top of the heap out: ended, or stopped by damage. */
  private finish(top: Input, error: CaptureFormatError | null): void {
    this.heap.remove(top.index);
    const s = top.source!;
    top.source = null;
    this.hooks.done(top.index, s, error);
    // Closing releases the handle; the read goes on, and only the next open waits for it, so a busy
    // thread pool cannot pile up descriptors of finished files (a failed close loses nothing).
    const closed = s.close().catch(() => undefined);
    const before = this.closing;
    this.closing = before.then(() => closed);
  }

  private async closeAll(): Promise<void> {
    const heap = this.heap;
    for (let i = 0; i < heap.size; i++) await this.inputs[heap.at(i)]!.source?.close();
    for (const input of this.pending) await input.source?.close();
    heap.clear();
  }
}
