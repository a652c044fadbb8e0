// Generates a large synthetic capture for benchmarks: a classic pcap (Ethernet, microseconds),
// deterministic from its seed, streamed to disk, with the generator's own ground truth next to it.
//
//   node --import tsx scripts/bench/synth.ts --out FILE [--attempts 320000] [--seed 1] [--rate 1000]
//                                      [--ipv6 0.15] [--snaplen 262144] [--quiet]
//                                      [--attempt-log FILE]   (one line per attempt: client port server port outcome)
//
// The capture is taken on the clients' LAN (server packets come through the gateway's MAC).
// Attempts start as a Poisson process whose rate swings ±50% around --rate per second, and
// every attempt's packets are scheduled on a min-heap and written in time order, so thousands
// are open at once. Outcomes and what the wire shows for each:
//   established  SYN (2%: retransmitted once at +1 s), SYN/ACK, ACK, 1-4 request/response
//                exchanges (3%: long-lived, 10-90 s), closed by FIN/FIN (75%) or RST (25%)
//   refused      SYN, RST+ACK with ack = ISN+1 from the server
//   rejected     SYN answered by an ICMP/ICMPv6 error quoting it: host unreachable from the
//                server's gateway ~3 s in (after a retransmission at +1 s), admin-prohibited
//                from a firewall, port unreachable from the server (iptables REJECT), net
//                unreachable from the core router, time exceeded
//   dropped      SYN + retransmissions at +1 s, +3 s (30%: and +7 s; 10%: none), no answer
//   timed-out    SYN at 0/1/3 s each answered by a SYN/ACK, the client never ACKs
//   aborted      SYN scan (SYN, SYN/ACK, RST from the scanner) or a client that gave up
//                (SYN, SYN at +1 s, a late SYN/ACK, the client's RST)
//   incomplete   a few attempts in the last 2.4 s of the capture, still unanswered
// plus background traffic that is no handshake: mid-stream TCP of connections opened before the
// capture (with the odd RST), DNS over UDP, ARP, ping.
//
// The capture goes on >= 6 s after the last regular attempt starts, so the ground truth holds for
// any --timeout in the `timeoutRange` written to FILE.truth.json (it always includes 3 s).

import { closeSync, openSync, realpathSync, writeFileSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  OPT_MSS,
  OPT_NONE,
  OPT_SYN,
  OPT_TS,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TcpFields,
  buildArpRequest,
  buildDns4,
  buildIcmp4,
  buildIcmp6,
  buildPing4,
  buildTcp,
} from './lib/packets.js';
import { PcapFileWriter } from '../../src/capture/pcap-writer.js';
import { ObjectHeap } from '../../src/heap.js';
import { Rng, cumulative } from './lib/prng.js';

/** Bumped whenever the same parameters would give different bytes (bench.ts reuses files by it). */
export const GENERATOR_VERSION = 1;

const S = 1_000_000;
const MS = 1_000;

