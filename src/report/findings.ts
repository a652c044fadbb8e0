// Service-level findings that no single handshake proves but a few together do: a listen queue
// that overflows (the same port answers some SYNs and silently drops others in the same seconds),
// and resets injected on the path (an RST whose TTL is unlike the server's own SYN/ACKs). And what
// the capture itself cannot show (coverageFindings): one direction only, packets missing from it,
// timestamps going backwards.

import { ANSWER_NONE, ANSWER_RST, ANSWER_SYNACK, type SettledAttempt } from '../track/attempt.js';
import { piece } from './bytes.js';
import { Prose, writeDiagnosis } from './diagnosis.js';
import type { HandshakeFacts } from './facts.js';
import type { Coverage } from '../track/handshakes.js';
import type { CaptureJson, CaptureLossJson } from './reporter.js';
import type { ServiceCount, Summary } from './summary.js';
import { plural } from './text.js';

/** Attempts to one port less than this far apart count as "the same seconds". */
const WINDOW_SECONDS = 10;
/** Bound on the services and servers remembered. */
const MAX_KEYS = 100_000;

/** What observe() found about one attempt. */
export const NOTE_NONE = 0;
export const NOTE_LISTEN_OVERFLOW = 1;
export const NOTE_INJECTED_RESET = 2;

export interface Finding {
  kind:
    'listen-queue-overflow' | 'injected-reset' | 'slow-connect' | 'one-direction' | 'capture-loss' | 'clock-backwards';
  /** The service it is about; null when it is about the whole capture. */
  server: { ip: string; port: number | null } | null;
  /** The input it is about (clock-backwards). */
  file?: string;
  text: string;
}

/**
 * Steps back smaller than this are counted (the capture's timestampsBackwards, the anomaly) but make
 * no finding: a live capture on two CPUs stamps packets of different queues a few µs out of order
 * (6 µs seen on a veth), which changes nothing an operator reads.
 */
export const CLOCK_FINDING_MS = 1;

const ONE_SIDE =
  'a capture filter on one address such as `src host`, asymmetric routing, or a mirror port that sees one side';

/**
 * The capture-loss line of the text formats: "capture loss: 2 of 31 ACKs acknowledge packets never
 * captured (6.45%), ..."; null when there was nothing to count (no ACK, no answer without its SYN).
 */
export function wireLossText(l: CaptureLossJson): string | null {
  if (l.acks === 0 && l.answersWithoutSyn === 0) return null;
  let s = `capture loss: ${l.gaps} of ${plural(l.acks, 'ACK')} acknowledge packets never captured (${l.percent}%)`;
  s += `, ${plural(l.answersWithoutSyn, 'answer')} without ${l.answersWithoutSyn === 1 ? 'its' : 'their'} SYN`;
  return s;
}

/**
 * What the capture cannot show, from the run's coverage (Zeek's capture_loss and the packets'
 * directions) and the services' counts: one finding per fact, worded for the ticket.
 */
