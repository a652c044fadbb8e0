// TCP header (RFC 9293 §3.1): ports, sequence and acknowledgement numbers, flags, payload length.
// Options are skipped unread (the tracker needs none); checksums are never checked (offload makes them wrong).

import { ip4PayloadEnd } from './ip4.js';
import { ip6PayloadEnd } from './ip6.js';
import { DECODE_BAD_HEADER, DECODE_TRUNCATED, KIND_TCP, type PacketView } from './view.js';

/** Bytes of the TCP header without options (Data Offset = 5). */
export const TCP_MIN_HEADER = 20;

/**
 * Decodes the TCP header at off, inside the IP packet the view's network fields describe: sets kind,
 * srcPort, dstPort, seq, ack, flags, payloadLen. `end` is where the captured bytes of the segment end.
 * Returns the payload offset (past the options; it may lie beyond `end` when the snaplen cut the
 * options, which are not read), DECODE_TRUNCATED when the fixed 20 bytes are not all there, or
 * DECODE_BAD_HEADER when Data Offset < 5 or the header is longer than the IP lengths allow.
 */
export function decodeTcp(buf: Buffer, off: number, end: number, view: PacketView): number {
  // payloadLen comes from the IP lengths, not from the caplen: the snaplen may have cut the payload.
  const segmentEnd =
    view.ipVersion === 4
      ? ip4PayloadEnd(buf, view.ipOff, end)
      : view.ipVersion === 6
        ? ip6PayloadEnd(buf, view.ipOff, end)
        : end;
  if (off + TCP_MIN_HEADER > end) {
    return segmentEnd < off + TCP_MIN_HEADER ? DECODE_BAD_HEADER : DECODE_TRUNCATED;
  }
  // RFC 9293: "Data Offset (DOffset): 4 bits. The number of 32-bit words in the TCP header ...
  // The TCP header (even one including options) is an integer multiple of 32 bits long."
  // The fixed part is 5 words, so less is impossible.
  const headerLen = (buf[off + 12] >> 4) << 2;
  if (headerLen < TCP_MIN_HEADER) return DECODE_BAD_HEADER;
  if (segmentEnd - off < headerLen) return DECODE_BAD_HEADER;

  view.kind = KIND_TCP;
  view.srcPort = (buf[off] << 8) | buf[off + 1];
  view.dstPort = (buf[off + 2] << 8) | buf[off + 3];
  // `>>> 0` keeps the 32-bit numbers unsigned (a plain `<< 24` would make the top bit a sign).
  view.seq = ((buf[off + 4] << 24) | (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7]) >>> 0;
  view.ack = ((buf[off + 8] << 24) | (buf[off + 9] << 16) | (buf[off + 10] << 8) | buf[off + 11]) >>> 0;
  // Byte 13: CWR ECE URG ACK PSH RST SYN FIN, the TCP_FLAG_* bits as they are on the wire.
  view.flags = buf[off + 13];
  view.payloadLen = segmentEnd - off - headerLen;
  return off + headerLen;
}