export const OUTCOMES = [
  'established',
  'refused',
  'rejected',
  'dropped',
  'timed-out',
  'aborted',
  'incomplete',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface SynthParams {
  attempts: number;
  seed: string;
  rate: number;
  ipv6: number;
  snaplen: number;
}

export interface Truth {
  generator: string;
  version: number;
  params: SynthParams;
  packets: number;
  bytes: number;
  attempts: number;
  outcomes: Record<Outcome, number>;
  ipv6Attempts: number;
  first: string;
  last: string;
  durationSeconds: number;
  /** Most connections (first SYN to last packet) open at once. */
  peakOpen: number;
  /** The counts hold for any --timeout t with lo < t <= hi. */
  timeoutRange: [number, number];
}

// --------------------------------------------------------------------------- topology

interface Host {
  readonly v6: boolean;
  readonly ip: Buffer;
  readonly mac: Buffer;
}

interface Server {
  readonly host: Host;
  readonly ports: readonly number[];
  /** Round-trip time from the capture point, µs. */
  readonly rtt: number;
  /** Routers between the capture point and the server. */
  readonly hops: number;
  /** The server's initial TTL / hop limit (64 Linux, 128 Windows, 255 network gear). */
  readonly ttl0: number;
  /** The router in front of it (sends host-unreachable when it is gone). */
  readonly gateway: Host;
}

interface Client {
  readonly host: Host;
  nextPort: number;
  readonly ttl: number;
}

const GW_MAC = Buffer.from([0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x01]);
const HOST_PREFIX_V6 = [0x20, 0x01, 0x0d, 0xb8];

function v4(a: number, b: number, c: number, d: number): Buffer {
  return Buffer.from([a, b, c, d]);
}

function v6(group3: number, group4: number, low: number): Buffer {
  const b = Buffer.alloc(16);
  b.set(HOST_PREFIX_V6, 0);
  b.writeUInt16BE(group3, 4);
  b.writeUInt16BE(group4, 6);
  b.writeUInt32BE(low >>> 0, 12);
  return b;
}

function mac(i: number, kind: number): Buffer {
  const b = Buffer.alloc(6);
  b[0] = 0x02; // locally administered
  b[1] = kind;
  b.writeUInt32BE(i >>> 0, 2);
  return b;
}

function hostOf(ip: Buffer, m: Buffer = GW_MAC): Host {
  return { v6: ip.length === 16, ip, mac: m };
}

const SERVICE_PORTS = [443, 80, 8080, 8443, 5432, 6379, 3306, 22, 9200, 25, 11211, 9092];
const SERVICE_WEIGHTS = cumulative([40, 14, 8, 5, 7, 7, 4, 5, 3, 2, 2, 3]);
const CLOSED_PORTS = [8081, 9090, 5433, 6380, 27017, 8000, 3000, 9000, 15672, 5000];
const FILTERED_PORTS = [445, 3389, 23, 1433, 5900, 139, 135, 111];
const DNS_NAMES = [
  'api.shop.example',
  'db.internal.example',
  'cache.internal.example',
  'cdn.example.net',
  'auth.example.com',
];

// --------------------------------------------------------------------------- events

const EV_TCP = 1;
const EV_ICMP = 2;
const EV_BG = 3;

const BG_TCP = 1;
const BG_DNS_QUERY = 2;
const BG_DNS_ANSWER = 3;
const BG_ARP = 4;
const BG_PING = 5;
const BG_PONG = 6;

class Conn {
  /** Events scheduled and not yet written. */
  remaining = 0;
  cId: number;
  sId: number;
  constructor(
    readonly client: Client,
    readonly server: Host,
    readonly cport: number,
    readonly sport: number,
    readonly isn: number,
    readonly sisn: number,
    /** TTL of the server's packets as captured. */
    readonly sttl: number,
    readonly hops: number,
    readonly rtt: number,
    readonly tsC: number,
    readonly tsS: number,
    readonly flowC: number,
    readonly flowS: number,
    readonly scanner: boolean,
    ipIds: number,
  ) {
    this.cId = ipIds & 0xffff;
    this.sId = ipIds >>> 16;
  }

  get v6(): boolean {
    return this.server.v6;
  }
}

class Ev {
  /** When it is written (microseconds); the heap keeps two of the same time in the order they were scheduled. */
  t = 0;
  kind = 0;
  conn: Conn | null = null;
  fromServer = false;
  flags = 0;
  seq = 0;
  ack = 0;
  len = 0;
  opt = OPT_NONE;
  ipId = 0;
  // ICMP: type, code, sender, hops from the capture point, and the SYN it quotes
  icmpType = 0;
  icmpCode = 0;
  icmpFrom: Host | null = null;
  icmpHops = 0;
  quoteFull = true;
  quoteT = 0;
  quoteId = 0;
  /** Background: BG_* and the flow it belongs to. */
  bg = 0;
  flow = 0;
}

interface BgFlow {
  client: Host;
  server: Host;
  cport: number;
  sport: number;
  cseq: number;
  sseq: number;
  rtt: number;
}

// --------------------------------------------------------------------------- generator

class Synth {
  private readonly rng: Rng;
  private readonly bgRng: Rng;
  private readonly heap = new ObjectHeap<Ev>();
  private readonly writer: PcapFileWriter;
  private readonly frame = Buffer.alloc(70_000);
  private readonly quote = Buffer.alloc(256);
  private readonly f = new TcpFields();
  private readonly baseSec: number;
  private readonly baseUs: number;

  private readonly clients4: Client[] = [];
  private readonly clients6: Client[] = [];
  private readonly scanners: Client[] = [];
  private readonly servers4: Server[] = [];
  private readonly servers6: Server[] = [];
  private serverWeights4: Float64Array = new Float64Array(0);
  private serverWeights6: Float64Array = new Float64Array(0);
  private readonly deadHosts4: Server[] = [];
  private readonly deadHosts6: Server[] = [];
  private readonly blackholes4: Server[] = [];
  private readonly blackholes6: Server[] = [];
  private readonly unknownNets4: Server[] = [];
  private readonly unknownNets6: Server[] = [];
  private readonly firewall4 = hostOf(v4(192, 0, 2, 254));
  private readonly firewall6 = hostOf(v6(0xf1, 0, 0xfe));
  private readonly loopRouter4 = hostOf(v4(192, 0, 2, 77));
  private readonly loopRouter6 = hostOf(v6(0xf1, 0, 0x77));
  private readonly core4 = hostOf(v4(10, 0, 0, 1));
  private readonly core6 = hostOf(v6(0x10, 0, 1));
  private readonly dns = hostOf(v4(10, 0, 0, 53));
  private readonly bgFlows: BgFlow[] = [];
  private bgNext = 0;
  private bgIpId = 1;

  readonly outcomes: Record<Outcome, number> = {
    established: 0,
    refused: 0,
    rejected: 0,
    dropped: 0,
    'timed-out': 0,
    aborted: 0,
    incomplete: 0,
  };
  ipv6Attempts = 0;
  open = 0;
  peakOpen = 0;
  lastT = 0;
  /** Earliest decisive moment of the unfinished outcomes: first SYN (dropped), first SYN/ACK (timed-out). */
  private readonly droppedFrom: number[] = [];
  private readonly timedOutFrom: number[] = [];
  private readonly incompleteFrom: number[] = [];

  private lastConn: Conn | null = null;
  private readonly logFd: number;
  private logLines: string[] = [];

  constructor(
    readonly params: SynthParams,
    out: string,
    attemptLog: string | null = null,
  ) {
    this.logFd = attemptLog === null ? -1 : openSync(attemptLog, 'w');
    this.rng = new Rng(`synth:${params.seed}`);
    this.bgRng = new Rng(`synth-bg:${params.seed}`);
    this.writer = new PcapFileWriter(out, params.snaplen);
    this.baseSec = Date.UTC(2026, 10, 20, 9, 30, 0) / 1000 + this.rng.int(0, 3599);
    this.baseUs = this.rng.int(0, 999_999);
    this.topology();
  }

  // ------------------------------------------------------------------------- topology

  private server(ip: Buffer, internal: boolean, gateway: Host): Server {
    const r = this.rng;
    const nPorts = r.chance(0.6) ? 1 : r.int(2, 3);
    const ports: number[] = [];
    for (let i = 0; i < nPorts; i++) {
      const p = SERVICE_PORTS[r.weighted(SERVICE_WEIGHTS)]!;
      if (!ports.includes(p)) ports.push(p);
    }
    const rtt = internal
      ? Math.min(3 * MS, Math.max(120, r.logNormal(600, 0.6)))
      : Math.min(260 * MS, Math.max(4 * MS, r.logNormal(35 * MS, 0.8)));
    const x = r.next();
    return {
      host: hostOf(ip),
      ports,
      rtt: Math.round(rtt),
      hops: internal ? r.int(1, 3) : r.int(8, 20),
      ttl0: x < 0.8 ? 64 : x < 0.95 ? 128 : 255,
      gateway,
    };
  }

  private topology(): void {
    const r = this.rng;
    const n = this.params.attempts;
    const nClients4 = Math.min(60_000, Math.max(256, Math.round(n / 150)));
    const nClients6 = Math.max(32, Math.round(nClients4 / 5));
    for (let i = 0; i < nClients4; i++) {
      const b = 1 + Math.floor(i / 64516);
      const rem = i % 64516;
      this.clients4.push({
        host: hostOf(v4(10, b, Math.floor(rem / 254), 1 + (rem % 254)), mac(i, 0x04)),
        nextPort: r.int(32768, 60999),
        ttl: r.chance(0.8) ? 64 : 128,
      });
    }
    for (let i = 0; i < nClients6; i++) {
      this.clients6.push({
        host: hostOf(v6(0x10, 1 + (i >> 12), 0x1000 + i), mac(i, 0x06)),
        nextPort: r.int(32768, 60999),
        ttl: 64,
      });
    }
    for (let i = 0; i < 3; i++) {
      this.scanners.push({ host: hostOf(v4(10, 66, 6, 10 + i), mac(i, 0x66)), nextPort: r.int(32768, 60999), ttl: 64 });
    }
    this.scanners.push({ host: hostOf(v6(0x10, 0x66, 0x10), mac(9, 0x66)), nextPort: r.int(32768, 60999), ttl: 64 });

    const nServers4 = Math.min(8000, Math.max(40, Math.round(n / 1200)));
    for (let i = 0; i < nServers4; i++) {
      if (r.chance(0.7)) {
        const c = 1 + Math.floor(i / 250);
        this.servers4.push(this.server(v4(172, 16, c & 0xff, 10 + (i % 240)), true, hostOf(v4(172, 16, c & 0xff, 1))));
      } else {
        const net = r.pick([
          [203, 0, 113],
          [198, 51, 100],
          [93, 184, 216],
          [151, 101, 1],
        ] as const);
        this.servers4.push(
          this.server(v4(net[0], net[1], net[2], r.int(2, 250)), false, hostOf(v4(net[0], net[1], net[2], 1))),
        );
      }
    }
    const nServers6 = Math.max(16, Math.round(nServers4 / 4));
    for (let i = 0; i < nServers6; i++) {
      const internal = r.chance(0.7);
      const g3 = internal ? 0xff00 : 0xbeef;
      this.servers6.push(this.server(v6(g3, i >> 8, 0x100 + i), internal, hostOf(v6(g3, i >> 8, 1))));
    }
    const popularity = (k: number): Float64Array =>
      cumulative(Array.from({ length: k }, (_, i) => 1 / Math.pow(i + 1, 0.9)));
    this.serverWeights4 = popularity(this.servers4.length);
    this.serverWeights6 = popularity(this.servers6.length);

    for (let i = 0; i < 64; i++) {
      this.deadHosts4.push(this.server(v4(172, 16, 250, 10 + i), true, hostOf(v4(172, 16, 250, 1))));
      this.deadHosts6.push(this.server(v6(0xff00, 0xdead, 0x10 + i), true, hostOf(v6(0xff00, 0xdead, 1))));
      this.blackholes4.push(this.server(v4(172, 16, 251, 10 + i), true, hostOf(v4(172, 16, 251, 1))));
      this.blackholes6.push(this.server(v6(0xff00, 0xbad, 0x10 + i), true, hostOf(v6(0xff00, 0xbad, 1))));
      this.unknownNets4.push(this.server(v4(100, 64, 7, 10 + i), false, this.core4));
      this.unknownNets6.push(this.server(v6(0x9999, 0, 0x10 + i), false, this.core6));
    }

    for (let i = 0; i < 24; i++) {
      const c = this.clients4[r.int(0, this.clients4.length - 1)]!;
      const s = this.servers4[r.int(0, Math.min(20, this.servers4.length - 1))]!;
      this.bgFlows.push({
        client: c.host,
        server: s.host,
        cport: r.int(32768, 60999),
        sport: s.ports[0]!,
        cseq: r.u32(),
        sseq: r.u32(),
        rtt: s.rtt,
      });
    }
  }

  // ------------------------------------------------------------------------- scheduling

  private conn(client: Client, server: Server, port: number, scanner = false): Conn {
    const r = this.rng;
    const cport = client.nextPort;
    client.nextPort = client.nextPort >= 60999 ? 32768 : client.nextPort + 1;
    const rtt = Math.round(server.rtt * r.range(0.9, 1.25));
    const c = new Conn(
      client,
      server.host,
      cport,
      port,
      r.u32(),
      r.u32(),
      Math.max(1, server.ttl0 - server.hops),
      server.hops,
      rtt,
      r.u32(),
      r.u32(),
      r.u32() & 0xfffff,
      r.u32() & 0xfffff,
      scanner,
      r.u32(),
    );
    this.open++;
    if (this.open > this.peakOpen) this.peakOpen = this.open;
    this.lastConn = c;
    if (c.v6) this.ipv6Attempts++;
    return c;
  }

  private ev(t: number, c: Conn | null, kind: number): Ev {
    const e = new Ev();
    e.t = Math.round(t);
    e.conn = c;
    e.kind = kind;
    if (c !== null) c.remaining++;
    return e;
  }

  /** A TCP segment of the connection, from the client or the server. */
  private tcp(
    c: Conn,
    t: number,
    fromServer: boolean,
    flags: number,
    seq: number,
    ack: number,
    len = 0,
    opt = OPT_TS,
  ): Ev {
    const e = this.ev(t, c, EV_TCP);
    e.fromServer = fromServer;
    e.flags = flags;
    e.seq = seq >>> 0;
    e.ack = ack >>> 0;
    e.len = len;
    e.opt = opt;
    e.ipId = fromServer ? c.sId++ & 0xffff : c.cId++ & 0xffff;
    this.heap.push(e, e.t);
    return e;
  }

  private syn(c: Conn, t: number): Ev {
    return this.tcp(c, t, false, TCP_SYN, c.isn, 0, 0, c.scanner ? OPT_MSS : OPT_SYN);
  }

  private synAck(c: Conn, t: number): Ev {
    return this.tcp(c, t, true, TCP_SYN | TCP_ACK, c.sisn, c.isn + 1, 0, c.scanner ? OPT_MSS : OPT_SYN);
  }

  private icmp(
    c: Conn,
    t: number,
    quoted: Ev,
    from: Host,
    hops: number,
    type: number,
    code: number,
    full: boolean,
  ): void {
    const e = this.ev(t, c, EV_ICMP);
    e.icmpType = type;
    e.icmpCode = code;
    e.icmpFrom = from;
    e.icmpHops = hops;
    e.quoteFull = full;
    e.quoteT = quoted.t;
    e.quoteId = quoted.ipId;
    this.heap.push(e, e.t);
  }

  /** Linux's SYN retransmission times (1 s, then doubling) with a little timer slack. */
  private rto(t0: number, k: number): number {
    return t0 + ((1 << (k + 1)) - 1) * S + this.rng.int(0, 4 * MS);
  }

  private responseSize(): number {
    const r = this.rng;
    const x = r.next();
    if (x < 0.7) return r.int(80, 1200);
    if (x < 0.95) return r.int(1200, 4500);
    return r.int(4500, 16000);
  }

  private established(c: Conn, t0: number, longLived: boolean): void {
    const r = this.rng;
    const rtt = c.rtt;
    let t = t0;
    this.syn(c, t);
    if (r.chance(0.02)) {
      t = this.rto(t0, 0);
      this.syn(c, t);
    }
    t += rtt;
    this.synAck(c, t);
    t += r.int(15, 150);
    let cs = (c.isn + 1) >>> 0;
    let ss = (c.sisn + 1) >>> 0;
    this.tcp(c, t, false, TCP_ACK, cs, ss);
    const exchanges = longLived ? r.int(3, 12) : r.chance(0.8) ? 1 : r.int(2, 4);
    for (let e = 0; e < exchanges; e++) {
      t += e === 0 ? r.int(5, 80) : longLived ? r.range(1, 10) * S : Math.min(2 * S, r.logNormal(15 * MS, 1));
      const req = r.int(60, 900);
      this.tcp(c, t, false, TCP_PSH | TCP_ACK, cs, ss, req);
      cs = (cs + req) >>> 0;
      const think = Math.min(800 * MS, Math.max(40, r.logNormal(1500, 1.2)));
      t += rtt + think;
      if (think > 40 * MS) {
        // the server's delayed ACK of the request comes first
        this.tcp(c, t - think + 40 * MS, true, TCP_ACK, ss, cs);
      }
      let left = this.responseSize();
      let segs = 0;
      while (left > 0) {
        const seg = Math.min(1448, left);
        left -= seg;
        this.tcp(c, t, true, left === 0 ? TCP_PSH | TCP_ACK : TCP_ACK, ss, cs, seg);
        ss = (ss + seg) >>> 0;
        segs++;
        if (segs % 2 === 0 || left === 0) this.tcp(c, t + r.int(20, 60), false, TCP_ACK, cs, ss);
        t += 12 + (segs % 10 === 0 ? rtt : 0);
      }
    }
    t += longLived ? r.range(0.5, 5) * S : Math.max(100, Math.min(3 * S, r.logNormal(4 * MS, 1.3)));
    const x = r.next();
    if (x < 0.6) {
      // client closes
      this.tcp(c, t, false, TCP_FIN | TCP_ACK, cs, ss);
      t += rtt;
      this.tcp(c, t, true, TCP_FIN | TCP_ACK, ss, cs + 1);
      this.tcp(c, t + r.int(20, 80), false, TCP_ACK, cs + 1, ss + 1);
    } else if (x < 0.75) {
      // server closes
      this.tcp(c, t, true, TCP_FIN | TCP_ACK, ss, cs);
      t += r.int(30, 400);
      this.tcp(c, t, false, TCP_FIN | TCP_ACK, cs, ss + 1);
      this.tcp(c, t + rtt, true, TCP_ACK, ss + 1, cs + 1);
    } else if (x < 0.95) {
      // client aborts (SO_LINGER 0)
      this.tcp(c, t, false, TCP_RST | TCP_ACK, cs, ss);
    } else {
      // server resets
      this.tcp(c, t, true, TCP_RST | TCP_ACK, ss, cs);
    }
  }

  private refused(c: Conn, t0: number): void {
    this.syn(c, t0);
    this.tcp(c, t0 + c.rtt, true, TCP_RST | TCP_ACK, 0, c.isn + 1, 0, OPT_NONE);
  }

  private rejected(c: Conn, t0: number, variant: number, router: Host): void {
    const r = this.rng;
    const v6 = c.v6;
    const first = this.syn(c, t0);
    const half = Math.max(60, Math.round(c.rtt / 2));
    switch (variant) {
      case 0: {
        // the server's gateway gives up on ARP / neighbour discovery after 3 s
        const second = this.syn(c, this.rto(t0, 0));
        const t = t0 + r.int(2_900, 2_990) * MS + half;
        this.icmp(c, t, r.chance(0.5) ? first : second, router, Math.max(1, c.hops - 1), v6 ? 1 : 3, v6 ? 3 : 1, true);
        break;
      }
      case 1: // a firewall on the way: administratively prohibited, quoting the RFC 792 minimum
        this.icmp(
          c,
          t0 + half,
          first,
          router,
          Math.max(1, c.hops >> 1),
          v6 ? 1 : 3,
          v6 ? 1 : r.chance(0.8) ? 13 : 10,
          false,
        );
        break;
      case 2: // iptables REJECT on the server itself: port unreachable
        this.icmp(c, t0 + c.rtt + r.int(10, 60), first, router, c.hops, v6 ? 1 : 3, v6 ? 4 : 3, true);
        break;
      case 3: // no route at the core router
        this.icmp(c, t0 + r.int(150, 600), first, router, 1, v6 ? 1 : 3, 0, true);
        break;
      default: // a routing loop: TTL / hop limit exceeded
        this.icmp(c, t0 + half, first, router, Math.max(1, c.hops >> 1), v6 ? 3 : 11, 0, true);
        break;
    }
  }

  private dropped(c: Conn, t0: number): void {
    const r = this.rng;
    this.syn(c, t0);
    const x = r.next();
    const retries = x < 0.1 ? 0 : x < 0.7 ? 2 : 3;
    for (let k = 0; k < retries; k++) this.syn(c, this.rto(t0, k));
    this.droppedFrom.push(t0);
  }

  private timedOut(c: Conn, t0: number): void {
    const r = this.rng;
    const retries = r.chance(0.5) ? 2 : 3;
    const first = t0 + c.rtt;
    this.syn(c, t0);
    this.synAck(c, first);
    for (let k = 0; k < retries; k++) {
      const t = this.rto(t0, k);
      this.syn(c, t);
      this.synAck(c, t + c.rtt);
    }
    this.timedOutFrom.push(first);
  }

  private aborted(c: Conn, t0: number): void {
    const r = this.rng;
    if (c.scanner) {
      this.syn(c, t0);
      this.synAck(c, t0 + c.rtt);
      this.tcp(c, t0 + c.rtt + r.int(15, 60), false, TCP_RST, c.isn + 1, 0, 0, OPT_NONE);
      return;
    }
    // connect() gave up at ~1.5 s; the SYN/ACK of an overloaded server arrives after that.
    this.syn(c, t0);
    const t = this.rto(t0, 0);
    this.syn(c, t);
    const late = t + r.int(550, 950) * MS;
    this.synAck(c, late);
    this.tcp(c, late + r.int(15, 60), false, TCP_RST, c.isn + 1, 0, 0, OPT_NONE);
  }

  private pickServer(v6: boolean): Server {
    return v6
      ? this.servers6[this.rng.weighted(this.serverWeights6)]!
      : this.servers4[this.rng.weighted(this.serverWeights4)]!;
  }

  /** One regular attempt starting at t0 with the given outcome. */
  private attempt(t0: number, outcome: Outcome, v6: boolean, longOk: boolean): void {
    const r = this.rng;
    const client = (): Client => (v6 ? r.pick(this.clients6) : r.pick(this.clients4));
    switch (outcome) {
      case 'established': {
        const s = this.pickServer(v6);
        this.established(this.conn(client(), s, r.pick(s.ports)), t0, longOk && r.chance(0.03));
        break;
      }
      case 'refused': {
        const s = this.pickServer(v6);
        this.refused(this.conn(client(), s, r.chance(0.6) ? r.pick(CLOSED_PORTS) : r.pick(s.ports)), t0);
        break;
      }
      case 'rejected': {
        const x = r.next();
        const variant = x < 0.35 ? 0 : x < 0.65 ? 1 : x < 0.85 ? 2 : x < 0.95 ? 3 : 4;
        let s: Server;
        let router: Host;
        switch (variant) {
          case 0:
            s = r.pick(v6 ? this.deadHosts6 : this.deadHosts4);
            router = s.gateway;
            break;
          case 1:
            s = this.pickServer(v6);
            router = v6 ? this.firewall6 : this.firewall4;
            break;
          case 2:
            s = this.pickServer(v6);
            router = s.host;
            break;
          case 3:
            s = r.pick(v6 ? this.unknownNets6 : this.unknownNets4);
            router = v6 ? this.core6 : this.core4;
            break;
          default:
            s = this.pickServer(v6);
            router = v6 ? this.loopRouter6 : this.loopRouter4;
            break;
        }
        const port = variant === 2 ? r.pick(CLOSED_PORTS) : r.pick(s.ports);
        this.rejected(this.conn(client(), s, port), t0, variant, router);
        break;
      }
      case 'dropped': {
        const hole = r.chance(0.5);
        const s = hole ? r.pick(v6 ? this.blackholes6 : this.blackholes4) : this.pickServer(v6);
        this.dropped(this.conn(client(), s, hole ? r.pick(s.ports) : r.pick(FILTERED_PORTS)), t0);
        break;
      }
      case 'timed-out': {
        const s = this.pickServer(v6);
        this.timedOut(this.conn(client(), s, r.pick(s.ports)), t0);
        break;
      }
      case 'aborted': {
        const s = this.pickServer(v6);
        if (r.chance(0.7)) {
          const scanner = v6 ? this.scanners[3]! : this.scanners[r.int(0, 2)]!;
          this.aborted(this.conn(scanner, s, r.int(1, 1024), true), t0);
        } else {
          this.aborted(this.conn(client(), s, r.pick(s.ports)), t0);
        }
        break;
      }
      case 'incomplete':
        throw new Error('incomplete attempts are placed at the end');
    }
    this.outcomes[outcome]++;
    this.logAttempt(outcome);
  }

  /** One line per attempt in the --attempt-log file: client, client port, server, server port, outcome. */
  private logAttempt(outcome: Outcome): void {
    const c = this.lastConn;
    if (this.logFd < 0 || c === null) return;
    this.logLines.push(`${ipText(c.client.host.ip)} ${c.cport} ${ipText(c.server.ip)} ${c.sport} ${outcome}`);
    if (this.logLines.length >= 4096) this.flushLog();
  }

  private flushLog(): void {
    if (this.logFd >= 0 && this.logLines.length > 0) writeSync(this.logFd, `${this.logLines.join('\n')}\n`);
    this.logLines = [];
  }

  // ------------------------------------------------------------------------- writing

  private absolute(t: number): [number, number] {
    const us = this.baseUs + t;
    return [this.baseSec + Math.floor(us / S), us % S];
  }

  private fillTcp(
    c: Conn,
    t: number,
    fromServer: boolean,
    flags: number,
    seq: number,
    ack: number,
    len: number,
    opt: number,
    ipId: number,
  ): void {
    const f = this.f;
    const ms = Math.floor(t / MS);
    const msBefore = Math.max(0, Math.floor((t - c.rtt) / MS));
    f.v6 = c.v6;
    f.sport = fromServer ? c.sport : c.cport;
    f.dport = fromServer ? c.cport : c.sport;
    f.seq = seq;
    f.ack = ack;
    f.flags = flags;
    f.opt = opt;
    f.payloadLen = len;
    f.payloadSeed = seq;
    f.ipId = ipId;
    f.mss = c.v6 ? 1440 : 1460;
    f.wscale = 7;
    if (fromServer) {
      f.srcMac = GW_MAC;
      f.dstMac = c.client.host.mac;
      f.src = c.server.ip;
      f.dst = c.client.host.ip;
      f.ttl = c.sttl;
      f.flowLabel = c.flowS;
      f.tsval = c.tsS + ms;
      f.tsecr = (flags & TCP_ACK) !== 0 ? c.tsC + msBefore : 0;
      f.window = (flags & TCP_RST) !== 0 ? 0 : (flags & TCP_SYN) !== 0 ? (c.scanner ? 29200 : 65160) : 509;
    } else {
      f.srcMac = c.client.host.mac;
      f.dstMac = GW_MAC;
      f.src = c.client.host.ip;
      f.dst = c.server.ip;
      f.ttl = c.client.ttl;
      f.flowLabel = c.flowC;
      f.tsval = c.tsC + ms;
      f.tsecr = (flags & TCP_SYN) !== 0 ? 0 : c.tsS + msBefore;
      f.window = c.scanner
        ? 1024
        : (flags & TCP_RST) !== 0 && (flags & TCP_ACK) === 0
          ? 0
          : (flags & TCP_SYN) !== 0
            ? 64240
            : 502;
    }
  }

  private emit(e: Ev): void {
    const frame = this.frame;
    let len: number;
    const c = e.conn;
    if (e.kind === EV_TCP && c !== null) {
      this.fillTcp(c, e.t, e.fromServer, e.flags, e.seq, e.ack, e.len, e.opt, e.ipId);
      len = buildTcp(frame, this.f);
      // Frames that crossed an Ethernet segment are padded to its 60-byte minimum.
      if (e.fromServer && len < 60) {
        frame.fill(0, len, 60);
        len = 60;
      }
    } else if (e.kind === EV_ICMP && c !== null && e.icmpFrom !== null) {
      this.fillTcp(c, e.quoteT, false, TCP_SYN, c.isn, 0, 0, c.scanner ? OPT_MSS : OPT_SYN, e.quoteId);
      const synLen = buildTcp(this.quote, this.f);
      const hops = e.icmpHops;
      const ttl = Math.max(1, 64 - hops);
      const quotedTtl = Math.max(1, c.client.ttl - hops);
      len = c.v6
        ? buildIcmp6(
            frame,
            GW_MAC,
            c.client.host.mac,
            e.icmpFrom.ip,
            c.client.host.ip,
            ttl,
            0,
            e.icmpType,
            e.icmpCode,
            this.quote,
            14,
            synLen - 14,
            quotedTtl,
          )
        : buildIcmp4(
            frame,
            GW_MAC,
            c.client.host.mac,
            e.icmpFrom.ip,
            c.client.host.ip,
            ttl,
            this.bgIpId++,
            e.icmpType,
            e.icmpCode,
            this.quote,
            14,
            e.quoteFull ? synLen - 14 : 28,
            quotedTtl,
          );
    } else {
      len = this.background(e);
    }
    const [sec, usec] = this.absolute(e.t);
    this.writer.write(sec, usec, frame, len);
    this.lastT = e.t;
    if (c !== null && --c.remaining === 0) this.open--;
  }

  /** Writes a background frame into this.frame (scheduling any reply); returns its length. */
  private background(e: Ev): number {
    const r = this.bgRng;
    const frame = this.frame;
    switch (e.bg) {
      case BG_TCP: {
        const fl = this.bgFlows[e.flow]!;
        const f = this.f;
        const fromServer = e.fromServer;
        const len = e.len;
        f.v6 = false;
        f.srcMac = fromServer ? GW_MAC : fl.client.mac;
        f.dstMac = fromServer ? fl.client.mac : GW_MAC;
        f.src = fromServer ? fl.server.ip : fl.client.ip;
        f.dst = fromServer ? fl.client.ip : fl.server.ip;
        f.sport = fromServer ? fl.sport : fl.cport;
        f.dport = fromServer ? fl.cport : fl.sport;
        f.seq = fromServer ? fl.sseq : fl.cseq;
        f.ack = fromServer ? fl.cseq : fl.sseq;
        f.flags = e.flags;
        f.opt = OPT_TS;
        f.tsval = Math.floor(e.t / MS);
        f.tsecr = Math.max(0, f.tsval - 1);
        f.window = 501;
        f.payloadLen = len;
        f.payloadSeed = f.seq;
        f.ttl = fromServer ? 62 : 64;
        f.ipId = this.bgIpId++;
        if (fromServer) fl.sseq = (fl.sseq + len) >>> 0;
        else fl.cseq = (fl.cseq + len) >>> 0;
        const n = buildTcp(frame, f);
        if ((e.flags & TCP_RST) !== 0) {
          // that connection is gone; another takes its place
          fl.cport = fl.cport >= 60999 ? 32768 : fl.cport + 1;
          fl.cseq = r.u32();
          fl.sseq = r.u32();
        }
        return n;
      }
      case BG_DNS_QUERY:
      case BG_DNS_ANSWER: {
        const fl = this.bgFlows[e.flow]!;
        const name = DNS_NAMES[e.len % DNS_NAMES.length]!;
        return e.bg === BG_DNS_QUERY
          ? buildDns4(
              frame,
              fl.client.mac,
              GW_MAC,
              fl.client.ip,
              this.dns.ip,
              64,
              this.bgIpId++,
              e.seq,
              53,
              e.ack,
              name,
              null,
            )
          : buildDns4(
              frame,
              GW_MAC,
              fl.client.mac,
              this.dns.ip,
              fl.client.ip,
              63,
              this.bgIpId++,
              53,
              e.seq,
              e.ack,
              name,
              fl.server.ip,
            );
      }
      case BG_ARP: {
        const fl = this.bgFlows[e.flow]!;
        return buildArpRequest(
          frame,
          fl.client.mac,
          fl.client.ip,
          v4(fl.client.ip[0]!, fl.client.ip[1]!, fl.client.ip[2]!, 1 + (e.seq % 254)),
        );
      }
      case BG_PING:
      case BG_PONG: {
        const fl = this.bgFlows[e.flow]!;
        return e.bg === BG_PING
          ? buildPing4(frame, fl.client.mac, GW_MAC, fl.client.ip, fl.server.ip, 64, this.bgIpId++, 8, e.seq, e.ack)
          : buildPing4(frame, GW_MAC, fl.client.mac, fl.server.ip, fl.client.ip, 62, this.bgIpId++, 0, e.seq, e.ack);
      }
      default:
        throw new Error(`unknown background event ${e.bg}`);
    }
  }

  /** Schedules the next background packet (and its reply) at this.bgNext; advances bgNext. */
  private scheduleBackground(withReplies: boolean): void {
    const r = this.bgRng;
    const t = this.bgNext;
    this.bgNext += Math.max(1, Math.round(r.exp(S / 60)));
    const flow = r.int(0, this.bgFlows.length - 1);
    const fl = this.bgFlows[flow]!;
    const x = r.next();
    const e = this.ev(t, null, EV_BG);
    e.flow = flow;
    if (x < 0.6) {
      e.bg = BG_TCP;
      e.fromServer = r.chance(0.5);
      e.flags = r.chance(0.004) ? TCP_RST | TCP_ACK : r.chance(0.5) ? TCP_PSH | TCP_ACK : TCP_ACK;
      e.len = (e.flags & TCP_RST) !== 0 ? 0 : r.chance(0.5) ? r.int(40, 1448) : 0;
      this.heap.push(e, e.t);
      if (withReplies && e.len > 0) {
        const a = this.ev(t + fl.rtt / 2 + r.int(50, 500), null, EV_BG);
        a.bg = BG_TCP;
        a.flow = flow;
        a.fromServer = !e.fromServer;
        a.flags = TCP_ACK;
        this.heap.push(a, a.t);
      }
    } else if (x < 0.85) {
      e.bg = BG_DNS_QUERY;
      e.seq = r.int(1024, 65535);
      e.ack = r.int(0, 65535);
      e.len = r.int(0, 1000);
      this.heap.push(e, e.t);
      if (withReplies) {
        const a = this.ev(t + r.int(200, 30_000), null, EV_BG);
        a.bg = BG_DNS_ANSWER;
        a.flow = flow;
        a.seq = e.seq;
        a.ack = e.ack;
        a.len = e.len;
        this.heap.push(a, a.t);
      }
    } else if (x < 0.93) {
      e.bg = BG_ARP;
      e.seq = r.int(0, 1000);
      this.heap.push(e, e.t);
    } else {
      e.bg = BG_PING;
      e.seq = r.int(1, 65535);
      e.ack = r.int(1, 200);
      this.heap.push(e, e.t);
      if (withReplies) {
        const a = this.ev(t + fl.rtt, null, EV_BG);
        a.bg = BG_PONG;
        a.flow = flow;
        a.seq = e.seq;
        a.ack = e.ack;
        this.heap.push(a, a.t);
      }
    }
  }

  /** Writes every scheduled packet up to and including time t, with background traffic. */
  private flushUntil(t: number, background: boolean): void {
    for (;;) {
      if (background && this.bgNext <= t) {
        const top = this.heap.peek();
        if (top === undefined || this.bgNext <= top.t) {
          this.scheduleBackground(true);
          continue;
        }
      }
      const top = this.heap.peek();
      if (top === undefined || top.t > t) return;
      this.emit(this.heap.pop()!);
    }
  }

  // ------------------------------------------------------------------------- main loop

  run(): Truth {
    const r = this.rng;
    const p = this.params;
    const nIncomplete = Math.max(8, Math.round(p.attempts / 4000));
    const nRegular = Math.max(0, p.attempts - nIncomplete);
    const weights = cumulative([60, 12, 7, 9, 4, 8]);
    const regular: readonly Outcome[] = ['established', 'refused', 'rejected', 'dropped', 'timed-out', 'aborted'];
    const expectedEnd = (nRegular / p.rate) * S;
    let t = 0;
    let burstUntil = -1;
    for (let i = 0; i < nRegular; i++) {
      // Rate swings with two slow waves, and now and then a 2 s burst at three times the rate.
      const sec = t / S;
      let rate = p.rate * (1 + 0.35 * Math.sin((2 * Math.PI * sec) / 97) + 0.15 * Math.sin((2 * Math.PI * sec) / 13.3));
      if (t < burstUntil) rate *= 3;
      else if (r.chance(1 / (30 * p.rate))) burstUntil = t + 2 * S;
      t += Math.max(1, Math.round(r.exp(S / rate)));
      this.flushUntil(t, true);
      const outcome = regular[r.weighted(weights)]!;
      const v6 = r.chance(p.ipv6);
      this.attempt(t, outcome, v6, t < expectedEnd - 100 * S);
    }
    const lastStart = t;

    // The end: >= 6 s after the last regular attempt began, after every packet scheduled so far;
    // a few attempts too recent to judge go in its last 2.4 s.
    const end = Math.ceil(Math.max(lastStart + 6 * S, this.heap.maxKey() + 0.3 * S));
    for (let i = 0; i < nIncomplete; i++) {
      const v6 = r.chance(p.ipv6);
      const s = this.pickServer(v6);
      const c = this.conn(v6 ? r.pick(this.clients6) : r.pick(this.clients4), s, r.pick(s.ports));
      const kind = i % 3;
      if (kind === 0) {
        // a SYN, unanswered so far
        const t0 = end - r.int(400, 1_800) * MS;
        this.syn(c, t0);
        this.incompleteFrom.push(t0);
      } else if (kind === 1) {
        // a SYN/ACK, no ACK yet
        const t0 = end - r.int(600, 2_000) * MS;
        this.syn(c, t0);
        this.synAck(c, t0 + Math.min(c.rtt, 150 * MS));
        this.incompleteFrom.push(t0 + Math.min(c.rtt, 150 * MS));
      } else {
        // retransmitted once, still unanswered
        const t0 = end - r.int(1_300, 2_400) * MS;
        this.syn(c, t0);
        this.syn(c, t0 + S);
        this.incompleteFrom.push(t0);
      }
      this.outcomes.incomplete++;
      this.logAttempt('incomplete');
    }
    this.flushUntil(end - 200 * MS, true);
    this.flushUntil(end, false);
    // The last packet, exactly at the end: mid-stream traffic that belongs to no attempt.
    const last = this.ev(end, null, EV_BG);
    last.bg = BG_TCP;
    last.flags = TCP_ACK;
    this.emit(last);
    this.writer.close();
    this.flushLog();
    if (this.logFd >= 0) closeSync(this.logFd);

    const endT = this.lastT;
    const minOf = (xs: number[]): number => xs.reduce((m, x) => Math.min(m, endT - x), Infinity);
    const maxOf = (xs: number[]): number => xs.reduce((m, x) => Math.max(m, endT - x), 0);
    const hi = Math.min(minOf(this.droppedFrom), minOf(this.timedOutFrom)) / S;
    const lo = maxOf(this.incompleteFrom) / S;
    const [s0, u0] = this.absolute(0);
    const [s1, u1] = this.absolute(endT);
    const iso = (sec: number, usec: number): string =>
      `${new Date(sec * 1000).toISOString().slice(0, 19)}.${String(usec).padStart(6, '0')}Z`;
    const attempts = Object.values(this.outcomes).reduce((a, b) => a + b, 0);
    return {
      generator: 'synscope scripts/bench/synth.ts',
      version: GENERATOR_VERSION,
      params: p,
      packets: this.writer.packets,
      bytes: this.writer.bytes,
      attempts,
      outcomes: { ...this.outcomes },
      ipv6Attempts: this.ipv6Attempts,
      first: iso(s0, u0),
      last: iso(s1, u1),
      durationSeconds: endT / S,
      peakOpen: this.peakOpen,
      timeoutRange: [Math.round(lo * 1e6) / 1e6, Math.floor(hi * 1e6) / 1e6],
    };
  }
}

// --------------------------------------------------------------------------- CLI

/** Address text: dotted quad, or all eight IPv6 groups in hex (not compressed). */
function ipText(ip: Buffer): string {
  if (ip.length === 4) return `${ip[0]}.${ip[1]}.${ip[2]}.${ip[3]}`;
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(ip.readUInt16BE(i).toString(16));
  return g.join(':');
}

export function synthesize(out: string, params: SynthParams, attemptLog: string | null = null): Truth {
  const truth = new Synth(params, out, attemptLog).run();
  writeFileSync(`${out}.truth.json`, `${JSON.stringify(truth, null, 2)}\n`);
  return truth;
}

/** The least snaplen that keeps every byte the ground truth depends on (an ICMPv6 error's quote ends at 110). */
const SNAPLEN_FOR_TRUTH = 112;

function positiveNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name}: not a non-negative number: ${value}`);
  return n;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      attempts: { type: 'string' },
      seed: { type: 'string' },
      rate: { type: 'string' },
      ipv6: { type: 'string' },
      snaplen: { type: 'string' },
      quiet: { type: 'boolean' },
      'attempt-log': { type: 'string' },
    },
    strict: true,
  });
  if (values.out === undefined) {
    process.stderr.write(
      'usage: node --import tsx scripts/bench/synth.ts --out FILE [--attempts 320000] [--seed 1] [--rate 1000]' +
        ' [--ipv6 0.15] [--snaplen 262144]\n',
    );
    process.exit(2);
  }
  const params: SynthParams = {
    attempts: Math.round(positiveNumber('attempts', values.attempts, 320_000)),
    seed: values.seed ?? '1',
    rate: positiveNumber('rate', values.rate, 1000),
    ipv6: Math.min(1, positiveNumber('ipv6', values.ipv6, 0.15)),
    snaplen: Math.round(positiveNumber('snaplen', values.snaplen, 262144)),
  };
  if (params.rate <= 0) throw new Error('--rate must be > 0');
  if (params.snaplen < SNAPLEN_FOR_TRUTH) {
    process.stderr.write(
      `synth: warning: --snaplen ${params.snaplen} cuts what the ground truth counts (IPv6 TCP flags end at byte 68, ` +
        `an ICMPv6 error's quoted ports and sequence number at 110): from ${SNAPLEN_FOR_TRUTH} on,` +
        ' a reader can match it\n',
    );
  }
  const started = process.hrtime.bigint();
  const truth = synthesize(values.out, params, values['attempt-log'] ?? null);
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  if (values.quiet !== true) {
    const o = truth.outcomes;
    process.stdout.write(
      `${values.out}: ${truth.packets} packets, ${truth.bytes} bytes (${(truth.bytes / 1e6).toFixed(1)} MB), ` +
        `${truth.durationSeconds.toFixed(1)} s of capture, generated in ${secs.toFixed(1)} s\n` +
        `attempts ${truth.attempts} (IPv6 ${truth.ipv6Attempts}),` +
        ` at most ${truth.peakOpen} connections open at once\n` +
        OUTCOMES.map((k) => `  ${k.padEnd(12)} ${o[k]}`).join('\n') +
        `\nground truth valid for ${truth.timeoutRange[0]} s < --timeout <= ${truth.timeoutRange[1]} s:` +
        ` ${values.out}.truth.json\n`,
    );
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) main();
