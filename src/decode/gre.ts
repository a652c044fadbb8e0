// GRE (RFC 2784 with RFC 2890's key and sequence number) and ERSPAN types I, II and III inside it: the key
// or session ID, and the protocol carried (IP, an Ethernet frame, MPLS) through link.ts's EtherType walk.

import { decodeEthernet, decodeEthertype } from './link.js';
import { DECODE_NOT_TCP, DECODE_TRUNCATED, TUNNEL_ERSPAN, TUNNEL_GRE, type PacketView } from './view.js';

/** Flags and version (2), Protocol Type (2); the optional fields follow. */
export const GRE_HEADER = 4;
/** RFC 2784 §2.1 Checksum Present; RFC 1701's Routing Present (its offset field shares the checksum's word). */
export const GRE_FLAG_C = 0x80;
export const GRE_FLAG_R = 0x40;
/** RFC 2890 §2: Key Present, Sequence Number Present. */
export const GRE_FLAG_K = 0x20;
export const GRE_FLAG_S = 0x10;

/** ERSPAN type I / II (with a sequence number) and type III protocol types. */
export const GRE_PROTO_ERSPAN2 = 0x88be;
export const GRE_PROTO_ERSPAN3 = 0x22eb;
/** ERSPAN type II header: Ver (4) VLAN (12), COS (3) En (2) T (1) Session ID (10), Reserved (12) Index (20). */
export const ERSPAN2_HEADER = 8;
/** ERSPAN type III: Ver VLAN, COS BSO T Session ID, Timestamp (4), SGT (2), P FT HW ID D Gra O (2). */
export const ERSPAN3_HEADER = 12;
/** ERSPAN type III platform-specific subheader, present when the O flag (the last bit of the header) is set. */
export const ERSPAN3_SUBHEADER = 8;

/**
 * Decodes the GRE header at off; returns the inner IP offset. RFC 2784 §2.1: "Checksum (2 octets) and
 * Reserved1 (2 octets) ... present if the Checksum Present bit is set"; RFC 2890 §2.1/2.2: the Key (4 octets)
 * and the Sequence Number (4 octets) follow in that order when K / S are set. Version 1 (PPTP's enhanced
 * GRE, RFC 2637) carries PPP and source routes (R) are deprecated: both DECODE_NOT_TCP.
 */
export function decodeGre(buf: Buffer, off: number, end: number, view: PacketView): number {
  if (off + GRE_HEADER > end) return DECODE_TRUNCATED;
  const flags = buf[off];
  if ((buf[off + 1] & 0x07) !== 0 || (flags & GRE_FLAG_R) !== 0) return DECODE_NOT_TCP;
  let p = off + GRE_HEADER;
  if ((flags & GRE_FLAG_C) !== 0) p += 4;
  let key = -1;
  if ((flags & GRE_FLAG_K) !== 0) {
    if (p + 4 > end) return DECODE_TRUNCATED;
    key = ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >>> 0;
    p += 4;
  }
  if ((flags & GRE_FLAG_S) !== 0) p += 4;
  if (p > end) return DECODE_TRUNCATED;
  const proto = (buf[off + 2] << 8) | buf[off + 3];
  if (proto === GRE_PROTO_ERSPAN2) {
    // Type I has no ERSPAN header and no sequence number; type II has both (Linux's erspan_rcv()).
    if ((flags & GRE_FLAG_S) === 0) {
      view.enterTunnel(TUNNEL_ERSPAN, -1, false, true);
      return decodeEthernet(buf, p, end, view);
    }
    if (p + ERSPAN2_HEADER > end) return DECODE_TRUNCATED;
    view.enterTunnel(TUNNEL_ERSPAN, ((buf[p + 2] & 0x03) << 8) | buf[p + 3], true, true);
    return decodeEthernet(buf, p + ERSPAN2_HEADER, end, view);
  }
  if (proto === GRE_PROTO_ERSPAN3) {
    if (p + ERSPAN3_HEADER > end) return DECODE_TRUNCATED;
    const frame = p + ERSPAN3_HEADER + ((buf[p + 11] & 0x01) !== 0 ? ERSPAN3_SUBHEADER : 0);
    view.enterTunnel(TUNNEL_ERSPAN, ((buf[p + 2] & 0x03) << 8) | buf[p + 3], true, true);
    return decodeEthernet(buf, frame, end, view);
  }
  view.enterTunnel(TUNNEL_GRE, key, true, true);
  return decodeEthertype(buf, off + 2, p, end, view);
}
