// Link layer: finds the IP header inside a frame for every LINKTYPE_* synscope decodes, through a
// dispatch table indexed by link type. It checks only that the IP version matches what the link header
// announced; IP is ip4.ts/ip6.ts. The EtherType walk (VLAN tags, MPLS, PPPoE, an Ethernet frame inside
// GRE / Geneve) is shared with the tunnel decoders.

import {
  LINKTYPE_C_HDLC,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPOIB,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NFLOG,
  LINKTYPE_NULL,
  LINKTYPE_PPP,
  LINKTYPE_PPP_ETHER,
  LINKTYPE_PPP_HDLC,
  LINKTYPE_RAW,
} from '../capture/source.js';
import { decodeMpls } from './mpls.js';
import { PPP_IPV4, PPP_IPV6, decodePppoe } from './pppoe.js';
import { DECODE_BAD_HEADER, DECODE_NOT_TCP, DECODE_TRUNCATED, DECODE_UNKNOWN_LINK, type PacketView } from './view.js';

/**
 * Finds the network header in [off, end): returns its offset (an IPv4 or IPv6 header, version checked) or a
 * DECODE_* status. Only an MPLS or PPPoE header on the way writes to the view (its tunnel fields).
 */
export type LinkDecoder = (buf: Buffer, off: number, end: number, view: PacketView) => number;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
/** IEEE 802.1Q customer VLAN tag (C-tag). */
export const ETHERTYPE_VLAN = 0x8100;
/** IEEE 802.1ad service VLAN tag (S-tag, the outer tag of QinQ). */
export const ETHERTYPE_QINQ = 0x88a8;
/** Pre-standard QinQ outer tag still emitted by some switches. */
export const ETHERTYPE_QINQ_9100 = 0x9100;
/** MPLS unicast and multicast (RFC 5332). */
export const ETHERTYPE_MPLS = 0x8847;
export const ETHERTYPE_MPLS_MULTICAST = 0x8848;
/** PPPoE session stage (RFC 2516). */
export const ETHERTYPE_PPPOE_SESSION = 0x8864;
/** Transparent Ethernet Bridging: an Ethernet frame follows (GRE's gretap, Geneve). */
export const ETHERTYPE_TEB = 0x6558;

/** Address families in the 4-byte NULL/LOOP header. AF_INET6 differs between the BSDs. */
export const AF_INET = 2;
export const AF_INET6_BSD = 24; // NetBSD, OpenBSD, BSD/OS
export const AF_INET6_FREEBSD = 28; // FreeBSD, DragonFly BSD
export const AF_INET6_DARWIN = 30; // macOS, iOS

// What an EtherType (or SLL protocol, or AF family) announces: 4 / 6 for the IP version, TAG for a VLAN tag,
// MPLS / PPPOE / TEB for what is walked through to the IP packet inside, 0 for anything else.
const ETHER_TAG = 1;
const ETHER_MPLS = 2;
const ETHER_PPPOE = 3;
const ETHER_TEB = 5;
const ETHER_CLASS = new Uint8Array(0x10000);
ETHER_CLASS[ETHERTYPE_IPV4] = 4;
ETHER_CLASS[ETHERTYPE_IPV6] = 6;
ETHER_CLASS[ETHERTYPE_VLAN] = ETHER_TAG;
ETHER_CLASS[ETHERTYPE_QINQ] = ETHER_TAG;
ETHER_CLASS[ETHERTYPE_QINQ_9100] = ETHER_TAG;
ETHER_CLASS[ETHERTYPE_MPLS] = ETHER_MPLS;
ETHER_CLASS[ETHERTYPE_MPLS_MULTICAST] = ETHER_MPLS;
ETHER_CLASS[ETHERTYPE_PPPOE_SESSION] = ETHER_PPPOE;
ETHER_CLASS[ETHERTYPE_TEB] = ETHER_TEB;

const AF_CLASS = new Uint8Array(32);
AF_CLASS[AF_INET] = 4;
AF_CLASS[AF_INET6_BSD] = 6;
AF_CLASS[AF_INET6_FREEBSD] = 6;
AF_CLASS[AF_INET6_DARWIN] = 6;

/** The IP header announced as `version` starts at ipOff: at least its first byte must be there, and agree. */
function ipAt(buf: Buffer, ipOff: number, end: number, version: number): number {
  if (ipOff >= end) return DECODE_TRUNCATED;
  return buf[ipOff] >> 4 === version ? ipOff : DECODE_BAD_HEADER;
}

