// Service-level findings that no single handshake proves but a few together do: a listen queue
// that overflows (the same port answers some SYNs and silently drops others in the same seconds),
// and resets injected on the path (an RST whose TTL is unlike the server's own SYN/ACKs).

import { ANSWER_RST, ANSWER_SYNACK, type Attempt } from '../track/attempt.js';
import { ERRNO_MESSAGES, diagnose } from './diagnosis.js';
import type { HandshakeJson } from './record.js';
import type { ServiceCount } from './summary.js';

/** Attempts to one port less than this far apart count as "the same seconds". */
const WINDOW_SECONDS = 10;
/** Bound on the services and servers remembered. */
const MAX_KEYS = 100_000;

/** What observe() found about one attempt. */
export const NOTE_NONE = 0;
export const NOTE_LISTEN_OVERFLOW = 1;
export const NOTE_INJECTED_RESET = 2;

export interface Finding {
  kind: 'listen-queue-overflow' | 'injected-reset' | 'slow-connect';
  server: { ip: string; port: number | null };
  text: string;
}

/** The server's address as a map key (a SYN/ACK or RST always carries it as its source). */
function serverKey(a: Attempt): number | string {
  return a.addrLen === 4 ? a.server4 : a.addr.toString('latin1', 16, 32);
}

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
  observe(a: Attempt, s: ServiceCount | null): number {
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
   * The diagnosis of a handshake whose attempt observe() just saw, with its note; also names the
   * finding the first time. Call it right after observe() for the same attempt.
   */
  diagnose(h: HandshakeJson, note: number, timeout: number): string {
    const where = `${h.server.ip}:${h.server.port}`;
    if (note === NOTE_LISTEN_OVERFLOW) {
      if (this.pendingOverflow) {
        this.pendingOverflow = false;
        this.list.push({
          kind: 'listen-queue-overflow', server: { ip: h.server.ip, port: h.server.port },
          text: `${where} answered some SYNs and silently dropped others in the same seconds: its listen queue overflows.`,
        });
      }
      const syns = h.synCount === 1 ? 'the SYN' : `${h.synCount} SYNs`;
      const saw = h.errno === null ? '' : ` The application saw ${h.errno} ("${ERRNO_MESSAGES[h.errno]}").`;
      return `No answer to ${syns} for ${where}, yet the same port answered another SYN ${this.gapSeconds.toFixed(1)} s earlier: the host is up and reachable, and its full listen queue drops SYNs silently (the application does not accept() fast enough, or its backlog is too small).${saw} Next: on the server, \`nstat -az TcpExtListenOverflows TcpExtListenDrops\` and \`ss -ltn 'sport = :${h.server.port}'\` (Recv-Q reaching Send-Q means full); raise the listen() backlog and \`net.core.somaxconn\`, or make the service accept faster.`;
    }
    if (note === NOTE_INJECTED_RESET && h.answer !== null) {
      const from = h.answer.from;
      if (this.pendingInjected) {
        this.pendingInjected = false;
        this.list.push({
          kind: 'injected-reset', server: { ip: h.server.ip, port: h.server.port },
          text: `Resets for ${from} arrive with TTL ${h.answer.ttl}, unlike its SYN/ACKs (${this.ttls.join(', ')}): something on the path resets connections in its name.`,
        });
      }
      return `${diagnose(h, timeout)} The reset came with TTL ${h.answer.ttl}, while ${from}'s own SYN/ACKs arrive with ${this.ttls.join(' or ')}: it was most likely injected on the path by a firewall or load balancer answering for the server.`;
    }
    return diagnose(h, timeout);
  }

  all(): readonly Finding[] {
    return this.list;
  }
}
