// Crafts the tunnel and fragment captures the kernel here cannot record (it builds VXLAN only; GRE, IP in IP,
// Geneve, ERSPAN, MPLS and PPPoE devices are missing, and it never sends overlapping fragments):
// captures/crafted-*.pcap and their .expected.json, from the annotated-hex builders of test/helpers/frames.ts.
// The handshakes follow Linux's own packets (options, retransmission times); the expected errno is the one a Linux
// client gets for that answer (the contract's table). test/tunnel-captures.test.ts checks every file against
// tshark's dissection.
//
//   node --import tsx scripts/capture/craft-tunnel-captures.ts

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CLIENT4,
  CLIENT6,
  ethernet,
  erspan2,
  geneve,
  gre,
  icmp4,
  icmp6,
  ipv4,
  ipv6,
  mplsLabel,
  pppoe,
  SERVER4,
  SERVER6,
  tcp,
  udp,
  VTEP4_A,
  VTEP4_B,
  VTEP6_A,
  VTEP6_B,
} from '../../test/helpers/frames.js';
import { PcapFileWriter } from '../../src/capture/pcap-writer.js';

const OUT = join(import.meta.dirname, '..', '..', 'captures');
const T0 = 1_764_800_000;

const SYN = 0x02;
const ACK = 0x10;
const RSTACK = 0x14;
const SYNACK = 0x12;
const SERVER_ISN = 0x5000;

interface Endpoint {
  ip: string;
  port: number;
}
interface Expected {
  client: Endpoint;
  server: Endpoint;
  outcome: string;
  errno: string | null;
  clientErrno: string | null;
  answerFrom?: string;
  tunnel?: Record<string, unknown>;
}

/** One handshake's packets, each wrapped by `wrap(inner IP packet, from client?)`. */
type Wrap = (ip: Buffer, fromClient: boolean) => Buffer;

class Capture {
  private readonly packets: Array<[number, Buffer]> = [];
  readonly expected: Expected[] = [];
  constructor(
    readonly name: string,
    readonly story: string,
  ) {}

  add(t: number, frame: Buffer): void {
    this.packets.push([t, frame]);
  }

  write(): void {
    const w = new PcapFileWriter(join(OUT, `${this.name}.pcap`), 262144, 1);
    for (const [t, f] of this.packets.sort((a, b) => a[0] - b[0])) {
      w.write(T0 + Math.floor(t), Math.round((t % 1) * 1e6), f, f.length);
    }
    w.close();
    const doc = {
      scenario: this.name,
      story: this.story,
      captured: 'crafted by scripts/capture/craft-tunnel-captures.ts',
      format: 'pcap',
      linkTypes: ['ETHERNET'],
      handshakes: this.expected,
    };
    writeFileSync(join(OUT, `${this.name}.expected.json`), `${JSON.stringify(doc, null, 2)}\n`);
  }
}

const text4 = (b: Buffer): string => [...b].join('.');
const text6 = (b: Buffer): string => {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
};

