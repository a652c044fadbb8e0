// VXLAN (RFC 7348) inside UDP: the VNI and the Ethernet frame it carries. Which UDP ports are VXLAN is udp.ts's table.

import { decodeEthernet } from './link.js';
import { DECODE_NOT_TCP, DECODE_TRUNCATED, TUNNEL_VXLAN, type PacketView } from './view.js';

/** Flags (1), reserved (3), VNI (3), reserved (1). */
export const VXLAN_HEADER = 8;
/** RFC 7348 §5: "I flag MUST be set to 1 for a valid VXLAN Network ID (VNI)." */
export const VXLAN_FLAG_I = 0x08;

/**
 * Decodes the VXLAN header at off (after the UDP header) and the Ethernet frame after it; returns the inner
 * IP offset.
 */
export function decodeVxlan(buf: Buffer, off: number, end: number, view: PacketView): number {
  if (off + VXLAN_HEADER > end) return DECODE_TRUNCATED;
  // Linux's vxlan_rcv() drops a packet without the I flag; so does synscope (it is not VXLAN, or VXLAN-GPE).
  if ((buf[off] & VXLAN_FLAG_I) === 0) return DECODE_NOT_TCP;
  view.enterTunnel(TUNNEL_VXLAN, (buf[off + 4] << 16) | (buf[off + 5] << 8) | buf[off + 6], true, true);
  return decodeEthernet(buf, off + VXLAN_HEADER, end, view);
}
