// --evidence for a capture that streams (live, stdin): the packets of listed attempts are written as
// their verdicts arrive, in capture order, so that the file holds everything listed so far (the writer
// flushes it on a short timer). Which attempts are listed is verdicts.ts's; the bytes are evidence-writer.ts's.

import { CaptureFormatError } from './errors.js';
import { ObjectHeap } from './heap.js';
import type { EvidenceWriter } from './report/evidence-writer.js';
import type { KeptPacket } from './track/attempt.js';

/**
 * Writes the packets of listed attempts in capture order as verdicts arrive. Verdicts do not come in
 * capture order (live: as they are reached; read: by start), so packets wait (a min-heap by frame
 * number) until every attempt that could still bring an earlier packet has been reported: the caller
 * passes the first frame no unreported attempt can precede, and everything below it is written.
 */
export class EvidenceStream {
  private writer: EvidenceWriter | null;
  private readonly heap = new ObjectHeap<KeptPacket>();
  private lastWritten = 0;
  /** Why the file could not be written (without its name), or null. */
  error: string | null = null;

  /** Frame number in the input → frame number in the evidence file, when asked for (a ticket numbers frames). */
  readonly frames: Map<number, number> | null;

  /** `writer` null: packets wait until attach() (stdin: the file is opened once the input's header is read). */
  constructor(writer: EvidenceWriter | null, recordFrames = false) {
    this.writer = writer;
    this.frames = recordFrames ? new Map() : null;
  }

  attach(writer: EvidenceWriter): void {
    this.writer = writer;
  }

  /** True once a writer was given. */
  get attached(): boolean {
    return this.writer !== null;
  }

  get written(): number {
    return this.writer?.packets ?? 0;
  }

  /** Packets still waiting for their place. */
  get waiting(): number {
    return this.heap.size;
  }

  /** The packets of a listed attempt; `below` is the first frame no unreported attempt can precede. */
  add(packets: readonly KeptPacket[], below: number): void {
    if (this.error !== null) return;
    for (const p of packets) this.heap.push(p, p.number);
    this.flushUpTo(below - 1);
  }

  /** Writes everything still waiting and closes the file. */
  async close(): Promise<void> {
    const w = this.writer;
    if (w === null) return;
    this.flushUpTo(Number.POSITIVE_INFINITY);
    if (this.error !== null) {
      await w.abort();
      return;
    }
    try {
      await w.close();
    } catch (e) {
      this.error = problem(e);
    }
  }

  private flushUpTo(frame: number): void {
    const h = this.heap;
    const w = this.writer;
    if (w === null) return;
    while (this.error === null && h.size > 0 && h.peekKey() <= frame) {
      const p = h.pop()!;
      if (p.number === this.lastWritten) continue; // one packet of two attempts: write it once
      this.lastWritten = p.number;
      try {
        w.write(p);
        this.frames?.set(p.number, w.packets);
      } catch (e) {
        this.error = problem(e);
        h.clear();
      }
    }
  }
}

/** What went wrong, without the file name a CaptureFormatError puts in front (the caller names the file). */
function problem(e: unknown): string {
  if (e instanceof CaptureFormatError && e.message.startsWith(`${e.file}: `)) return e.message.slice(e.file.length + 2);
  return e instanceof Error ? e.message : String(e);
}
