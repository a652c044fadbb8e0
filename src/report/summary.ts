// Totals per outcome and per service (server address and port), over every attempt — --only
// chooses what is listed, never what is counted. A port scan collapses into one line per target.
// Established connections reset later are counted apart, by who reset them (Zeek's RSTO / RSTR).
// Connect latency per service lives in fixed-size histograms (latency.ts).

import { OUTCOMES, RESET_BY_CLIENT, RESET_BY_SERVER, type SettledAttempt, type Outcome } from '../track/attempt.js';
import { formatIp, ip4Text } from './address.js';
import type { Finding } from './findings.js';
import { ServiceLatency, percentiles, type LatencyJson } from './latency.js';
import type { EndpointJson } from './record.js';
import { endpointText } from './text.js';

export type SummaryJson = { attempts: number } & Record<Outcome, number>;

/** Established connections that the client / the server later reset (RST). */
export interface ResetsJson {
  byClient: number;
  byServer: number;
}

export interface ServiceJson {
  /** port is null when the service line stands for many ports of one target (a scan). */
  server: { ip: string; port: number | null };
  attempts: number;
  /** How many distinct ports the line covers (only on collapsed lines). */
  ports?: number;
  established?: number;
  refused?: number;
  rejected?: number;
  dropped?: number;
  'timed-out'?: number;
  aborted?: number;
  incomplete?: number;
  /** Only when some of its established connections were reset. */
  resets?: ResetsJson;
  /** Only when it answered some SYN with SYN/ACK. */
  latency?: LatencyJson;
}

/** Above this many ports on one server address, its services collapse into one line. */
export const SCAN_PORTS = 32;

export function emptySummary(): SummaryJson {
  return {
    attempts: 0,
    established: 0,
    refused: 0,
    rejected: 0,
    dropped: 0,
    'timed-out': 0,
    aborted: 0,
    incomplete: 0,
  };
}

export class ServiceCount {
  /** IPv6: a copy of the server's address, to compare and format; null for IPv4, which ip4 holds. */
  readonly addr: Buffer | null;
  readonly len: number;
  /** IPv4: the address as SettledAttempt.server4 holds it. */
  readonly ip4: number;
  readonly port: number;
  readonly counts: number[] = [0, 0, 0, 0, 0, 0, 0];
  /** Established connections reset later by the client / by the server. */
  resetByClient = 0;
  resetByServer = 0;
  /** Connect latency, once a handshake with the service completed (and MAX_LATENCY_SERVICES allow). */
  latency: ServiceLatency | null = null;
  /** For findings.ts: start (s) of the latest attempt it answered with SYN/ACK, and whether it was named. */
  answeredAt = Number.NEGATIVE_INFINITY;
  reported = false;
  /**
   * Attempts with a packet of the server's in the capture, and attempts with none whose client
   * acknowledged server packets all the same: the second without the first is a one-sided service.
   */
  answered = 0;
  proven = 0;
  private ipText: string | null = null;
  constructor(addr: Buffer | null, len: number, ip4: number, port: number) {
    this.addr = addr;
    this.len = len;
    this.ip4 = ip4;
    this.port = port;
  }

  /** The server's address as text, formatted once. */
  get ip(): string {
    if (this.ipText === null) this.ipText = this.addr === null ? ip4Text(this.ip4) : formatIp(this.addr, 0, this.len);
    return this.ipText;
  }
}

/** Whether a service's address (`server`) is the one in an attempt's addr (its second half). */
function sameServer(server: Buffer | null, addr: Buffer, len: number): boolean {
  if (server === null) return false;
  for (let i = 0; i < len; i++) if (server[i] !== addr[len + i]) return false;
  return true;
}

/**
 * A 30-bit hash (a V8 small integer, no boxing) of a server address and port; services with the
 * same hash are chained. IPv4 hashes the integer the attempt holds (`ip4`), without reading `addr`;
 * IPv6 the server's half of `addr`.
 */
export function serviceHash(addr: Buffer, len: number, ip4: number, port: number): number {
  let h = Math.imul(port + 1, 0x9e3779b1);
  if (len === 4) {
    h = Math.imul(h ^ ip4, 0x01000193);
    h ^= h >>> 15;
  } else {
    for (let i = len; i < 2 * len; i++) h = Math.imul(h ^ addr[i]!, 0x01000193);
  }
  return h & 0x3fffffff;
}

/** At most this many services are counted one by one; the rest only in the totals. */
const MAX_SERVICES = 200_000;
/** At most this many services keep latency histograms (two of ~1.2 KB each): 24 MB at worst. */
const MAX_LATENCY_SERVICES = 10_000;

/** Connects needing retransmitted SYNs make a finding from this share of a service's connects on. */
const SLOW_SHARE = 0.05;

/** Index of an outcome in OUTCOMES (a switch on constant strings: no keyed property lookups). */
export function outcomeIndex(o: Outcome): number {
  switch (o) {
    case 'established':
      return 0;
    case 'refused':
      return 1;
    case 'rejected':
      return 2;
    case 'dropped':
      return 3;
    case 'timed-out':
      return 4;
    case 'aborted':
      return 5;
    default:
      return 6;
  }
}