/** The client's SYN (and its retransmissions), then what `answer` says, each packet through `wrap`. */
function handshake(
  c: Capture,
  t: number,
  sport: number,
  dport: number,
  v6: boolean,
  wrap: Wrap,
  answer: 'established' | 'refused' | 'rejected' | 'dropped',
  tunnel: Record<string, unknown>,
): void {
  const [cli, srv] = v6 ? [CLIENT6, SERVER6] : [CLIENT4, SERVER4];
  const ip = (payload: Buffer, fromClient: boolean, proto = 6): Buffer =>
    v6
      ? ipv6(proto === 1 ? 58 : proto, payload, fromClient ? { src: cli, dst: srv } : { src: srv, dst: cli })
      : ipv4(proto, payload, fromClient ? { src: cli, dst: srv } : { src: srv, dst: cli });
  const isn = 0x1000 * sport;
  const syn = tcp({ srcPort: sport, dstPort: dport, flags: SYN, seq: isn });
  c.add(t, wrap(ip(syn, true), true));
  let errno: string | null = null;
  let answerFrom: string | undefined;
  if (answer === 'established') {
    c.add(
      t + 0.0004,
      wrap(ip(tcp({ srcPort: dport, dstPort: sport, flags: SYNACK, seq: SERVER_ISN, ack: isn + 1 }), false), false),
    );
    c.add(
      t + 0.0005,
      wrap(
        ip(
          tcp({
            srcPort: sport,
            dstPort: dport,
            flags: ACK,
            seq: isn + 1,
            ack: SERVER_ISN + 1,
            options: Buffer.alloc(0),
          }),
          true,
        ),
        true,
      ),
    );
  } else if (answer === 'refused') {
    c.add(
      t + 0.0003,
      wrap(
        ip(
          tcp({ srcPort: dport, dstPort: sport, flags: RSTACK, seq: 0, ack: isn + 1, options: Buffer.alloc(0) }),
          false,
        ),
        false,
      ),
    );
    errno = 'ECONNREFUSED';
    answerFrom = v6 ? text6(srv) : text4(srv);
  } else if (answer === 'rejected') {
    // The server's firewall: ICMP host prohibited (3/10, EHOSTUNREACH) / ICMPv6 admin prohibited (1/1, EACCES),
    // quoting the SYN.
    const quote = ip(syn, true);
    c.add(t + 0.0003, wrap(v6 ? ip(icmp6(1, 1, quote), false, 1) : ip(icmp4(3, 10, quote), false, 1), false));
    errno = v6 ? 'EACCES' : 'EHOSTUNREACH';
    answerFrom = v6 ? text6(srv) : text4(srv);
  } else {
    for (const after of [1, 3]) c.add(t + after, wrap(ip(syn, true), true)); // Linux's retransmissions
    errno = 'ETIMEDOUT';
  }
  const e: Expected = {
    client: { ip: v6 ? text6(cli) : text4(cli), port: sport },
    server: { ip: v6 ? text6(srv) : text4(srv), port: dport },
    outcome: answer,
    errno,
    clientErrno: errno,
    tunnel,
  };
  if (answerFrom !== undefined) e.answerFrom = answerFrom;
  c.expected.push(e);
}

const outer4 = { src: text4(VTEP4_A), dst: text4(VTEP4_B) };
const outer6 = { src: text6(VTEP6_A), dst: text6(VTEP6_B) };
/** Outer IPv4 / IPv6 between the VTEPs (B → A for the server's packets), in an Ethernet frame. */
const over4 = (proto: number, payload: Buffer, fromClient: boolean): Buffer =>
  ethernet(0x0800, ipv4(proto, payload, fromClient ? { src: VTEP4_A, dst: VTEP4_B } : { src: VTEP4_B, dst: VTEP4_A }));
const over6 = (next: number, payload: Buffer, fromClient: boolean): Buffer =>
  ethernet(0x86dd, ipv6(next, payload, fromClient ? { src: VTEP6_A, dst: VTEP6_B } : { src: VTEP6_B, dst: VTEP6_A }));
const etherOf = (ip: Buffer): Buffer => ethernet(ip[0]! >> 4 === 6 ? 0x86dd : 0x0800, ip);

// --- GRE, ERSPAN and IP in IP ------------------------------------------------------------------------------

const gi = new Capture(
  'crafted-gre-ipip',
  'GRE (keyed, keyless over IPv6, gretap), ERSPAN II, IP in IP 4in4 / 6in4 / 4in6 / 6in6',
);
handshake(gi, 0, 41001, 8080, false, (p, c) => over4(47, gre(0x0800, p, { key: 7, checksum: true }), c), 'refused', {
  kind: 'gre',
  key: 7,
  outer: outer4,
});
handshake(gi, 0.1, 41001, 8080, false, (p, c) => over4(47, gre(0x0800, p, { key: 8, seq: 1 }), c), 'established', {
  kind: 'gre',
  key: 8,
  outer: outer4,
});
handshake(gi, 0.2, 41002, 8080, true, (p, c) => over6(47, gre(0x86dd, p), c), 'rejected', {
  kind: 'gre',
  key: null,
  outer: outer6,
});
handshake(gi, 0.3, 41003, 8080, false, (p, c) => over4(47, gre(0x6558, etherOf(p)), c), 'dropped', {
  kind: 'gre',
  key: null,
  outer: outer4,
});
handshake(
  gi,
  0.4,
  41004,
  443,
  false,
  (p, c) => over4(47, gre(0x88be, erspan2(5, etherOf(p)), { seq: 1 }), c),
  'established',
  { kind: 'erspan', session: 5, outer: outer4 },
);
handshake(gi, 0.5, 41005, 8080, false, (p, c) => over4(4, p, c), 'refused', { kind: 'ipip', outer: outer4 });
handshake(gi, 0.6, 41006, 8080, true, (p, c) => over4(41, p, c), 'established', { kind: 'ipip', outer: outer4 });
handshake(gi, 0.7, 41007, 8080, false, (p, c) => over6(4, p, c), 'rejected', { kind: 'ipip', outer: outer6 });
handshake(gi, 0.8, 41008, 8080, true, (p, c) => over6(41, p, c), 'refused', { kind: 'ipip', outer: outer6 });
// The capture goes on.
gi.add(8, over4(4, ipv4(6, tcp({ srcPort: 41009, dstPort: 22, flags: ACK, options: Buffer.alloc(0) })), true));
gi.write();

