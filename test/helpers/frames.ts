// Hand-made frames for the decode tests, written as annotated hex with a comment per header row (as
// gopacket's read_test.go does). Layer builders compose; the named builders are the complete frames the tests use.

/** Bytes from annotated hex: everything after `//` on a line is a comment, whitespace is ignored. */
export function hex(text: string): Buffer {
  const digits = text
    .split('\n')
    .map((line) => line.replace(/\/\/.*$/, ''))
    .join('')
    .replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`not annotated hex: ${digits}`);
  return Buffer.from(digits, 'hex');
}

/** A byte / 16-bit / 32-bit number as big-endian hex bytes for hex(). */
export const h8 = (n: number): string => (n & 0xff).toString(16).padStart(2, '0');
export const h16 = (n: number): string => `${h8(n >>> 8)} ${h8(n)}`;
export const h32 = (n: number): string => `${h16(n >>> 16)} ${h16(n)}`;
const bytes = (b: Buffer): string => [...b].map(h8).join(' ');

// --- addresses ---------------------------------------------------------------------------------

export const CLIENT4 = hex('0a 00 00 05'); // 10.0.0.5
export const SERVER4 = hex('0a 00 00 09'); // 10.0.0.9
export const ROUTER4 = hex('0a 00 00 01'); // 10.0.0.1
export const CLIENT6 = hex('20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 05'); // 2001:db8::5
export const SERVER6 = hex('20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 09'); // 2001:db8::9
export const ROUTER6 = hex('20 01 0d b8 ff ff 00 00 00 00 00 00 00 00 00 01'); // 2001:db8:ffff::1

export const CLIENT_PORT = 51234; // c8 22
export const SERVER_PORT = 8080; // 1f 90
/** A SYN's initial sequence number with the top bit set, so a signed read would show. */
export const ISN = 0xdeadbeef;

// --- TCP -------------------------------------------------------------------------------------------

export interface TcpFields {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** Options bytes (a multiple of 4 unless dataOffset is forced). */
  options: Buffer;
  payload: Buffer;
  /** Data offset in 32-bit words; by default 5 + options / 4. */
  dataOffset?: number;
}

/** Linux's SYN options: MSS 1460, SACK permitted, timestamps, NOP, window scale 7 (20 bytes). */
export const SYN_OPTIONS = hex(`
  02 04 05 b4                    // MSS 1460
  04 02 08 0a                    // SACK permitted, timestamps (kind 8, length 10)
  00 01 02 03 00 00 00 00        //   TSval, TSecr
  01 03 03 07                    // NOP, window scale 7
`);

export function tcp(fields: Partial<TcpFields> = {}): Buffer {
  const f: TcpFields = {
    srcPort: CLIENT_PORT,
    dstPort: SERVER_PORT,
    seq: ISN,
    ack: 0,
    flags: 0x02,
    window: 64240,
    options: SYN_OPTIONS,
    payload: Buffer.alloc(0),
    ...fields,
  };
  const dataOffset = f.dataOffset ?? 5 + f.options.length / 4;
  return Buffer.concat([
    hex(`
      ${h16(f.srcPort)} ${h16(f.dstPort)}                      // TCP: source port, destination port
      ${h32(f.seq)}                                            //   sequence number
      ${h32(f.ack)}                                            //   acknowledgement number
      ${h8(dataOffset << 4)} ${h8(f.flags)} ${h16(f.window)}   //   data offset, flags, window
      00 00 00 00                                              //   checksum (never checked), urgent pointer
    `),
    f.options,
    f.payload,
  ]);
}

// --- IPv4 ------------------------------------------------------------------------------------------

export interface Ip4Fields {
  src: Buffer;
  dst: Buffer;
  ttl: number;
  id: number;
  /** Fragment offset in 8-byte units. */
  fragmentOffset: number;
  moreFragments: boolean;
  dontFragment: boolean;
  options: Buffer;
  /** Overrides the computed Total Length (quoted headers keep the original's; 0 is TSO). */
  totalLength?: number;
  /** Overrides the computed IHL. */
  ihl?: number;
  version: number;
}

