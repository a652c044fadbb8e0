// IP in IP: IPv4 (protocol 4, RFC 2003) or IPv6 (protocol 41, RFC 4213 / RFC 2473) inside IPv4 or IPv6, that is
// 4in4, 6in4 (sit), 4in6 and 6in6 (ip6tnl). The inner header is ip4.ts / ip6.ts's; this checks its version.

import { DECODE_BAD_HEADER, DECODE_TRUNCATED, TUNNEL_IPIP, type PacketView } from './view.js';

function inner(buf: Buffer, off: number, end: number, view: PacketView, version: number): number {
  if (off >= end) return DECODE_TRUNCATED;
  if (buf[off] >> 4 !== version) return DECODE_BAD_HEADER;
  view.enterTunnel(TUNNEL_IPIP, -1, false, true);
  return off;
}

/** Protocol 4: an IPv4 header at off. */
export function decodeIp4InIp(buf: Buffer, off: number, end: number, view: PacketView): number {
  return inner(buf, off, end, view, 4);
}

/** Protocol 41: an IPv6 header at off. */
export function decodeIp6InIp(buf: Buffer, off: number, end: number, view: PacketView): number {
  return inner(buf, off, end, view, 6);
}
