// IPv4 header (RFC 791 §3.1): fills the view's network fields and finds the upper-layer header.
// Which upper layer it is (TCP, ICMP) is packet.ts's dispatch; checksums are never checked (offload).

import { DECODE_BAD_HEADER, DECODE_FRAGMENT, DECODE_TRUNCATED, type PacketView } from './view.js';

/** Bytes of the fixed IPv4 header (IHL = 5). */
export const IP4_MIN_HEADER = 20;

/**
 * Decodes the IPv4 header at off: sets ipVersion, addrLen, ipOff, srcOff, dstOff, ttl.
 * Returns the offset of the upper-layer header, or DECODE_TRUNCATED / DECODE_BAD_HEADER /
 * DECODE_FRAGMENT (any fragment, its frag* fields set). The upper layer is at most ip4PayloadEnd() long.
 */
export function decodeIp4(buf: Buffer, off: number, end: number, view: PacketView): number {
  if (off + IP4_MIN_HEADER > end) return DECODE_TRUNCATED;
  const versionIhl = buf[off];
  if (versionIhl >> 4 !== 4) return DECODE_BAD_HEADER;
  // RFC 791: "Internet Header Length is the length of the internet header in 32 bit words ...
  // the minimum value for a correct header is 5."
  const headerLen = (versionIhl & 0x0f) << 2;
  if (headerLen < IP4_MIN_HEADER) return DECODE_BAD_HEADER;
  // RFC 791: "Total Length is the length of the datagram ... including internet header and data."
  // 0 is what a TSO send looks like when captured before segmentation (see ip4PayloadEnd).
  const totalLen = (buf[off + 2] << 8) | buf[off + 3];
  if (totalLen !== 0 && totalLen < headerLen) return DECODE_BAD_HEADER;
  // The options must be present to find what follows them.
  if (off + headerLen > end) return DECODE_TRUNCATED;

  view.ipVersion = 4;
  view.addrLen = 4;
  view.ipOff = off;
  view.srcOff = off + 12;
  view.dstOff = off + 16;
  view.ttl = buf[off + 8];

  // RFC 791: "Fragment Offset ... indicates where in the datagram this fragment belongs ... measured in units
  // of 8 octets"; "MF = 1 More Fragments". Either one set makes this a fragment, for reassembly.ts.
  const frag = (buf[off + 6] << 8) | buf[off + 7];
  if ((frag & 0x3fff) !== 0) {
    view.fragId = (buf[off + 4] << 8) | buf[off + 5];
    view.fragOffset = (frag & 0x1fff) << 3;
    view.fragMore = (frag >> 13) & 1;
    view.fragProto = buf[off + 9];
    view.fragDataOff = off + headerLen;
    view.fragDataEnd = totalLen === 0 ? end : off + totalLen;
    return DECODE_FRAGMENT;
  }
  return off + headerLen;
}

/** The upper-layer protocol of a decoded IPv4 header (byte 9). */
export function ip4Protocol(buf: Buffer, ipOff: number): number {
  return buf[ipOff + 9];
}

/**
 * Where the IPv4 datagram at ipOff ends by its Total Length, which may lie before `end` (Ethernet
 * padding) or after it (snaplen). tcpdump print-ip.c: a total length of 0 "we guess that it is a
 * TSO send" — then the datagram is taken to end at `end`.
 */
export function ip4PayloadEnd(buf: Buffer, ipOff: number, end: number): number {
  const totalLen = (buf[ipOff + 2] << 8) | buf[ipOff + 3];
  return totalLen === 0 ? end : ipOff + totalLen;
}