/**
 * An EtherType at typeOff announcing what starts at payOff, followed through any stack of VLAN tags
 * (802.1Q: TPID 0x8100, then 2 bytes of TCI, then the inner EtherType; QinQ nests 0x88a8 / 0x9100 outside it)
 * and Ethernet frames inside GRE / Geneve (0x6558), to an IP header, or through MPLS / PPPoE to the IP packet
 * they carry. Every tag or frame advances the walk, so it ends at `end`. Tunnel decoders call it with their
 * protocol field at typeOff.
 */
export function decodeEthertype(buf: Buffer, typeOff: number, payOff: number, end: number, view: PacketView): number {
  for (;;) {
    if (typeOff + 2 > end) return DECODE_TRUNCATED;
    const cls = ETHER_CLASS[(buf[typeOff] << 8) | buf[typeOff + 1]];
    if (cls === 4 || cls === 6) return ipAt(buf, payOff, end, cls);
    if (cls === ETHER_TAG) {
      typeOff = payOff + 2;
      payOff += 4;
    } else if (cls === ETHER_TEB) {
      typeOff = payOff + 12;
      payOff += 14;
    } else if (cls === ETHER_MPLS) {
      return decodeMpls(buf, payOff, end, view);
    } else if (cls === ETHER_PPPOE) {
      return decodePppoe(buf, payOff, end, view);
    } else {
      // Anything else (ARP, LLDP, an 802.3 length <= 1500 followed by LLC) carries no TCP.
      return DECODE_NOT_TCP;
    }
  }
}

/** LINKTYPE_ETHERNET, and the Ethernet frame inside VXLAN / ERSPAN: destination (6), source (6), EtherType (2). */
export function decodeEthernet(buf: Buffer, off: number, end: number, view: PacketView): number {
  return decodeEthertype(buf, off + 12, off + 14, end, view);
}

/** LINKTYPE_LINUX_SLL: packet type (2), ARPHRD (2), address length (2), address (8), protocol (2) at offset 14. */
function decodeSll(buf: Buffer, off: number, end: number, view: PacketView): number {
  return decodeEthertype(buf, off + 14, off + 16, end, view);
}

/**
 * LINKTYPE_LINUX_SLL2: protocol (2) at offset 0, reserved (2), ifindex (4), ARPHRD (2), packet type,
 * address length, address (8).
 */
function decodeSll2(buf: Buffer, off: number, end: number, view: PacketView): number {
  return decodeEthertype(buf, off, off + 20, end, view);
}

/** LINKTYPE_RAW / IPV4 / IPV6: the packet starts with the IP header, and its version nibble decides. */
function decodeRaw(buf: Buffer, off: number, end: number): number {
  if (off >= end) return DECODE_TRUNCATED;
  const version = buf[off] >> 4;
  return version === 4 || version === 6 ? off : DECODE_BAD_HEADER;
}

/**
 * LINKTYPE_NULL / LOOP: a 4-byte address family. NULL writes it in the capturing host's byte order, LOOP in
 * network order. tcpdump print-null.c: "If the upper 16 bits aren't all zero, assume it's byte-swapped."
 */
function decodeNull(buf: Buffer, off: number, end: number): number {
  if (off + 4 > end) return DECODE_TRUNCATED;
  let family = (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24)) >>> 0;
  if ((family & 0xffff0000) !== 0) {
    family = ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
  }
  const cls = family < AF_CLASS.length ? AF_CLASS[family] : 0;
  return cls === 0 ? DECODE_NOT_TCP : ipAt(buf, off + 4, end, cls);
}

/** PPP protocol numbers for MPLS (RFC 3032 §4.3): unicast and multicast. */
const PPP_MPLS = 0x0281;
const PPP_MPLS_MULTICAST = 0x0283;

/**
 * LINKTYPE_PPP: RFC 1662's address and control bytes (0xff 0x03) when present, then the PPP protocol
 * field, one byte when compressed (RFC 1661 §6.5: an odd first byte), then IPv4, IPv6 or MPLS.
 */
function decodePpp(buf: Buffer, off: number, end: number, view: PacketView): number {
  if (off + 2 > end) return DECODE_TRUNCATED;
  if (buf[off] === 0xff && buf[off + 1] === 0x03) off += 2;
  if (off >= end) return DECODE_TRUNCATED;
  let proto = buf[off];
  if ((proto & 1) === 1) {
    off += 1;
  } else {
    if (off + 2 > end) return DECODE_TRUNCATED;
    proto = (proto << 8) | buf[off + 1];
    off += 2;
  }
  if (proto === PPP_IPV4) return ipAt(buf, off, end, 4);
  if (proto === PPP_IPV6) return ipAt(buf, off, end, 6);
  if (proto === PPP_MPLS || proto === PPP_MPLS_MULTICAST) return decodeMpls(buf, off, end, view);
  return DECODE_NOT_TCP;
}

