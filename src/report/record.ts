// Turns a SettledAttempt into the contract's JSON handshake object. This is where addresses
// become text — once per reported attempt, never per packet.

import {
  ANSWER_ICMP,
  DOUBT_CAPTURE_LOSS,
  DOUBT_CLIENT_ONLY,
  RESET_BY_CLIENT,
  RESET_BY_SERVER,
  TUNNEL_ERSPAN,
  TUNNEL_GENEVE,
  TUNNEL_GRE,
  TUNNEL_IPIP,
  TUNNEL_MPLS,
  TUNNEL_PPPOE,
  TUNNEL_VXLAN,
  type SettledAttempt,
  type Carrier,
  type ErrnoName,
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

export type TunnelKind = 'vxlan' | 'geneve' | 'gre' | 'erspan' | 'ipip' | 'mpls' | 'pppoe';

/**
 * How a tunnelled handshake was carried: the innermost encapsulation, its id under the name the protocol
 * gives it (vni, key — null for GRE without one —, session, label), and the outer IP endpoints of the
 * client's SYN (null for MPLS / PPPoE over Ethernet, which have none).
 */
export interface TunnelJson {
  kind: TunnelKind;
  vni?: number | null;
  key?: number | null;
  session?: number | null;
  label?: number | null;
  outer: { src: string; dst: string } | null;
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
  /** Absent for bare traffic. */
  tunnel?: TunnelJson;
  /**
   * What the capture leaves in doubt about the verdict: `client-only`, an unanswered SYN in a capture
   * that holds no packet from the server's side (the answer may exist and not be captured);
   * `capture-loss`, a dropped or timed-out verdict in a capture that misses packets.
   */
  doubt?: 'client-only' | 'capture-loss';
}

const ANSWER_KINDS: readonly (AnswerJson['kind'] | null)[] = [null, 'synack', 'rst', 'icmp'];

/**
 * The JSON object of a settled attempt, without its diagnosis (filled by diagnosis.ts).
 * `serverIp` is the server's address as text when the caller has it already (the summary keeps
 * it per service), so it is not formatted again for every attempt.
 */
export function toRecord(a: SettledAttempt, serverIp: string | null = null): HandshakeJson {
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
  if (a.tunnelKey !== 0 && a.carrier !== null) rec.tunnel = tunnelRecord(a.carrier);
  if (a.doubt === DOUBT_CLIENT_ONLY) rec.doubt = 'client-only';
  else if (a.doubt === DOUBT_CAPTURE_LOSS) rec.doubt = 'capture-loss';
  return rec;
}

/** The attempt's frames grouped by input, inputs in the order they first appear. */
export function spansOf(a: SettledAttempt): SpanJson[] {
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

/** TUNNEL_* → its JSON name and the name of its id. */
const TUNNELS: readonly (readonly [TunnelKind, 'vni' | 'key' | 'session' | 'label' | null])[] = (() => {
  const t: (readonly [TunnelKind, 'vni' | 'key' | 'session' | 'label' | null])[] = [];
  t[TUNNEL_VXLAN] = ['vxlan', 'vni'];
  t[TUNNEL_GENEVE] = ['geneve', 'vni'];
  t[TUNNEL_GRE] = ['gre', 'key'];
  t[TUNNEL_ERSPAN] = ['erspan', 'session'];
  t[TUNNEL_IPIP] = ['ipip', null];
  t[TUNNEL_MPLS] = ['mpls', 'label'];
  t[TUNNEL_PPPOE] = ['pppoe', 'session'];
  return t;
})();

export function tunnelRecord(c: Carrier): TunnelJson {
  const [kind, idName] = TUNNELS[c.kind] ?? ['ipip', null];
  // Keys in the order the JSON shows them: kind, its id, outer.
  const t = { kind } as TunnelJson;
  if (idName !== null) t[idName] = c.id < 0 ? null : c.id;
  t.outer = c.outerLen > 0 ? { src: formatIp(c.outer, 0, c.outerLen), dst: formatIp(c.outer, 16, c.outerLen) } : null;
  return t;
}

/** A tunnel in a few words, for the text formats: "vxlan 42 10.0.0.1>10.0.0.2", "gre", "mpls 100". */
export function tunnelText(t: TunnelJson): string {
  let s: string = t.kind;
  const id = t.vni ?? t.key ?? t.session ?? t.label;
  if (id !== undefined && id !== null) s += ` ${id}`;
  if (t.outer !== null) s += ` ${t.outer.src}>${t.outer.dst}`;
  return s;
}
