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
/** An IPv4 or IPv6 fragment: the frag* fields are set, for reassembly.ts to collect. */
export const DECODE_FRAGMENT = -5;

/** What the packet is, for the tracker. */
export const KIND_NONE = 0;
/** A TCP segment: ports, seq, ack and flags are set. */
export const KIND_TCP = 1;
/** An ICMP/ICMPv6 error quoting a TCP segment: icmp* and the quoted (q*) fields are set. */
export const KIND_ICMP_ERROR = 2;
/** Transient, inside decodePacket: a tunnel header was decoded and the inner IP header is next. */
export const KIND_TUNNEL = 3;

/** How the packet was carried (tunnelKind): the innermost encapsulation decoded. */
export const TUNNEL_NONE = 0;
/** VXLAN (RFC 7348): tunnelId is the VNI. */
export const TUNNEL_VXLAN = 1;
/** Geneve (RFC 8926): tunnelId is the VNI. */
export const TUNNEL_GENEVE = 2;
/** GRE (RFC 2784, 2890): tunnelId is the key, -1 without one. */
export const TUNNEL_GRE = 3;
/** ERSPAN type I, II or III inside GRE: tunnelId is the session ID (-1 for type I, which has none). */
export const TUNNEL_ERSPAN = 4;
/** IP in IP (protocol 4 or 41 inside IPv4 or IPv6: 4in4, 6in4, 4in6, 6in6): no id. */
export const TUNNEL_IPIP = 5;
/** MPLS label stack (RFC 3032): tunnelId is the bottom label; it differs per direction, so it keys nothing. */
export const TUNNEL_MPLS = 6;
/** PPPoE session (RFC 2516): tunnelId is the session ID. */
export const TUNNEL_PPPOE = 7;

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

  // --- tunnel (tunnelKind !== TUNNEL_NONE): the innermost encapsulation around the packet above ---
  /** TUNNEL_* of the innermost tunnel; TUNNEL_NONE for bare traffic. */
  tunnelKind = TUNNEL_NONE;
  /** VNI, GRE key, ERSPAN session, MPLS bottom label or PPPoE session; -1 when the tunnel has none. */
  tunnelId = -1;
  /**
   * What tells the tunnel's flows apart from equal inner 4-tuples elsewhere: 0 for bare traffic,
   * else kind × 2^32 + (the id when it is the same both ways: VNI, GRE key, session; 0 for MPLS, IP in IP).
   */
  tunnelKey = 0;
  /**
   * The outer IP packet's address length (4 or 16) and address offsets; 0 when the tunnel has no outer IP
   * (MPLS, PPPoE).
   */
  outerAddrLen = 0;
  outerSrcOff = 0;
  outerDstOff = 0;
  /** Tunnel headers decoded (the nesting depth). */
  tunnelDepth = 0;

  // --- fragment (decodePacket returned DECODE_FRAGMENT) ---
  /** IPv4 Identification (16 bits) or IPv6 Fragment Identification (32 bits). */
  fragId = 0;
  /** Byte offset of this fragment's data in the original datagram's payload. */
  fragOffset = 0;
  /** 1 when More Fragments is set. */
  fragMore = 0;
  /** Upper-layer protocol of the datagram (IPv4 Protocol; IPv6 Fragment header's Next Header). */
  fragProto = 0;
  /** Offset in buf of the fragment's data, and where the data ends by the IP lengths (may pass the caplen). */
  fragDataOff = 0;
  fragDataEnd = 0;

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
    this.tunnelKind = TUNNEL_NONE;
    this.tunnelId = -1;
    this.tunnelKey = 0;
    this.outerAddrLen = 0;
    this.outerSrcOff = 0;
    this.outerDstOff = 0;
    this.tunnelDepth = 0;
    this.fragId = 0;
    this.fragOffset = 0;
    this.fragMore = 0;
    this.fragProto = 0;
    this.fragDataOff = 0;
    this.fragDataEnd = 0;
  }

  /**
   * Records a tunnel header just decoded: the current network fields become the outer endpoints,
   * and the inner packet decoded next overwrites them. A tunnel without an IP header of its own
   * (`outer` false: MPLS, PPPoE) keeps the outer endpoints of an enclosing one, if any.
   */
  enterTunnel(kind: number, id: number, keyed: boolean, outer: boolean): void {
    this.kind = KIND_TUNNEL;
    this.tunnelKind = kind;
    this.tunnelId = id;
    this.tunnelKey = kind * 0x100000000 + (keyed && id > 0 ? id : 0);
    if (outer) {
      this.outerAddrLen = this.addrLen;
      this.outerSrcOff = this.srcOff;
      this.outerDstOff = this.dstOff;
    }
    this.tunnelDepth++;
  }
}