export function ipv4(protocol: number, payload: Buffer, fields: Partial<Ip4Fields> = {}): Buffer {
  const f: Ip4Fields = {
    src: CLIENT4,
    dst: SERVER4,
    ttl: 64,
    id: 0x1234,
    fragmentOffset: 0,
    moreFragments: false,
    dontFragment: true,
    options: Buffer.alloc(0),
    version: 4,
    ...fields,
  };
  const ihl = f.ihl ?? 5 + f.options.length / 4;
  const totalLength = f.totalLength ?? 20 + f.options.length + payload.length;
  const flagsFrag = (f.dontFragment ? 0x4000 : 0) | (f.moreFragments ? 0x2000 : 0) | f.fragmentOffset;
  return Buffer.concat([
    hex(`
      ${h8((f.version << 4) | ihl)} 00 ${h16(totalLength)}     // IPv4: version/IHL, DSCP, total length
      ${h16(f.id)} ${h16(flagsFrag)}                          //   identification, flags/fragment offset
      ${h8(f.ttl)} ${h8(protocol)} 00 00                      //   TTL, protocol, checksum (never checked)
      ${bytes(f.src)}                                         //   source address
      ${bytes(f.dst)}                                         //   destination address
    `),
    f.options,
    payload,
  ]);
}

// --- IPv6 and its extension headers ----------------------------------------------------------------

export interface Ip6Fields {
  src: Buffer;
  dst: Buffer;
  hopLimit: number;
  /** Overrides the computed Payload Length (quoted headers keep the original's; 0 is jumbo / TSO). */
  payloadLength?: number;
}

export function ipv6(nextHeader: number, payload: Buffer, fields: Partial<Ip6Fields> = {}): Buffer {
  const f: Ip6Fields = { src: CLIENT6, dst: SERVER6, hopLimit: 64, ...fields };
  const payloadLength = f.payloadLength ?? payload.length;
  return Buffer.concat([
    hex(`
      60 00 00 00                                               // IPv6: version 6, traffic class, flow label
      ${h16(payloadLength)} ${h8(nextHeader)} ${h8(f.hopLimit)} //   payload length, next header, hop limit
      ${bytes(f.src)}                                           //   source address
      ${bytes(f.dst)}                                           //   destination address
    `),
    payload,
  ]);
}

/** Hop-by-hop options (8 bytes): a PadN option fills it. */
export function hopByHop(next: number): Buffer {
  return hex(`${h8(next)} 00  01 04 00 00 00 00   // hop-by-hop: next header, length 0 (8 bytes), PadN 4`);
}

/** Destination options (16 bytes: Hdr Ext Len 1), PadN. */
export function destOptions(next: number): Buffer {
  return hex(`
    ${h8(next)} 01  01 0c 00 00 00 00    // destination options: next header, length 1 (16 bytes), PadN 12
    00 00 00 00 00 00 00 00              //   padding
  `);
}

/** A routing header (type 0 layout, no segments left; 8 bytes). */
export function routing(next: number): Buffer {
  return hex(
    `${h8(next)} 00 00 00  00 00 00 00   // routing: next header, length 0, type 0, segments left 0, reserved`,
  );
}

/** Fragment header; offset in 8-byte units. */
export function fragment(next: number, offset: number, more: boolean): Buffer {
  return hex(`
    ${h8(next)} 00 ${h16((offset << 3) | (more ? 1 : 0))}   // fragment: next header, reserved, offset/M
    00 00 ab cd                                             //   identification
  `);
}

/** Authentication header with a 12-byte ICV: Payload Len 4, so (4 + 2) * 4 = 24 bytes. */
export function authHeader(next: number): Buffer {
  return hex(`
    ${h8(next)} 04 00 00                  // AH: next header, payload len 4 (24 bytes), reserved
    00 00 10 01  00 00 00 01              //   SPI, sequence number
    11 11 11 11 22 22 22 22 33 33 33 33   //   ICV (96 bits)
  `);
}

// --- ICMP -------------------------------------------------------------------------------------------

export function icmp4(type: number, code: number, body: Buffer): Buffer {
  return Buffer.concat([
    hex(`${h8(type)} ${h8(code)} 00 00  00 00 00 00   // ICMP: type, code, checksum, unused`),
    body,
  ]);
}