// --- Geneve, MPLS, PPPoE -----------------------------------------------------------------------------------

const gmp = new Capture(
  'crafted-geneve-mpls-pppoe',
  'Geneve (Ethernet and IP inside, with options), MPLS label stacks, PPPoE sessions',
);
const genOpt = Buffer.from('0101010200000000', 'hex');
handshake(
  gmp,
  0,
  42001,
  8080,
  false,
  (p, c) => over4(17, udp(6081, geneve(100, 0x6558, etherOf(p), genOpt)), c),
  'established',
  { kind: 'geneve', vni: 100, outer: outer4 },
);
handshake(gmp, 0.1, 42002, 8080, true, (p, c) => over6(17, udp(6081, geneve(101, 0x86dd, p)), c), 'refused', {
  kind: 'geneve',
  vni: 101,
  outer: outer6,
});
// MPLS: the labels differ per direction (as a real LSP's do); the bottom label of the SYN is the record's.
handshake(
  gmp,
  0.2,
  42003,
  8080,
  false,
  (p, c) => ethernet(0x8847, Buffer.concat([mplsLabel(c ? 16 : 17, false), mplsLabel(c ? 1000 : 2000, true), p])),
  'refused',
  { kind: 'mpls', label: 1000, outer: null },
);
handshake(
  gmp,
  0.3,
  42004,
  8080,
  true,
  (p, c) => ethernet(0x8847, Buffer.concat([mplsLabel(c ? 300 : 301, true), p])),
  'established',
  { kind: 'mpls', label: 300, outer: null },
);
handshake(gmp, 0.4, 42005, 8080, false, (p) => ethernet(0x8864, pppoe(0x2a, 0x0021, p), [[0x8100, 10]]), 'rejected', {
  kind: 'pppoe',
  session: 42,
  outer: null,
});
handshake(gmp, 0.5, 42006, 8080, true, (p) => ethernet(0x8864, pppoe(0x2b, 0x0057, p)), 'dropped', {
  kind: 'pppoe',
  session: 43,
  outer: null,
});
gmp.add(
  8,
  ethernet(0x8864, pppoe(0x2b, 0x0057, ipv6(6, tcp({ srcPort: 42007, flags: ACK, options: Buffer.alloc(0) })))),
);
gmp.write();

// --- IP fragments ------------------------------------------------------------------------------------------

