// Service-level findings that no single handshake proves but a few together do: a listen queue
// that overflows (the same port answers some SYNs and silently drops others in the same seconds),
// and resets injected on the path (an RST whose TTL is unlike the server's own packets).

import { ERRNO_MESSAGES, diagnose } from './diagnosis.js';
import type { HandshakeJson } from './record.js';

/** Attempts to one port less than this far apart count as "the same seconds". */
const WINDOW_MS = 10_000;

interface ServiceSeen {
  /** Start (ms since the epoch) of the latest attempt the service answered with SYN/ACK. */
  answeredAt: number;
  dropped: number;
  answered: number;
  reported: boolean;
}

export interface Finding {
  kind: 'listen-queue-overflow' | 'injected-reset';
  server: { ip: string; port: number | null };
  text: string;
}

function ms(iso: string): number {
  return Date.parse(iso);
}

export class Findings {
  private readonly services = new Map<string, ServiceSeen>();
  /** TTLs (or hop limits) of the SYN/ACKs each server address sent. */
  private readonly synAckTtls = new Map<string, Set<number>>();
  private readonly list: Finding[] = [];
  private readonly injected = new Set<string>();

  /**
   * Learns from one handshake and returns its diagnosis, with what the handshakes seen so far
   * add to it.
   */
  diagnose(h: HandshakeJson, timeout: number): string {
    const key = `${h.server.ip} ${h.server.port}`;
    let s = this.services.get(key);
    if (s === undefined) {
      if (this.services.size >= 100_000) return diagnose(h, timeout);
      s = { answeredAt: Number.NEGATIVE_INFINITY, dropped: 0, answered: 0, reported: false };
      this.services.set(key, s);
    }
    const a = h.answer;
    const start = ms(h.start);
    let note: string | null = null;
    if (a !== null && a.kind === 'synack') {
      s.answeredAt = Math.max(s.answeredAt, start);
      s.answered++;
      let ttls = this.synAckTtls.get(a.from);
      if (ttls === undefined && this.synAckTtls.size < 100_000) {
        ttls = new Set();
        this.synAckTtls.set(a.from, ttls);
      }
      ttls?.add(a.ttl);
    }
    if (h.outcome === 'dropped' && s.answered > 0 && start - s.answeredAt <= WINDOW_MS) {
      s.dropped++;
      if (!s.reported) {
        s.reported = true;
        this.list.push({
          kind: 'listen-queue-overflow', server: { ip: h.server.ip, port: h.server.port },
          text: `${h.server.ip}:${h.server.port} answered some SYNs and silently dropped others in the same seconds: its listen queue overflows.`,
        });
      }
      const syns = h.synCount === 1 ? 'the SYN' : `${h.synCount} SYNs`;
      const saw = h.errno === null ? '' : ` The application saw ${h.errno} ("${ERRNO_MESSAGES[h.errno]}").`;
      note = `No answer to ${syns} for ${h.server.ip}:${h.server.port}, yet the same port answered another SYN ${((start - s.answeredAt) / 1000).toFixed(1)} s earlier: the host is up and reachable, and its full listen queue drops SYNs silently (the application does not accept() fast enough, or its backlog is too small).${saw} Next: on the server, \`nstat -az TcpExtListenOverflows TcpExtListenDrops\` and \`ss -ltn 'sport = :${h.server.port}'\` (Recv-Q at Send-Q means full); raise the listen() backlog and \`net.core.somaxconn\`, or make the service accept faster.`;
    }
    if (h.outcome === 'refused' && a !== null && a.kind === 'rst') {
      const ttls = this.synAckTtls.get(a.from);
      if (ttls !== undefined && ttls.size > 0 && !ttls.has(a.ttl)) {
        note = `${diagnose(h, timeout)} The reset came with TTL ${a.ttl}, while ${a.from}'s own SYN/ACKs arrive with ${[...ttls].join(' or ')}: it was most likely injected on the path by a firewall or load balancer answering for the server.`;
        if (!this.injected.has(a.from)) {
          this.injected.add(a.from);
          this.list.push({
            kind: 'injected-reset', server: { ip: h.server.ip, port: h.server.port },
            text: `Resets for ${a.from} arrive with TTL ${a.ttl}, unlike its SYN/ACKs (${[...ttls].join(', ')}): something on the path resets connections in its name.`,
          });
        }
      }
    }
    return note ?? diagnose(h, timeout);
  }

  all(): readonly Finding[] {
    return this.list;
  }
}