export function icmp6(type: number, code: number, body: Buffer): Buffer {
  return Buffer.concat([
    hex(`${h8(type)} ${h8(code)} 00 00  00 00 00 00   // ICMPv6: type, code, checksum, unused`),
    body,
  ]);
}

// --- link layers -----------------------------------------------------------------------------------

/** Ethernet II, with VLAN tags [TPID, VLAN id] outermost first. */
export function ethernet(
  etherType: number,
  payload: Buffer,
  tags: ReadonlyArray<readonly [number, number]> = [],
): Buffer {
  return Buffer.concat([
    hex(`
      00 11 22 33 44 55  66 77 88 99 aa bb    // Ethernet: destination, source
    `),
    ...tags.map(([tpid, vid]) => hex(`${h16(tpid)} ${h16(vid)}   // VLAN tag: TPID, priority/DEI/VLAN id`)),
    hex(`${h16(etherType)}                     // EtherType`),
    payload,
  ]);
}

/** Linux cooked capture v1 (16 bytes). */
export function sll(protocol: number, payload: Buffer): Buffer {
  return Buffer.concat([
    hex(`
      00 00 00 01 00 06                  // SLL: packet type (to us), ARPHRD_ETHER, address length 6
      66 77 88 99 aa bb 00 00            //   link-layer address, padded to 8
      ${h16(protocol)}                   //   protocol (EtherType)
    `),
    payload,
  ]);
}

/** Linux cooked capture v2 (20 bytes). */
export function sll2(protocol: number, payload: Buffer): Buffer {
  return Buffer.concat([
    hex(`
      ${h16(protocol)} 00 00             // SLL2: protocol (EtherType), reserved
      00 00 00 02                        //   interface index
      00 01 04 06                        //   ARPHRD_ETHER, packet type (outgoing), address length 6
      66 77 88 99 aa bb 00 00            //   link-layer address, padded to 8
    `),
    payload,
  ]);
}

/**
 * BSD NULL / LOOP: the address family as 4 bytes, little-endian (NULL on x86) or big-endian (LOOP, NULL on
 * big-endian hosts).
 */
export function nullHeader(family: number, order: 'le' | 'be', payload: Buffer): Buffer {
  const word =
    order === 'be' ? h32(family) : [h8(family), h8(family >>> 8), h8(family >>> 16), h8(family >>> 24)].join(' ');
  return Buffer.concat([hex(`${word}   // NULL/LOOP: address family`), payload]);
}

// --- complete frames ---------------------------------------------------------------------------------

/** The model frame, written out in full: Ethernet, 802.1Q VLAN 100, IPv4, TCP SYN 10.0.0.5:51234 → 10.0.0.9:8080. */
export const ETH_VLAN_IPV4_SYN = hex(`
  00 11 22 33 44 55  66 77 88 99 aa bb    // Ethernet: destination, source
  81 00  00 64                            // 802.1Q tag: TPID, VLAN 100
  08 00                                   // EtherType IPv4
  45 00 00 3c                             // IPv4: version 4, IHL 5, DSCP 0, total length 60
  12 34 40 00                             //   identification, DF, fragment offset 0
  40 06 00 00                             //   TTL 64, protocol TCP, checksum
  0a 00 00 05                             //   source 10.0.0.5
  0a 00 00 09                             //   destination 10.0.0.9
  c8 22 1f 90                             // TCP: source port 51234, destination port 8080
  de ad be ef                             //   sequence number
  00 00 00 00                             //   acknowledgement number
  a0 02 fa f0                             //   data offset 10 (40 bytes), SYN, window 64240
  00 00 00 00                             //   checksum, urgent pointer
  02 04 05 b4                             //   MSS 1460
  04 02 08 0a                             //   SACK permitted, timestamps (kind 8, length 10)
  00 01 02 03 00 00 00 00                 //     TSval, TSecr
  01 03 03 07                             //   NOP, window scale 7
`);

/** Offsets inside ETH_VLAN_IPV4_SYN. */
export const ETH_VLAN_IPV4_SYN_IP = 18;
export const ETH_VLAN_IPV4_SYN_TCP = 38;

