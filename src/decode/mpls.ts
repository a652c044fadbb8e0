// MPLS label stack (RFC 3032) over Ethernet (EtherType 0x8847 unicast, 0x8848 multicast) or GRE: walks the
// label stack entries to the bottom of stack and finds the IP packet after it. Labels key nothing (they
// change per hop and per direction).

import { DECODE_NOT_TCP, DECODE_TRUNCATED, TUNNEL_MPLS, type PacketView } from './view.js';

/** Label stack entries walked at most: deeper stacks are not IP traffic synscope follows. */
export const MPLS_MAX_LABELS = 16;

/**
 * Decodes the label stack at off. RFC 3032 §2.1: each entry is "Label: 20 bits, Exp: 3 bits, S (Bottom of
 * Stack): 1 bit, TTL: 8 bits"; S is set on the last entry. The payload type is not in the header: as Linux's
 * mpls_forward() and Wireshark do, the first nibble after the bottom entry tells IPv4 (4) from IPv6 (6);
 * anything else (a pseudowire control word, Ethernet over MPLS) is DECODE_NOT_TCP. Returns the IP offset.
 */
export function decodeMpls(buf: Buffer, off: number, end: number, view: PacketView): number {
  for (let n = 0; n < MPLS_MAX_LABELS; n++, off += 4) {
    if (off + 4 > end) return DECODE_TRUNCATED;
    if ((buf[off + 2] & 0x01) === 0) continue;
    const label = (buf[off] << 12) | (buf[off + 1] << 4) | (buf[off + 2] >> 4);
    view.enterTunnel(TUNNEL_MPLS, label, false, false);
    const ip = off + 4;
    if (ip >= end) return DECODE_TRUNCATED;
    const version = buf[ip] >> 4;
    return version === 4 || version === 6 ? ip : DECODE_NOT_TCP;
  }
  return DECODE_NOT_TCP;
}
