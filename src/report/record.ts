// Turns a settled Attempt into the contract's JSON handshake object. This is where addresses
// become text — once per reported attempt, never per packet.

import {
  ANSWER_ICMP, RESET_BY_CLIENT, RESET_BY_SERVER, type Attempt, type ErrnoName,
  type Outcome,
} from '../track/attempt.js';
import { formatIp } from './address.js';
import { isoTime, millisBetween } from './text.js';

export interface EndpointJson {
  ip: string;
  port: number;
}

export interface AnswerJson {
  kind: 'synack' | 'rst' | 'icmp';
  from: string;
  afterMs: number;
  icmpType?: number;
  icmpCode?: number;
  /** TTL (IPv4) or hop limit (IPv6) of the answer as captured. */
  ttl: number;
}

/** The frames of an attempt that are in one input, when its frames span several. */
export interface SpanJson {
  file: string;
  frames: number[];
}

export interface HandshakeJson {
  file: string;
  client: EndpointJson;
  server: EndpointJson;
  outcome: Outcome;
  errno: ErrnoName | null;
  start: string;
  synCount: number;
  answer: AnswerJson | null;
  frames: number[];
  diagnosis: string;
  /**
   * Only when the attempt's packets are in more than one of the inputs (read as one timeline):
   * its frames per file, files in the order they first appear. `frames` then lists them all in
   * timeline order, each a frame number in its own file.
   */
  spans?: SpanJson[];
  resetBy?: 'client' | 'server';
}

const ANSWER_KINDS: readonly (AnswerJson['kind'] | null)[] = [null, 'synack', 'rst', 'icmp'];

/**
 * The JSON object of a settled attempt, without its diagnosis (filled by diagnosis.ts).
 * `serverIp` is the server's address as text when the caller has it already (the summary keeps
 * it per service), so it is not formatted again for every attempt.
 */
export function toRecord(a: Attempt, serverIp: string | null = null): HandshakeJson {
  const v = a.verdict;
  if (v === null) throw new Error('toRecord: attempt not settled');
  const len = a.addrLen;
  const server = serverIp ?? formatIp(a.addr, len, len);
  let answer: AnswerJson | null = null;
  const kind = ANSWER_KINDS[a.answerKind] ?? null;
  if (kind !== null) {
    answer = {
      kind,
      from: a.answerFrom === null ? server : formatIp(a.answerFrom, 0, len),
      afterMs: millisBetween(a.startSec, a.startNsec, a.answerSec, a.answerNsec),
      ttl: a.answerTtl,
    };
    if (a.answerKind === ANSWER_ICMP) {
      answer.icmpType = a.icmpType;
      answer.icmpCode = a.icmpCode;
    }
  }
  const rec: HandshakeJson = {
    file: a.file,
    client: { ip: formatIp(a.addr, 0, len), port: a.clientPort },
    server: { ip: server, port: a.serverPort },
    outcome: v.outcome,
    errno: v.errno,
    start: isoTime(a.startSec, a.startNsec, a.startDigits),
    synCount: a.synCount,
    answer,
    frames: a.frameList(), // the tracker reuses the attempt, and its frames array
    diagnosis: '',
  };
  if (a.spans) rec.spans = spansOf(a);
  if (a.resetBy === RESET_BY_CLIENT) rec.resetBy = 'client';
  else if (a.resetBy === RESET_BY_SERVER) rec.resetBy = 'server';
  return rec;
}

/** The attempt's frames grouped by input, inputs in the order they first appear. */
function spansOf(a: Attempt): SpanJson[] {
  const spans: SpanJson[] = [];
  const at = new Map<number, SpanJson>();
  for (let k = 0; k < a.frameCount; k++) {
    const i = a.frameFiles[k]!;
    let s = at.get(i);
    if (s === undefined) {
      s = { file: a.files[i] ?? '', frames: [] };
      at.set(i, s);
      spans.push(s);
    }
    s.frames.push(a.frames[k]!);
  }
  return spans;
}