export const ipv4Syn = (fields: Partial<Ip4Fields> = {}): Buffer => ipv4(6, tcp(), fields);
export const ipv6Syn = (fields: Partial<Ip6Fields> = {}): Buffer => ipv6(6, tcp(), fields);

export const sllIpv4Syn = (): Buffer => sll(0x0800, ipv4Syn());
export const sll2Ipv6Syn = (): Buffer => sll2(0x86dd, ipv6Syn());
export const rawIpv4Syn = (): Buffer => ipv4Syn();
export const rawIpv6Syn = (): Buffer => ipv6Syn();
export const nullIpv4Syn = (order: 'le' | 'be'): Buffer => nullHeader(2, order, ipv4Syn());
export const nullIpv6Syn = (family: number, order: 'le' | 'be'): Buffer => nullHeader(family, order, ipv6Syn());

/** IPv6 SYN behind hop-by-hop options and an atomic Fragment header (offset 0, M clear; RFC 6946): the whole packet. */
export const ipv6HopFragSyn = (offset = 0, more = false): Buffer =>
  ipv6(0, Buffer.concat([hopByHop(44), fragment(6, offset, more), tcp()]));

/** What a Linux host quotes in an ICMPv4 error: the whole offending SYN (it fits in 576 bytes). */
export const quotedSyn4 = (): Buffer => ipv4Syn();

/** ICMPv4 error from `from` about the client's SYN, with RFC 792's minimum quote (IP header + 8 bytes) unless told. */
export function icmp4Error(type: number, code: number, from: Buffer, quote: Buffer = quotedSyn4()): Buffer {
  return ipv4(1, icmp4(type, code, quote), { src: from, dst: CLIENT4, ttl: 63, dontFragment: false });
}

/** Port unreachable (3/3) from the server itself: nothing listens, and the host says so by ICMP. */
export const icmpPortUnreachable = (): Buffer => icmp4Error(3, 3, SERVER4);
/** Host unreachable (3/1) from a router: ARP for the server went unanswered. */
export const icmpHostUnreachable = (): Buffer => icmp4Error(3, 1, ROUTER4, quotedSyn4().subarray(0, 28));
/**
 * Communication administratively prohibited (3/13) from a firewall (iptables REJECT --reject-with
 * icmp-admin-prohibited).
 */
export const icmpAdminProhibited = (): Buffer => icmp4Error(3, 13, ROUTER4);
/** Time exceeded in transit (11/0) from a router: the SYN's TTL ran out. */
export const icmpTimeExceeded = (): Buffer => icmp4Error(11, 0, ROUTER4, ipv4Syn({ ttl: 1 }).subarray(0, 28));

/** ICMPv6 error from `from` about the client's v6 SYN (the whole SYN quoted, as Linux does). */
export function icmp6Error(type: number, code: number, from: Buffer, quote: Buffer = ipv6Syn()): Buffer {
  return ipv6(58, icmp6(type, code, quote), { src: from, dst: CLIENT6, hopLimit: 63 });
}

/** ICMPv6 destination unreachable, code 1 "communication with destination administratively prohibited". */
export const icmp6AdminProhibited = (): Buffer => icmp6Error(1, 1, ROUTER6);
/** ICMPv6 time exceeded (3/0) from a router. */
export const icmp6TimeExceeded = (): Buffer => icmp6Error(3, 0, ROUTER6);

// --- tunnels ------------------------------------------------------------------------------------------

export const VTEP4_A = hex('c0 a8 64 01'); // 192.168.100.1
export const VTEP4_B = hex('c0 a8 64 02'); // 192.168.100.2
export const VTEP6_A = hex('fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01'); // fd00::1
export const VTEP6_B = hex('fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 02'); // fd00::2

/** UDP header (source port 54321, an entropy hash for tunnels) and its payload. */
export function udp(dstPort: number, payload: Buffer, srcPort = 54321): Buffer {
  return Buffer.concat([
    hex(`
      ${h16(srcPort)} ${h16(dstPort)}          // UDP: source port, destination port
      ${h16(8 + payload.length)} 00 00         //   length, checksum (zero: none)
    `),
    payload,
  ]);
}

