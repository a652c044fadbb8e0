// PPPoE session stage (RFC 2516, EtherType 0x8864) carrying PPP (RFC 1661): finds the IPv4 / IPv6 packet.
// Discovery (0x8863), LCP and the other PPP protocols carry no TCP.

import { DECODE_BAD_HEADER, DECODE_NOT_TCP, DECODE_TRUNCATED, TUNNEL_PPPOE, type PacketView } from './view.js';

/** VER/TYPE (1), CODE (1), SESSION_ID (2), LENGTH (2), then the PPP protocol field (2). */
export const PPPOE_HEADER = 8;

/** PPP protocol numbers (RFC 1332, RFC 5072). */
export const PPP_IPV4 = 0x0021;
export const PPP_IPV6 = 0x0057;

/**
 * Decodes the PPPoE session header at off. RFC 2516 §4: "The VER field is four bits and MUST be set to 0x1 for
 * this version ... The TYPE field ... MUST be set to 0x1", and in the session stage "The CODE field MUST be set
 * to 0x00". Returns the IP header's offset (its version nibble checked against the PPP protocol).
 */
export function decodePppoe(buf: Buffer, off: number, end: number, view: PacketView): number {
  if (off + PPPOE_HEADER > end) return DECODE_TRUNCATED;
  if (buf[off] !== 0x11 || buf[off + 1] !== 0x00) return DECODE_BAD_HEADER;
  const proto = (buf[off + 6] << 8) | buf[off + 7];
  const version = proto === PPP_IPV4 ? 4 : proto === PPP_IPV6 ? 6 : 0;
  if (version === 0) return DECODE_NOT_TCP;
  view.enterTunnel(TUNNEL_PPPOE, (buf[off + 2] << 8) | buf[off + 3], true, false);
  const ip = off + PPPOE_HEADER;
  if (ip >= end) return DECODE_TRUNCATED;
  return buf[ip] >> 4 === version ? ip : DECODE_BAD_HEADER;
}
