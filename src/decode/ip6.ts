// IPv6 header (RFC 8200) and the walk over its extension headers to the upper-layer header.
// Which upper layer it is (TCP, ICMPv6) is packet.ts's dispatch; icmp.ts reuses the walk for quoted packets.

import { DECODE_BAD_HEADER, DECODE_FRAGMENT, DECODE_NOT_TCP, DECODE_TRUNCATED, type PacketView } from './view.js';

export const IP6_HEADER = 40;

export const IP6_NEXT_HOP_BY_HOP = 0;
export const IP6_NEXT_ROUTING = 43;
export const IP6_NEXT_FRAGMENT = 44;
export const IP6_NEXT_ESP = 50;
export const IP6_NEXT_AH = 51;
export const IP6_NEXT_NONE = 59;
export const IP6_NEXT_DEST_OPTS = 60;
export const IP6_NEXT_MOBILITY = 135;
export const IP6_NEXT_HIP = 139;
export const IP6_NEXT_SHIM6 = 140;

// How each Next Header value is walked. UPPER (0) ends the walk at an upper-layer header.
const EXT_UPPER = 0;
/** RFC 8200 §4.3 format: Next Header, Hdr Ext Len "in 8-octet units, not including the first 8 octets". */
const EXT_GENERIC = 1;
/** RFC 8200 §4.5: fixed 8 octets, with the Fragment Offset. */
const EXT_FRAGMENT = 2;
/** RFC 4302 §2.2: "Payload Length ... the length of AH in 32-bit words (4-byte units), minus 2". */
const EXT_AH = 3;
/** Nothing readable follows: ESP encrypts the rest (RFC 4303), No Next Header ends the packet (RFC 8200 §4.7). */
const EXT_OPAQUE = 4;

const EXT_KIND = new Uint8Array(256);
EXT_KIND[IP6_NEXT_HOP_BY_HOP] = EXT_GENERIC;
EXT_KIND[IP6_NEXT_ROUTING] = EXT_GENERIC;
EXT_KIND[IP6_NEXT_DEST_OPTS] = EXT_GENERIC;
// RFC 7045 §2: Mobility (RFC 6275), HIP (RFC 7401) and Shim6 (RFC 5533) use the same format.
EXT_KIND[IP6_NEXT_MOBILITY] = EXT_GENERIC;
EXT_KIND[IP6_NEXT_HIP] = EXT_GENERIC;
EXT_KIND[IP6_NEXT_SHIM6] = EXT_GENERIC;
EXT_KIND[IP6_NEXT_FRAGMENT] = EXT_FRAGMENT;
EXT_KIND[IP6_NEXT_AH] = EXT_AH;
EXT_KIND[IP6_NEXT_ESP] = EXT_OPAQUE;
EXT_KIND[IP6_NEXT_NONE] = EXT_OPAQUE;

/** Length of the extension header of the given EXT_* kind at p (at least 8, so every walk advances). */
function extLength(buf: Buffer, p: number, kind: number): number {
  if (kind === EXT_FRAGMENT) return 8;
  if (kind === EXT_AH) return (buf[p + 1] + 2) << 2;
  return (buf[p + 1] + 1) << 3;
}

/**
 * Walks the extension headers starting at p, the first announced by nextHeader, up to the first
 * upper-layer header, and returns its offset (which may lie at or beyond `end` when nothing follows).
 * DECODE_NOT_TCP for ESP, No Next Header and non-first fragments; DECODE_TRUNCATED when an
 * extension header runs past `end`. ip6UpperProtocol() tells which upper layer was reached.
 * With a `view` (a packet, not an ICMP quote), a Fragment header of a real fragment (offset or M set)
 * ends the walk with DECODE_FRAGMENT and the view's frag* fields set (fragDataEnd is the caller's).
 */