/** VXLAN header (RFC 7348) with the I flag and a VNI, then the inner Ethernet frame. */
export function vxlan(vni: number, frame: Buffer, flags = 0x08): Buffer {
  return Buffer.concat([
    hex(`
      ${h8(flags)} 00 00 00                    // VXLAN: flags (I), reserved
      ${h16(vni >>> 8)} ${h8(vni)} 00          //   VNI (24 bits), reserved
    `),
    frame,
  ]);
}

/** Geneve header (RFC 8926) with `options` (a multiple of 4 bytes) and the protocol type, then the payload. */
export function geneve(vni: number, protocol: number, payload: Buffer, options: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([
    hex(`
      ${h8(options.length / 4)} 00 ${h16(protocol)}   // Geneve: version 0 / option length, flags, protocol type
      ${h16(vni >>> 8)} ${h8(vni)} 00                 //   VNI (24 bits), reserved
    `),
    options,
    payload,
  ]);
}

export interface GreFields {
  checksum: boolean;
  key: number | null;
  seq: number | null;
  version: number;
}

/** GRE header (RFC 2784 / 2890): flags, version, protocol type, then checksum, key and sequence number when present. */
export function gre(protocol: number, payload: Buffer, fields: Partial<GreFields> = {}): Buffer {
  const f: GreFields = { checksum: false, key: null, seq: null, version: 0, ...fields };
  const flags = (f.checksum ? 0x80 : 0) | (f.key !== null ? 0x20 : 0) | (f.seq !== null ? 0x10 : 0);
  return Buffer.concat([
    hex(`${h8(flags)} ${h8(f.version)} ${h16(protocol)}   // GRE: C/K/S flags, version, protocol type`),
    f.checksum ? hex('ab cd 00 00   //   checksum, reserved') : Buffer.alloc(0),
    f.key !== null ? hex(`${h32(f.key)}   //   key`) : Buffer.alloc(0),
    f.seq !== null ? hex(`${h32(f.seq)}   //   sequence number`) : Buffer.alloc(0),
    payload,
  ]);
}

/** ERSPAN type II header (8 bytes) with a session ID, then the mirrored Ethernet frame. */
export function erspan2(session: number, frame: Buffer): Buffer {
  return Buffer.concat([
    hex(`
      10 64 ${h16(session & 0x3ff)}            // ERSPAN II: version 1, VLAN 100, COS/En/T 0, session ID
      00 00 00 07                              //   reserved, index
    `),
    frame,
  ]);
}

/** ERSPAN type III header (12 bytes, or 20 with the platform subheader), then the mirrored Ethernet frame. */
export function erspan3(session: number, frame: Buffer, subheader = false): Buffer {
  return Buffer.concat([
    hex(`
      20 64 ${h16(session & 0x3ff)}            // ERSPAN III: version 2, VLAN 100, COS/BSO/T 0, session ID
      12 34 56 78                              //   timestamp
      00 00 00 ${subheader ? '01' : '00'}      //   SGT, P/FT/HW ID/D/Gra, O (platform subheader follows)
    `),
    subheader ? hex('00 00 00 00 00 00 00 00   // platform-specific subheader') : Buffer.alloc(0),
    frame,
  ]);
}

/** An MPLS label stack entry (RFC 3032): label, traffic class 0, bottom-of-stack bit, TTL 64. */
export function mplsLabel(label: number, bottom: boolean): Buffer {
  return hex(`${h16(label >>> 4)} ${h8(((label & 0xf) << 4) | (bottom ? 1 : 0))} 40   // MPLS: label, TC, S, TTL`);
}

/** PPPoE session header (RFC 2516) and the PPP protocol field, then the payload. */
export function pppoe(session: number, pppProtocol: number, payload: Buffer): Buffer {
  return Buffer.concat([
    hex(`
      11 00 ${h16(session)}                    // PPPoE: version 1 / type 1, code 0 (session), session ID
      ${h16(payload.length + 2)} ${h16(pppProtocol)}   //   length, PPP protocol
    `),
    payload,
  ]);
}