export class Summary {
  /** Attempts per outcome, in OUTCOMES order. */
  private readonly counts = [0, 0, 0, 0, 0, 0, 0];
  private attempts = 0;
  private resetByClient = 0;
  private resetByServer = 0;
  private latencyServices = 0;
  /** Services whose latency was not kept because MAX_LATENCY_SERVICES already were. */
  uncountedLatency = 0;

  /** Established connections reset later, by side. */
  get resets(): ResetsJson {
    return { byClient: this.resetByClient, byServer: this.resetByServer };
  }

  /** The contract's summary object. */
  get totals(): SummaryJson {
    const t = emptySummary();
    t.attempts = this.attempts;
    for (let i = 0; i < OUTCOMES.length; i++) t[OUTCOMES[i]!] = this.counts[i]!;
    return t;
  }

  /** Every service counted, in the order first seen. */
  private readonly services: ServiceCount[] = [];
  /**
   * Open addressing (linear probing) over the services: each bucket holds a service's index + 1 (0
   * for empty) and, beside it, its hash, so that a probe reads no service it does not match.
   */
  private buckets = new Int32Array(1 << 12);
  private hashes = new Int32Array(1 << 12);
  /** Attempts whose service was not counted because MAX_SERVICES were already. */
  uncountedServices = 0;

  /** Counts a settled attempt (by its verdict) and its service, which it returns. No text is built here. */
  add(a: SettledAttempt): ServiceCount | null {
    const v = a.verdict;
    if (v === null) return null;
    const index = outcomeIndex(v.outcome);
    this.attempts++;
    this.counts[index]!++;
    if (a.resetBy === RESET_BY_CLIENT) this.resetByClient++;
    else if (a.resetBy === RESET_BY_SERVER) this.resetByServer++;
    const len = a.addrLen;
    const addr = a.addr;
    const port = a.serverPort;
    const ip4 = a.server4;
    const h = serviceHash(addr, len, ip4, port);
    const buckets = this.buckets;
    const mask = buckets.length - 1;
    let b = h & mask;
    let s: ServiceCount | undefined;
    for (let i = buckets[b]!; i !== 0; b = (b + 1) & mask, i = buckets[b]!) {
      if (this.hashes[b] !== h) continue;
      const c = this.services[i - 1]!;
      if (c.port === port && c.len === len && (len === 4 ? c.ip4 === ip4 : sameServer(c.addr, addr, len))) {
        s = c;
        break;
      }
    }
    if (s === undefined) {
      if (this.services.length >= MAX_SERVICES) {
        this.uncountedServices++;
        return null;
      }
      // A copy: the tracker reuses the attempt's addr Buffer once the attempt is reported. IPv4
      // needs none: ip4 is the address (a flood of services costs ~100 bytes less each).
      s = new ServiceCount(len === 4 ? null : Buffer.from(addr.subarray(len, 2 * len)), len, len === 4 ? ip4 : 0, port);
      this.services.push(s);
      buckets[b] = this.services.length;
      this.hashes[b] = h;
      if (this.services.length * 2 > buckets.length) this.grow();
    }
    s.counts[index]!++;
    if (a.resetBy === RESET_BY_CLIENT) s.resetByClient++;
    else if (a.resetBy === RESET_BY_SERVER) s.resetByServer++;
    if (a.serverPackets > 0) s.answered++;
    else if (a.unseenAcks > 0) s.proven++;
    // Completed handshakes only: a SYN scan's answered probes (thousands of ports, one SYN/ACK each)
    // would fill the histograms with services no application connects to.
    if (a.connectDelay >= 0) this.latencyOf(s, a);
    return s;
  }

  /** Doubles the buckets, placing every service again (the load stays at most one half). */
  private grow(): void {
    const old = this.buckets;
    const oldHashes = this.hashes;
    const buckets = new Int32Array(old.length * 2);
    const hashes = new Int32Array(old.length * 2);
    const mask = buckets.length - 1;
    for (let j = 0; j < old.length; j++) {
      const i = old[j]!;
      if (i === 0) continue;
      const h = oldHashes[j]!;
      let b = h & mask;
      while (buckets[b] !== 0) b = (b + 1) & mask;
      buckets[b] = i;
      hashes[b] = h;
    }
    this.buckets = buckets;
    this.hashes = hashes;
  }

  /** Adds an attempt's delays to its service's histograms. */
  private latencyOf(s: ServiceCount, a: SettledAttempt): void {
    let l = s.latency;
    if (l === null) {
      if (this.latencyServices >= MAX_LATENCY_SERVICES) {
        this.uncountedLatency++;
        return;
      }
      l = new ServiceLatency();
      s.latency = l;
      this.latencyServices++;
    }
    if (a.synAckDelay >= 0) l.synAck.add(a.synAckDelay);
    l.connect.add(a.connectDelay);
    if (a.synCount > 1) l.retransmitted++;
  }

