// Geneve (RFC 8926) inside UDP: the VNI, the options skipped by their length, and the protocol it carries
// (an Ethernet frame, 0x6558, or IP directly). Which UDP port is Geneve is udp.ts's table.

import { decodeEthertype } from './link.js';
import { DECODE_NOT_TCP, DECODE_TRUNCATED, TUNNEL_GENEVE, type PacketView } from './view.js';

/** Ver + Opt Len (1), O/C flags (1), Protocol Type (2), VNI (3), reserved (1); options follow. */
export const GENEVE_HEADER = 8;

/**
 * Decodes the Geneve header at off. RFC 8926 §3.4: "Ver (2 bits): The current version number is 0 ... Opt Len
 * (6 bits): The length of the option fields, expressed in 4-byte multiples"; "Protocol Type (16 bits): The type
 * of protocol data unit appearing after the Geneve header ... Ethertype". Returns the inner IP offset.
 */
export function decodeGeneve(buf: Buffer, off: number, end: number, view: PacketView): number {
  if (off + GENEVE_HEADER > end) return DECODE_TRUNCATED;
  // "Packets received by a tunnel endpoint with an unknown version MUST be dropped."
  if (buf[off] >> 6 !== 0) return DECODE_NOT_TCP;
  const inner = off + GENEVE_HEADER + ((buf[off] & 0x3f) << 2);
  if (inner > end) return DECODE_TRUNCATED;
  view.enterTunnel(TUNNEL_GENEVE, (buf[off + 4] << 16) | (buf[off + 5] << 8) | buf[off + 6], true, true);
  return decodeEthertype(buf, off + 2, inner, end, view);
}
