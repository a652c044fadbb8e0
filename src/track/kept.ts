// --evidence: copies of each attempt's packets, by slot, apart from the state machine. The tracker
// says which packets are an attempt's (attach); this keeps their bytes until the attempt is handed
// over with them. Only built when evidence is asked for: otherwise nothing is copied.

import type { Frame } from '../capture/source.js';
import { copyOfFrame } from '../decode/reassembly.js';
import type { KeptPacket } from './attempt.js';

export class KeptPackets {
  /** By slot: the copies of the packets of the attempt in it; null once handed over. */
  private readonly lists: (KeptPacket[] | null)[] = [];

  /** A new attempt in slot `s`: nothing kept yet. */
  open(s: number): void {
    this.lists[s] = [];
  }

  /** Copies `frame`, the `seq`th packet of the timeline, as one of slot `s`'s packets. */
  add(s: number, frame: Frame, seq: number): void {
    const list = this.lists[s] ?? null;
    if (list !== null) list.push(copyOfFrame(frame, seq));
  }

  /** The fragments a reassembled packet of slot `s` was made of, kept by reassembly already. */
  addParts(s: number, parts: readonly KeptPacket[]): void {
    const list = this.lists[s] ?? null;
    if (list !== null) for (const p of parts) list.push(p);
  }

  /** Slot `s`'s packets, handed over: later packets of the attempt (a tombstone's) are not kept. */
  take(s: number): KeptPacket[] | null {
    const list = this.lists[s] ?? null;
    this.lists[s] = null;
    return list;
  }
}