  /**
   * Services whose connects were slow because SYNs had to be retransmitted: at least one connect in
   * twenty (SLOW_SHARE) needed more than one SYN. Connect times then jump by the client's
   * retransmission timeout (1 s, then 2, 4 ...), while the SYN/ACK still follows the SYN it answers
   * at once: the SYNs were lost on the way, or dropped by the server.
   */
  slowConnectFindings(): Finding[] {
    const out: (Finding & { server: { ip: string; port: number } })[] = [];
    for (const s of this.services) {
      const l = s.latency;
      if (l === null || l.retransmitted === 0 || l.retransmitted < SLOW_SHARE * l.connect.count) continue;
      const c = percentiles(l.connect);
      const a = percentiles(l.synAck);
      out.push({
        kind: 'slow-connect',
        server: { ip: s.ip, port: s.port },
        text:
          `${endpointText(s.ip, s.port)}: ${l.retransmitted} of ${l.connect.count} connects needed SYN` +
          ` retransmissions (first SYN to connected: p50 ${c.p50} ms, p95 ${c.p95} ms, max ${c.max} ms), while` +
          ` its SYN/ACK followed the SYN it answered in ${a.p50} ms (p50): SYNs were lost on the way or dropped` +
          ` by the server (a full listen queue, loss on the path), and each one cost the client a retransmission` +
          ` timeout.`,
      });
    }
    return out.sort((x, y) =>
      x.server.ip < y.server.ip ? -1 : x.server.ip > y.server.ip ? 1 : (x.server.port ?? 0) - (y.server.port ?? 0),
    );
  }

  /** Services with no packet of their own in the capture although their clients acknowledge some. */
  oneSidedServers(): { ip: string; port: number; proven: number }[] {
    const out: { ip: string; port: number; proven: number }[] = [];
    for (const s of this.services) {
      if (s.answered === 0 && s.proven > 0) out.push({ ip: s.ip, port: s.port, proven: s.proven });
    }
    return out.sort((x, y) => compareEndpoint(x, y));
  }

  /** Per service, failures first; servers with more than SCAN_PORTS ports become one line. */
  serviceList(): ServiceJson[] {
    const portsPerIp = new Map<string, number>();
    for (const s of this.services) portsPerIp.set(s.ip, (portsPerIp.get(s.ip) ?? 0) + 1);
    const merged = new Map<
      string,
      {
        ip: string;
        port: number | null;
        ports: number;
        counts: number[];
        resets: ResetsJson;
        latency: ServiceLatency | null;
      }
    >();
    for (const s of this.services) {
      const scan = (portsPerIp.get(s.ip) ?? 0) > SCAN_PORTS;
      const key = scan ? s.ip : `${s.ip} ${s.port}`;
      let m = merged.get(key);
      if (m === undefined) {
        m = {
          ip: s.ip,
          port: scan ? null : s.port,
          ports: 0,
          counts: new Array<number>(OUTCOMES.length).fill(0),
          resets: { byClient: 0, byServer: 0 },
          latency: scan ? null : s.latency,
        };
        merged.set(key, m);
      }
      if (scan && s.latency !== null) {
        if (m.latency === null) m.latency = new ServiceLatency();
        m.latency.merge(s.latency);
      }
      m.ports++;
      m.resets.byClient += s.resetByClient;
      m.resets.byServer += s.resetByServer;
      for (let i = 0; i < OUTCOMES.length; i++) m.counts[i]! += s.counts[i]!;
    }
    const out: ServiceJson[] = [];
    for (const m of merged.values()) {
      const j: ServiceJson = { server: { ip: m.ip, port: m.port }, attempts: 0 };
      if (m.port === null) j.ports = m.ports;
      for (let i = 0; i < OUTCOMES.length; i++) {
        const n = m.counts[i]!;
        j.attempts += n;
        if (n > 0) j[OUTCOMES[i]!] = n;
      }
      if (m.resets.byClient + m.resets.byServer > 0) j.resets = m.resets;
      if (m.latency !== null) j.latency = m.latency.json();
      out.push(j);
    }
    out.sort((x, y) => failures(y) - failures(x) || y.attempts - x.attempts || compareEndpoint(x.server, y.server));
    return out;
  }
}

/** Failures for the application: failed handshakes, and established connections reset later. */
export function failures(s: ServiceJson): number {
  return s.attempts - (s.established ?? 0) - (s.incomplete ?? 0) + resetCount(s.resets);
}

export function resetCount(r: ResetsJson | undefined): number {
  return r === undefined ? 0 : r.byClient + r.byServer;
}

function compareEndpoint(a: { ip: string; port: number | null }, b: { ip: string; port: number | null }): number {
  if (a.ip !== b.ip) return a.ip < b.ip ? -1 : 1;
  return (a.port ?? -1) - (b.port ?? -1);
}

export type { EndpointJson };