export function skipIp6Extensions(
  buf: Buffer,
  p: number,
  end: number,
  nextHeader: number,
  view: PacketView | null = null,
): number {
  for (;;) {
    const kind = EXT_KIND[nextHeader];
    if (kind === EXT_UPPER) return p;
    if (kind === EXT_OPAQUE) return DECODE_NOT_TCP;
    // Every extension header is a multiple of 8 octets (AH: of 4, and at least 12).
    if (p + 8 > end) return DECODE_TRUNCATED;
    // RFC 8200 §4.5: "Fragment Offset: 13-bit unsigned integer. The offset, in 8-octet units, of the data
    // following this header". Only the first fragment (offset 0) carries the upper-layer header.
    if (kind === EXT_FRAGMENT) {
      // Next Header (1), Reserved (1), Fragment Offset (13 bits) Res (2) M (1), Identification (4).
      const frag = (buf[p + 2] << 8) | buf[p + 3];
      if (view !== null && (frag & 0xfff9) !== 0) {
        view.fragId = ((buf[p + 4] << 24) | (buf[p + 5] << 16) | (buf[p + 6] << 8) | buf[p + 7]) >>> 0;
        view.fragOffset = frag & 0xfff8;
        view.fragMore = frag & 1;
        view.fragProto = buf[p];
        view.fragDataOff = p + 8;
        return DECODE_FRAGMENT;
      }
      // RFC 6946: an "atomic fragment" (offset 0, M 0) is the whole packet; an ICMP quote of a first fragment
      // holds the TCP header.
      if ((frag & 0xfff8) !== 0) return DECODE_NOT_TCP;
    }
    const len = extLength(buf, p, kind);
    // The header's own bytes are needed to go on (its Next Header is at p, but a later one could be cut).
    if (p + len > end) return DECODE_TRUNCATED;
    nextHeader = buf[p];
    p += len;
  }
}

/**
 * The upper-layer protocol (Next Header value) of the IPv6 packet at ipOff whose upper-layer header
 * skipIp6Extensions() found at upperOff. Re-walks the chain: nothing to do without extension headers.
 */
export function ip6UpperProtocol(buf: Buffer, ipOff: number, upperOff: number): number {
  let nextHeader = buf[ipOff + 6];
  let p = ipOff + IP6_HEADER;
  while (p < upperOff) {
    const len = extLength(buf, p, EXT_KIND[nextHeader]);
    nextHeader = buf[p];
    p += len;
  }
  return nextHeader;
}

/**
 * Where the IPv6 packet at ipOff ends by its Payload Length ("the rest of the packet following this
 * IPv6 header ... Note that any extension headers present are considered part of the payload").
 * tcpdump print-ip6.c: a Payload Length of 0 is a jumbogram (RFC 2675) or a TSO send, so the packet
 * is taken to end at `end`.
 */
export function ip6PayloadEnd(buf: Buffer, ipOff: number, end: number): number {
  const payloadLen = (buf[ipOff + 4] << 8) | buf[ipOff + 5];
  return payloadLen === 0 ? end : ipOff + IP6_HEADER + payloadLen;
}

/**
 * Decodes the IPv6 header at off and walks its extension headers: sets ipVersion, addrLen, ipOff,
 * srcOff, dstOff, ttl (hop limit). Returns the offset of the upper-layer header or a negative status.
 */
export function decodeIp6(buf: Buffer, off: number, end: number, view: PacketView): number {
  if (off + IP6_HEADER > end) return DECODE_TRUNCATED;
  if (buf[off] >> 4 !== 6) return DECODE_BAD_HEADER;

  view.ipVersion = 6;
  view.addrLen = 16;
  view.ipOff = off;
  view.srcOff = off + 8;
  view.dstOff = off + 24;
  view.ttl = buf[off + 7];

  // Extension headers end within the Payload Length; past it, they are wrong, not cut by the snaplen.
  const payloadEnd = ip6PayloadEnd(buf, off, end);
  const limit = payloadEnd < end ? payloadEnd : end;
  const upper = skipIp6Extensions(buf, off + IP6_HEADER, limit, buf[off + 6], view);
  if (upper === DECODE_FRAGMENT) view.fragDataEnd = payloadEnd;
  return upper === DECODE_TRUNCATED && payloadEnd < end ? DECODE_BAD_HEADER : upper;
}
