// The seam between decode and track: one PacketView, refilled in place for every packet.
// It holds numbers and offsets into the frame's Buffer only; address text is built by reporters.

/** decodePacket() results. Negative values are statuses the caller counts, never throws. */
export const DECODE_OK = 0;
/** Valid, but nothing the tracker needs (ARP, UDP, non-first fragment, ICMP echo, ...). */
export const DECODE_NOT_TCP = -1;
/** The packet ends before a header synscope needs is complete (snaplen or damage). */
export const DECODE_TRUNCATED = -2;
/** A header field is impossible (IP version, header length). */
export const DECODE_BAD_HEADER = -3;
/** The frame's link type is not one synscope decodes. */
export const DECODE_UNKNOWN_LINK = -4;

/** What the packet is, for the tracker. */
export const KIND_NONE = 0;
/** A TCP segment: ports, seq, ack and flags are set. */
export const KIND_TCP = 1;
/** An ICMP/ICMPv6 error quoting a TCP segment: icmp* and the quoted (q*) fields are set. */
export const KIND_ICMP_ERROR = 2;

/** TCP flag bits as they sit in byte 13 of the TCP header. */
export const TCP_FLAG_FIN = 0x01;
export const TCP_FLAG_SYN = 0x02;
export const TCP_FLAG_RST = 0x04;
export const TCP_FLAG_PSH = 0x08;
export const TCP_FLAG_ACK = 0x10;
export const TCP_FLAG_URG = 0x20;
export const TCP_FLAG_ECE = 0x40;
export const TCP_FLAG_CWR = 0x80;

export const IPPROTO_TCP = 6;
export const IPPROTO_ICMP = 1;
export const IPPROTO_ICMPV6 = 58;

export class PacketView {
  /** The frame bytes that every *Off field below points into. */
  buf: Buffer = Buffer.alloc(0);
  /** KIND_* of the packet. */
  kind = KIND_NONE;

  // --- network layer (outer packet) ---
  /** 4 or 6; 0 before the IP header is decoded. */
  ipVersion = 0;
  /** Address length in bytes: 4 or 16. */
  addrLen = 0;
  /** Offset of the source / destination address in buf. */
  srcOff = 0;
  dstOff = 0;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl = 0;
  /** Offset of the IP header in buf. */
  ipOff = 0;

  // --- TCP (kind === KIND_TCP) ---
  srcPort = 0;
  dstPort = 0;
  /** Unsigned 32-bit sequence and acknowledgement numbers. */
  seq = 0;
  ack = 0;
  /** TCP_FLAG_* bitmask (byte 13 of the header). */
  flags = 0;
  /** TCP payload length in bytes (from the IP lengths, not the caplen). */
  payloadLen = 0;

  // --- ICMP error (kind === KIND_ICMP_ERROR) ---
  /** ICMP or ICMPv6 type and code of the error. */
  icmpType = 0;
  icmpCode = 0;
  /** Offsets in buf of the quoted packet's source and destination addresses (length addrLen). */
  qSrcOff = 0;
  qDstOff = 0;
  /** Quoted TCP source / destination port and sequence number. */
  qSrcPort = 0;
  qDstPort = 0;
  qSeq = 0;

  /** Clears every field; decodePacket() calls it first, so nothing from the previous packet survives. */
  reset(buf: Buffer): void {
    this.buf = buf;
    this.kind = KIND_NONE;
    this.ipVersion = 0;
    this.addrLen = 0;
    this.srcOff = 0;
    this.dstOff = 0;
    this.ttl = 0;
    this.ipOff = 0;
    this.srcPort = 0;
    this.dstPort = 0;
    this.seq = 0;
    this.ack = 0;
    this.flags = 0;
    this.payloadLen = 0;
    this.icmpType = 0;
    this.icmpCode = 0;
    this.qSrcOff = 0;
    this.qDstOff = 0;
    this.qSrcPort = 0;
    this.qDstPort = 0;
    this.qSeq = 0;
  }
}