const fr = new Capture(
  'crafted-fragments',
  'IPv4 and IPv6 SYNs in fragments: tiny first fragments, out of order, a copy, overlapping (RFC 5722)',
);
function frag4(payload: Buffer, cuts: number[], id: number, fromClient: boolean): Buffer[] {
  const bounds = [0, ...cuts, payload.length];
  const out: Buffer[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    out.push(
      ethernet(
        0x0800,
        ipv4(6, payload.subarray(bounds[i], bounds[i + 1]), {
          id,
          dontFragment: false,
          moreFragments: i + 2 < bounds.length,
          fragmentOffset: bounds[i]! / 8,
          ...(fromClient ? {} : { src: SERVER4, dst: CLIENT4 }),
        }),
      ),
    );
  }
  return out;
}
function frag6(payload: Buffer, pieces: Array<[number, number]>, id: number): Buffer[] {
  return pieces.map(([s, e]) => {
    const header = Buffer.alloc(8);
    header[0] = 6;
    header.writeUInt16BE(s | (e < payload.length ? 1 : 0), 2);
    header.writeUInt32BE(id, 4);
    return ethernet(0x86dd, ipv6(44, Buffer.concat([header, payload.subarray(s, e)])));
  });
}
// IPv4: the first fragment holds 8 bytes of TCP (ports and sequence number only); the pieces arrive 2, 0, 1.
{
  const syn = tcp({ srcPort: 43001, dstPort: 8080, flags: SYN, seq: 0x1234 });
  const f = frag4(syn, [8, 24], 0x101, true);
  fr.add(0, f[2]!);
  fr.add(0.00001, f[0]!);
  fr.add(0.00002, f[1]!);
  fr.add(
    0.0004,
    ethernet(
      0x0800,
      ipv4(6, tcp({ srcPort: 8080, dstPort: 43001, flags: RSTACK, ack: 0x1235, options: Buffer.alloc(0) }), {
        src: SERVER4,
        dst: CLIENT4,
      }),
    ),
  );
  fr.expected.push({
    client: { ip: '10.0.0.5', port: 43001 },
    server: { ip: '10.0.0.9', port: 8080 },
    outcome: 'refused',
    errno: 'ECONNREFUSED',
    clientErrno: 'ECONNREFUSED',
    answerFrom: '10.0.0.9',
  });
}
// IPv6: 16 + 24 bytes, the first piece seen twice (a copy); the SYN/ACK in fragments too; the client's ACK whole.
{
  const syn = tcp({ srcPort: 43002, dstPort: 8080, flags: SYN, seq: 0x2000 });
  const f = frag6(
    syn,
    [
      [0, 16],
      [0, 16],
      [16, 40],
    ],
    0x202,
  );
  fr.add(1, f[0]!);
  fr.add(1.00001, f[1]!);
  fr.add(1.00002, f[2]!);
  const synAck = tcp({ srcPort: 8080, dstPort: 43002, flags: SYNACK, seq: SERVER_ISN, ack: 0x2001 });
  const g = frag6(
    synAck,
    [
      [0, 24],
      [24, 40],
    ],
    0x303,
  ).map((x) => {
    // the server's direction: swap the addresses of the frame's IPv6 header
    const b = Buffer.from(x);
    SERVER6.copy(b, 14 + 8);
    CLIENT6.copy(b, 14 + 24);
    return b;
  });
  fr.add(1.0004, g[0]!);
  fr.add(1.00041, g[1]!);
  fr.add(
    1.0005,
    ethernet(
      0x86dd,
      ipv6(
        6,
        tcp({ srcPort: 43002, dstPort: 8080, flags: ACK, seq: 0x2001, ack: SERVER_ISN + 1, options: Buffer.alloc(0) }),
      ),
    ),
  );
  fr.expected.push({
    client: { ip: '2001:db8::5', port: 43002 },
    server: { ip: '2001:db8::9', port: 8080 },
    outcome: 'established',
    errno: null,
    clientErrno: null,
  });
}
// IPv6, RFC 5722: two pieces overlap, so the datagram is discarded and this SYN is never seen (an anomaly);
// its retransmission 1 s later comes whole and is refused.
{
  const syn = tcp({ srcPort: 43003, dstPort: 8080, flags: SYN, seq: 0x3000 });
  const f = frag6(
    syn,
    [
      [0, 24],
      [16, 40],
    ],
    0x404,
  );
  fr.add(2, f[0]!);
  fr.add(2.00001, f[1]!);
  fr.add(3, ethernet(0x86dd, ipv6(6, syn)));
  fr.add(
    3.0003,
    ethernet(
      0x86dd,
      ipv6(6, tcp({ srcPort: 8080, dstPort: 43003, flags: RSTACK, ack: 0x3001, options: Buffer.alloc(0) }), {
        src: SERVER6,
        dst: CLIENT6,
      }),
    ),
  );
  fr.expected.push({
    client: { ip: '2001:db8::5', port: 43003 },
    server: { ip: '2001:db8::9', port: 8080 },
    outcome: 'refused',
    errno: 'ECONNREFUSED',
    clientErrno: 'ECONNREFUSED',
    answerFrom: '2001:db8::9',
  });
}
fr.write();