export function coverageFindings(
  c: Coverage,
  loss: CaptureLossJson,
  captures: readonly CaptureJson[],
  summary: Summary,
): Finding[] {
  const out: Finding[] = [];
  const t = summary.totals;
  const unanswered = t.dropped + t.incomplete;
  if (t.attempts > 0 && c.serverToClient === 0) {
    const text =
      c.gaps > 0
        ? `No packet in the capture goes from a server to a client, yet the clients acknowledge` +
          ` ${plural(c.gaps, 'packet')} the servers sent: the capture holds one direction only (${ONE_SIDE}). Its` +
          ` ${plural(unanswered, 'unanswered attempt')} mean "no answer captured", not "dropped": a refused or` +
          ` rejected attempt looks the same from this side, unless its client sent three SYNs or more (its own word` +
          ` that no answer reached it).`
        : `No packet in the capture goes from a server to a client (${plural(t.attempts, 'attempt')}): either every` +
          ` SYN went unanswered, or the capture holds one direction only (${ONE_SIDE}). It cannot tell a silent` +
          ` drop from an answer it did not record, but for attempts whose client sent three SYNs or more: those` +
          ` retransmissions say no answer reached it.`;
    out.push({ kind: 'one-direction', server: null, text });
  } else if (t.attempts === 0 && c.answersWithoutSyn > 0) {
    out.push({
      kind: 'one-direction',
      server: null,
      text:
        `The capture holds ${plural(c.answersWithoutSyn, 'answer')} (SYN/ACK or reset) and none of the SYNs` +
        ` they answer: it sees the servers' direction only (${ONE_SIDE}).`,
    });
  } else {
    for (const s of summary.oneSidedServers()) {
      out.push({
        kind: 'one-direction',
        server: { ip: s.ip, port: s.port },
        text:
          `No packet from ${s.ip}:${s.port} is in the capture, yet its clients acknowledge packets from it in` +
          ` ${plural(s.proven, 'attempt')}: the capture misses that server's direction (${ONE_SIDE}). Its` +
          ` unanswered attempts are not known to be dropped.`,
      });
    }
    if (c.plain === 0 && c.ackFiltered > 0) {
      out.push({
        kind: 'capture-loss',
        server: null,
        text:
          `The capture holds no TCP packet without SYN, FIN or RST (no data, no pure ACK): it was taken with a` +
          ` filter on TCP flags, such as \`tcp[tcpflags] & (tcp-syn|tcp-rst) != 0\`, which leaves out the ACK that` +
          ` completes every handshake. ${plural(c.ackFiltered, 'timed-out attempt')} whose client did not send its` +
          ` SYN again after the SYN/ACK may well have completed.` +
          ` Such a filter also matches no IPv6 packet (\`tcp[]\` reads IPv4 only). To keep a capture small,` +
          ` cut the packets short instead (\`tcpdump -s 96\`).`,
      });
    }
    if (c.gaps > 0 || c.answersWithoutSyn > 0) {
      const parts: string[] = [];
      if (c.answersWithoutSyn > 0)
        parts.push(
          `${plural(c.answersWithoutSyn, 'answer')} without ${c.answersWithoutSyn === 1 ? 'its' : 'their'} SYN`,
        );
      if (c.gaps > 0)
        parts.push(
          `${c.gaps} of ${plural(c.acks, 'ACK')} acknowledge packets never captured (${loss.percent}%, as Zeek's` +
            ` capture_loss counts)`,
        );
      out.push({
        kind: 'capture-loss',
        server: null,
        text:
          `The capture misses packets: ${parts.join('; ')}. Verdicts that rest on a packet's absence are not` +
          ` safe: a reset or ICMP error the capture lost makes a refused or rejected attempt look dropped, a lost` +
          ` client ACK makes an established one look timed-out, and an attempt whose SYN was lost is not listed at` +
          ` all.`,
      });
    }
  }
  for (const cap of captures) {
    const b = cap.timestampsBackwards;
    if (b === undefined || b.maxMs < CLOCK_FINDING_MS) continue;
    out.push({
      kind: 'clock-backwards',
      server: null,
      file: cap.file,
      text:
        `Timestamps in ${cap.file} go backwards ${b.count === 1 ? 'once' : `${b.count} times`}` +
        ` (first at frame ${b.firstFrame}, by up to` +
        ` ${b.maxMs >= 1000 ? `${(b.maxMs / 1000).toFixed(2)} s` : `${b.maxMs} ms`}): ` +
        (b.maxMs >= 1000
          ? 'the clock was stepped back or files were joined out of order'
          : 'packets from different queues or interfaces were stamped out of order') +
        '. Verdicts follow a capture clock that never goes back (across a step of a second or more it counts' +
        " 0.1 s), so they do not change; an answer's afterMs across such a step is not a real delay.",
    });
  }
  return out;
}

/** The server's address as a map key (a SYN/ACK or RST always carries it as its source). */
function serverKey(a: SettledAttempt): number | string {
  return a.addrLen === 4 ? a.server4 : a.addr.toString('latin1', 16, 32);
}

/** The fixed pieces of the findings' own diagnoses. */
const F = {
  noAnswerTo: piece('No answer to '),
  theSyn: piece('the SYN'),
  syns: piece(' SYNs'),
  for: piece(' for '),
  colon: piece(':'),
  sameport: piece(', yet the same port answered another SYN '),
  overflow: piece(
    ' s earlier: the host is up and reachable, and its full listen queue drops SYNs silently (the application does' +
      ' not accept() fast enough, or its backlog is too small).',
  ),
  overflowNext: piece(
    " Next: on the server, `nstat -az TcpExtListenOverflows TcpExtListenDrops` and `ss -ltn 'sport = :",
  ),
  overflowNextEnd: piece(
    "'` (Recv-Q reaching Send-Q means full); raise the listen() backlog and `net.core.somaxconn`, or make the" +
      ' service accept faster.',
  ),
  resetTtl: piece(' The reset came with TTL '),
  while: piece(', while '),
  ownSynAcks: piece("'s own SYN/ACKs arrive with "),
  injected: piece(': it was most likely injected on the path by a firewall or load balancer answering for the server.'),
};

