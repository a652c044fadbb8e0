// A SettledAttempt as the tracker hands it over, for tests of what reads one (summary, wire, records).

import { SettledAttempt } from '../../src/track/attempt.js';
import type { Verdict } from '../../src/track/outcome.js';

export interface SettledInput {
  files?: readonly string[];
  fileIndex?: number;
  /** Client address bytes then server address bytes, `len` each. */
  addr?: Uint8Array;
  len?: number;
  clientPort?: number;
  serverPort?: number;
  startSec?: number;
  startNsec?: number;
  startDigits?: number;
  firstFrame?: number;
  verdict?: Verdict;
}

/** A settled attempt with one frame (its first SYN), IPv4 integers filled from the address bytes. */
export function settled(x: SettledInput = {}): SettledAttempt {
  const a = new SettledAttempt();
  a.files = x.files ?? ['f'];
  a.fileIndex = x.fileIndex ?? 0;
  a.file = a.files[a.fileIndex] ?? '';
  const len = x.len ?? 4;
  a.addrLen = len;
  if (x.addr !== undefined) a.addr.set(x.addr.subarray(0, 32));
  a.client4 = len === 4 ? a.addr.readInt32BE(0) : 0;
  a.server4 = len === 4 ? a.addr.readInt32BE(4) : 0;
  a.clientPort = x.clientPort ?? 40000;
  a.serverPort = x.serverPort ?? 80;
  a.startSec = x.startSec ?? 0;
  a.startNsec = x.startNsec ?? 0;
  a.startDigits = x.startDigits ?? 6;
  a.firstFrame = x.firstFrame ?? 1;
  a.frames[0] = a.firstFrame;
  a.frameCount = 1;
  if (x.verdict !== undefined) a.verdict = x.verdict;
  return a;
}
