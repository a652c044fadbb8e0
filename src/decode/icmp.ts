// ICMP (RFC 792) and ICMPv6 (RFC 4443) errors, and the IP + TCP header they quote: which SYN was refused.
// Informational messages (echo, neighbour discovery) are DECODE_NOT_TCP; matching the quote to a SYN is track/'s.

import { skipIp6Extensions, ip6UpperProtocol, IP6_HEADER } from './ip6.js';
import {
  DECODE_BAD_HEADER,
  DECODE_NOT_TCP,
  DECODE_TRUNCATED,
  IPPROTO_TCP,
  KIND_ICMP_ERROR,
  type PacketView,
} from './view.js';

export const ICMP_DEST_UNREACHABLE = 3;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETER_PROBLEM = 12;

export const ICMP6_DEST_UNREACHABLE = 1;
export const ICMP6_PACKET_TOO_BIG = 2;
export const ICMP6_TIME_EXCEEDED = 3;
export const ICMP6_PARAMETER_PROBLEM = 4;

/** Type (1), code (1), checksum (2), then 4 bytes (unused / pointer / MTU); the quoted packet follows. */
export const ICMP_HEADER = 8;

/**
 * RFC 792: the error quotes "the internet header plus the first 64 bits of the original datagram's
 * data", enough for TCP's ports and sequence number; that is all synscope needs of the quote.
 */
export const QUOTED_TCP_BYTES = 8;

// Which types are errors that quote the offending packet (1) — everything else is not synscope's.
const ICMP4_ERROR = new Uint8Array(256);
ICMP4_ERROR[ICMP_DEST_UNREACHABLE] = 1;
ICMP4_ERROR[ICMP_TIME_EXCEEDED] = 1;
ICMP4_ERROR[ICMP_PARAMETER_PROBLEM] = 1;

const ICMP6_ERROR = new Uint8Array(256);
ICMP6_ERROR[ICMP6_DEST_UNREACHABLE] = 1;
ICMP6_ERROR[ICMP6_PACKET_TOO_BIG] = 1;
ICMP6_ERROR[ICMP6_TIME_EXCEEDED] = 1;
ICMP6_ERROR[ICMP6_PARAMETER_PROBLEM] = 1;

/**
 * Fills the ICMP error fields from the message at off and the quoted TCP bytes at tcpOff; returns the offset
 * after them.
 */
function quotedTcp(
  buf: Buffer,
  off: number,
  tcpOff: number,
  end: number,
  qSrcOff: number,
  qDstOff: number,
  view: PacketView,
): number {
  if (tcpOff + QUOTED_TCP_BYTES > end) return DECODE_TRUNCATED;
  view.kind = KIND_ICMP_ERROR;
  view.icmpType = buf[off];
  view.icmpCode = buf[off + 1];
  view.qSrcOff = qSrcOff;
  view.qDstOff = qDstOff;
  view.qSrcPort = (buf[tcpOff] << 8) | buf[tcpOff + 1];
  view.qDstPort = (buf[tcpOff + 2] << 8) | buf[tcpOff + 3];
  view.qSeq = ((buf[tcpOff + 4] << 24) | (buf[tcpOff + 5] << 16) | (buf[tcpOff + 6] << 8) | buf[tcpOff + 7]) >>> 0;
  return tcpOff + QUOTED_TCP_BYTES;
}

/**
 * Decodes the ICMPv4 message at off (the view's network fields already describe its IPv4 packet).
 * Destination unreachable, time exceeded and parameter problem quoting a TCP segment →
 * KIND_ICMP_ERROR, returning the offset after the quoted TCP bytes; anything else → DECODE_NOT_TCP.
 */
export function decodeIcmp4(buf: Buffer, off: number, end: number, view: PacketView): number {
  if (off + ICMP_HEADER > end) return DECODE_TRUNCATED;
  if (ICMP4_ERROR[buf[off]] === 0) return DECODE_NOT_TCP;
  const q = off + ICMP_HEADER;
  // The quoted header's Total Length is the original's: the quote is cut, so only `end` bounds it.
  if (q + 20 > end) return DECODE_TRUNCATED;
  const versionIhl = buf[q];
  // An ICMPv4 error quotes the IPv4 datagram that caused it (RFC 792).
  if (versionIhl >> 4 !== 4) return DECODE_BAD_HEADER;
  const headerLen = (versionIhl & 0x0f) << 2;
  if (headerLen < 20) return DECODE_BAD_HEADER;
  if (buf[q + 9] !== IPPROTO_TCP) return DECODE_NOT_TCP;
  // A quoted non-first fragment holds no TCP header (RFC 791 Fragment Offset, as in ip4.ts).
  if ((((buf[q + 6] << 8) | buf[q + 7]) & 0x1fff) !== 0) return DECODE_NOT_TCP;
  return quotedTcp(buf, off, q + headerLen, end, q + 12, q + 16, view);
}

/**
 * Decodes the ICMPv6 message at off (the view's network fields already describe its IPv6 packet).
 * Destination unreachable, packet too big, time exceeded and parameter problem quoting a TCP
 * segment (possibly behind extension headers) → KIND_ICMP_ERROR; informational types (≥ 128) → DECODE_NOT_TCP.
 */
export function decodeIcmp6(buf: Buffer, off: number, end: number, view: PacketView): number {
  if (off + ICMP_HEADER > end) return DECODE_TRUNCATED;
  if (ICMP6_ERROR[buf[off]] === 0) return DECODE_NOT_TCP;
  const q = off + ICMP_HEADER;
  // RFC 4443 §3.1: "As much of invoking packet as possible without the ICMPv6 packet exceeding the minimum IPv6 MTU".
  if (q + IP6_HEADER > end) return DECODE_TRUNCATED;
  if (buf[q] >> 4 !== 6) return DECODE_BAD_HEADER;
  const upper = skipIp6Extensions(buf, q + IP6_HEADER, end, buf[q + 6]);
  if (upper < 0) return upper;
  if (ip6UpperProtocol(buf, q, upper) !== IPPROTO_TCP) return DECODE_NOT_TCP;
  return quotedTcp(buf, off, upper, end, q + 8, q + 24, view);
}