/** LINKTYPE_C_HDLC: address (0x0f unicast, 0x8f multicast), control, then an EtherType at offset 2. */
function decodeCiscoHdlc(buf: Buffer, off: number, end: number, view: PacketView): number {
  return decodeEthertype(buf, off + 2, off + 4, end, view);
}

/** LINKTYPE_PPP_HDLC: Cisco HDLC when the first byte is a Cisco address (0x0f, 0x8f), PPP otherwise. */
function decodePppHdlc(buf: Buffer, off: number, end: number, view: PacketView): number {
  if (off >= end) return DECODE_TRUNCATED;
  const first = buf[off];
  return first === 0x0f || first === 0x8f ? decodeCiscoHdlc(buf, off, end, view) : decodePpp(buf, off, end, view);
}

/** LINKTYPE_IPOIB: destination and source addresses (20 bytes each), EtherType at 40, 2 reserved, IP at 44. */
function decodeIpoib(buf: Buffer, off: number, end: number, view: PacketView): number {
  return decodeEthertype(buf, off + 40, off + 44, end, view);
}

/** Linux's AF_INET6 (NFLOG's family byte). */
const AF_INET6_LINUX = 10;
/** The NFLOG TLV that holds the packet. */
const NFULA_PAYLOAD = 9;

/**
 * LINKTYPE_NFLOG: family (AF_INET / Linux's AF_INET6), version, resource id (4 bytes), then TLVs of a
 * length (the 4-byte TLV header included; padded to 4 bytes) and a type, both in the capturing host's byte
 * order: little-endian here, which every Linux machine synscope has met writes. The packet is NFULA_PAYLOAD.
 */
function decodeNflog(buf: Buffer, off: number, end: number): number {
  if (off + 4 > end) return DECODE_TRUNCATED;
  const family = buf[off];
  const version = family === AF_INET ? 4 : family === AF_INET6_LINUX ? 6 : 0;
  if (version === 0) return DECODE_NOT_TCP;
  for (let p = off + 4; p + 4 <= end;) {
    const len = buf[p] | (buf[p + 1] << 8);
    if (len < 4) return DECODE_BAD_HEADER;
    if ((buf[p + 2] | (buf[p + 3] << 8)) === NFULA_PAYLOAD) return ipAt(buf, p + 4, end, version);
    p += (len + 3) & ~3;
  }
  return DECODE_TRUNCATED;
}

function decodeUnknownLink(): number {
  return DECODE_UNKNOWN_LINK;
}

/** The dispatch table: LINKTYPE_* → decoder. Every other slot answers DECODE_UNKNOWN_LINK. */
export const LINK_DECODERS: readonly LinkDecoder[] = (() => {
  const table: LinkDecoder[] = new Array<LinkDecoder>(LINKTYPE_LINUX_SLL2 + 1).fill(decodeUnknownLink);
  table[LINKTYPE_NULL] = decodeNull;
  table[LINKTYPE_ETHERNET] = decodeEthernet;
  table[LINKTYPE_RAW] = decodeRaw;
  table[LINKTYPE_LOOP] = decodeNull;
  table[LINKTYPE_LINUX_SLL] = decodeSll;
  table[LINKTYPE_IPV4] = decodeRaw;
  table[LINKTYPE_IPV6] = decodeRaw;
  table[LINKTYPE_LINUX_SLL2] = decodeSll2;
  table[LINKTYPE_PPP] = decodePpp;
  table[LINKTYPE_PPP_HDLC] = decodePppHdlc;
  table[LINKTYPE_PPP_ETHER] = decodePppoe; // the packet starts with the PPPoE session header
  table[LINKTYPE_C_HDLC] = decodeCiscoHdlc;
  table[LINKTYPE_IPOIB] = decodeIpoib;
  table[LINKTYPE_NFLOG] = decodeNflog;
  return table;
})();

/** Offset of the IPv4/IPv6 header of a frame of the given link type, or a negative DECODE_* status. */
export function decodeLink(buf: Buffer, off: number, end: number, linkType: number, view: PacketView): number {
  if ((linkType | 0) === linkType && linkType >= 0 && linkType < LINK_DECODERS.length) {
    return LINK_DECODERS[linkType](buf, off, end, view);
  }
  return DECODE_UNKNOWN_LINK;
}