export class Findings {
  /** TTLs (or hop limits) of the SYN/ACKs each server address sent. */
  private readonly synAckTtls = new Map<number | string, number[]>();
  private readonly list: Finding[] = [];
  private readonly injected = new Set<number | string>();
  /** Details of the latest note, for its text. */
  private gapSeconds = 0;
  private ttls: readonly number[] = [];
  /** Findings waiting for their text (the first listed or reported handshake names them). */
  private pendingOverflow = false;
  private pendingInjected = false;

  /**
   * Learns from one settled attempt (every one, listed or not) and its service as the summary
   * counted it; returns a NOTE_* for it.
   */
  observe(a: SettledAttempt, s: ServiceCount | null): number {
    const v = a.verdict;
    if (v === null || s === null) return NOTE_NONE;
    const start = a.startSec + a.startNsec * 1e-9;
    if (a.answerKind === ANSWER_SYNACK) {
      if (start > s.answeredAt) s.answeredAt = start;
      const k = serverKey(a);
      let ttls = this.synAckTtls.get(k);
      if (ttls === undefined && this.synAckTtls.size < MAX_KEYS) {
        ttls = [];
        this.synAckTtls.set(k, ttls);
      }
      if (ttls !== undefined && !ttls.includes(a.answerTtl) && ttls.length < 8) ttls.push(a.answerTtl);
    }
    if (v.outcome === 'dropped' && start - s.answeredAt <= WINDOW_SECONDS) {
      this.gapSeconds = start - s.answeredAt;
      if (!s.reported) {
        s.reported = true;
        this.pendingOverflow = true;
      }
      return NOTE_LISTEN_OVERFLOW;
    }
    if (v.outcome === 'refused' && a.answerKind === ANSWER_RST) {
      const k = serverKey(a);
      const ttls = this.synAckTtls.get(k);
      if (ttls !== undefined && ttls.length > 0 && !ttls.includes(a.answerTtl)) {
        this.ttls = ttls;
        if (!this.injected.has(k) && this.injected.size < MAX_KEYS) {
          this.injected.add(k);
          this.pendingInjected = true;
        }
        return NOTE_INJECTED_RESET;
      }
    }
    return NOTE_NONE;
  }

  /**
   * Names the finding a note points to the first time (its text needs the attempt's addresses).
   * Call it right after observe() for the same attempt, listed or not.
   */
  name(f: HandshakeFacts, note: number): void {
    if (note === NOTE_LISTEN_OVERFLOW && this.pendingOverflow) {
      this.pendingOverflow = false;
      this.list.push({
        kind: 'listen-queue-overflow',
        server: { ip: f.serverIp, port: f.serverPort },
        text:
          `${f.serverIp}:${f.serverPort} answered some SYNs and silently dropped others in the same seconds:` +
          ` its listen queue overflows.`,
      });
    } else if (note === NOTE_INJECTED_RESET && f.answerKind !== ANSWER_NONE && this.pendingInjected) {
      this.pendingInjected = false;
      this.list.push({
        kind: 'injected-reset',
        server: { ip: f.serverIp, port: f.serverPort },
        text:
          `Resets for ${f.answerFrom} arrive with TTL ${f.ttl}, unlike its SYN/ACKs (${this.ttls.join(', ')}):` +
          ` something on the path resets connections in its name.`,
      });
    }
  }

  /** The diagnosis of a handshake whose attempt observe() just saw, with its note (see name()). */
  writeDiagnosis(f: HandshakeFacts, note: number, timeout: number, w: Prose): void {
    if (note === NOTE_LISTEN_OVERFLOW) {
      w.k(F.noAnswerTo);
      if (f.synCount === 1) w.k(F.theSyn);
      else {
        w.n(f.synCount);
        w.k(F.syns);
      }
      w.k(F.for);
      w.s(f.serverIp);
      w.k(F.colon);
      w.n(f.serverPort);
      w.k(F.sameport);
      w.s(this.gapSeconds.toFixed(1));
      w.k(F.overflow);
      w.saw(f.errno);
      w.k(F.overflowNext);
      w.n(f.serverPort);
      w.k(F.overflowNextEnd);
      return;
    }
    writeDiagnosis(f, timeout, w);
    if (note === NOTE_INJECTED_RESET && f.answerKind !== ANSWER_NONE) {
      w.k(F.resetTtl);
      w.n(f.ttl);
      w.k(F.while);
      w.s(f.answerFrom);
      w.k(F.ownSynAcks);
      w.s(this.ttls.join(' or '));
      w.k(F.injected);
    }
  }

  all(): readonly Finding[] {
    return this.list;
  }
}
