// UDP (RFC 768): only as a tunnel carrier. The destination port picks the tunnel decoder from a table
// (VXLAN 4789 and 8472, Geneve 6081, GRE-in-UDP 4754, and the ports --vxlan-port adds); any other UDP datagram
// is not synscope's.

import { decodeGeneve } from './geneve.js';
import { decodeGre } from './gre.js';
import { DECODE_NOT_TCP, DECODE_TRUNCATED, type PacketView } from './view.js';
import { decodeVxlan } from './vxlan.js';

export const UDP_HEADER = 8;

/** IANA's VXLAN port (RFC 7348 §5), and the one Linux's vxlan driver and flannel use by default. */
export const VXLAN_PORT = 4789;
export const VXLAN_LINUX_PORT = 8472;
/** IANA's Geneve port (RFC 8926 §3.3). */
export const GENEVE_PORT = 6081;
/** IANA's GRE-in-UDP port (RFC 8086 §3.1): a GRE header follows the UDP header. */
export const GRE_UDP_PORT = 4754;

type TunnelDecoder = (buf: Buffer, off: number, end: number, view: PacketView) => number;

function notTunnel(): number {
  return DECODE_NOT_TCP;
}

// What each destination port carries: an index into UDP_TUNNELS (0: nothing synscope decodes).
const UDP_NONE = 0;
const UDP_VXLAN = 1;
const UDP_GENEVE = 2;
const UDP_GRE = 3;
const UDP_TUNNELS: readonly TunnelDecoder[] = [notTunnel, decodeVxlan, decodeGeneve, decodeGre];
const PORT_KIND = new Uint8Array(0x10000);
PORT_KIND[VXLAN_PORT] = UDP_VXLAN;
PORT_KIND[VXLAN_LINUX_PORT] = UDP_VXLAN;
PORT_KIND[GENEVE_PORT] = UDP_GENEVE;
PORT_KIND[GRE_UDP_PORT] = UDP_GRE;

/** The UDP ports decoded as VXLAN, in order (for the live capture filter and the report). */
export function vxlanPorts(): number[] {
  const ports: number[] = [];
  for (let p = 0; p < PORT_KIND.length; p++) if (PORT_KIND[p] === UDP_VXLAN) ports.push(p);
  return ports;
}

/** --vxlan-port: decodes UDP to these ports as VXLAN too (for the whole process, as tshark's decode-as does). */
export function addVxlanPorts(ports: readonly number[]): void {
  for (const p of ports)
    if (Number.isInteger(p) && p > 0 && p < 0x10000 && PORT_KIND[p] === UDP_NONE) PORT_KIND[p] = UDP_VXLAN;
}

/**
 * Decodes the UDP header at off and, when its destination port is a tunnel's, the tunnel after it:
 * returns the inner IP header's offset (the view's tunnel fields set), or DECODE_NOT_TCP for other UDP.
 * Both directions of a VXLAN / Geneve flow go to the well-known port (the source port is an entropy hash).
 */
export function decodeUdp(buf: Buffer, off: number, end: number, view: PacketView): number {
  if (off + UDP_HEADER > end) return DECODE_TRUNCATED;
  return UDP_TUNNELS[PORT_KIND[(buf[off + 2] << 8) | buf[off + 3]]](buf, off + UDP_HEADER, end, view);
}
