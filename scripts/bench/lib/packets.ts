// Frame builders for the synthetic-capture generator: Ethernet + IPv4/IPv6 + TCP (with the
// options Linux puts in SYNs and timestamps on every later segment), ICMP / ICMPv6 errors
// quoting a packet, UDP, ARP. Every checksum is computed, so Wireshark shows them as good.
// Each builder writes one frame at offset 0 of `out` and returns its length.

// The flag bits are the decoder's own.
export {
  TCP_FLAG_ACK as TCP_ACK,
  TCP_FLAG_FIN as TCP_FIN,
  TCP_FLAG_PSH as TCP_PSH,
  TCP_FLAG_RST as TCP_RST,
  TCP_FLAG_SYN as TCP_SYN,
} from '../../../src/decode/view.js';

/** No TCP options. */
export const OPT_NONE = 0;
/** MSS, SACK permitted, timestamps, NOP, window scale (Linux's SYN and SYN/ACK, 20 bytes). */
export const OPT_SYN = 1;
/** NOP, NOP, timestamps (12 bytes). */
export const OPT_TS = 2;
/** MSS only (a port scanner's SYN, 4 bytes). */
export const OPT_MSS = 3;

const ETH = 14;
const IP4 = 20;
const IP6 = 40;

/** A reused description of one TCP segment. */
export class TcpFields {
  v6 = false;
  srcMac: Buffer = Buffer.alloc(6);
  dstMac: Buffer = Buffer.alloc(6);
  src: Buffer = Buffer.alloc(4);
  dst: Buffer = Buffer.alloc(4);
  sport = 0;
  dport = 0;
  seq = 0;
  ack = 0;
  flags = 0;
  window = 0;
  opt = OPT_NONE;
  mss = 1460;
  wscale = 7;
  tsval = 0;
  tsecr = 0;
  payloadLen = 0;
  /** Where in the payload pool the payload bytes start. */
  payloadSeed = 0;
  /** TTL or hop limit. */
  ttl = 64;
  ipId = 0;
  /** IPv6 flow label (20 bits). */
  flowLabel = 0;
}

/** Bytes the payloads are cut from: pseudo-random, as TLS records look on the wire. */
const POOL_BYTES = 1 << 16;
const POOL = (() => {
  const b = Buffer.alloc(POOL_BYTES * 2);
  let x = 0x2545f491;
  for (let i = 0; i < b.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
})();

function sum16(buf: Buffer, off: number, len: number, acc: number): number {
  const end = off + (len & ~1);
  for (let i = off; i < end; i += 2) acc += (buf[i]! << 8) | buf[i + 1]!;
  if ((len & 1) !== 0) acc += buf[off + len - 1]! << 8;
  return acc;
}

function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 65536);
  return ~acc & 0xffff;
}

function ethernet(out: Buffer, dstMac: Buffer, srcMac: Buffer, type: number): void {
  dstMac.copy(out, 0);
  srcMac.copy(out, 6);
  out[12] = type >> 8;
  out[13] = type & 0xff;
}

/** IPv4 header at `off` (no options, DF set) with its checksum. */
function ip4Header(
  out: Buffer,
  off: number,
  totalLen: number,
  id: number,
  ttl: number,
  proto: number,
  src: Buffer,
  dst: Buffer,
): void {
  out[off] = 0x45;
  out[off + 1] = 0;
  out.writeUInt16BE(totalLen, off + 2);
  out.writeUInt16BE(id & 0xffff, off + 4);
  out.writeUInt16BE(0x4000, off + 6);
  out[off + 8] = ttl;
  out[off + 9] = proto;
  out[off + 10] = 0;
  out[off + 11] = 0;
  src.copy(out, off + 12);
  dst.copy(out, off + 16);
  out.writeUInt16BE(fold(sum16(out, off, IP4, 0)), off + 10);
}

function ip6Header(
  out: Buffer,
  off: number,
  payloadLen: number,
  next: number,
  hopLimit: number,
  flow: number,
  src: Buffer,
  dst: Buffer,
): void {
  out.writeUInt32BE((0x60000000 | (flow & 0xfffff)) >>> 0, off);
  out.writeUInt16BE(payloadLen, off + 4);
  out[off + 6] = next;
  out[off + 7] = hopLimit;
  src.copy(out, off + 8);
  dst.copy(out, off + 24);
}

/** Checksum of an upper-layer segment with the IPv4 or IPv6 pseudo-header. */
function upperChecksum(out: Buffer, ipOff: number, v6: boolean, proto: number, off: number, len: number): number {
  let acc = proto + len;
  if (v6) acc = sum16(out, ipOff + 8, 32, acc);
  else acc = sum16(out, ipOff + 12, 8, acc);
  return fold(sum16(out, off, len, acc));
}

function optionsLength(opt: number): number {
  switch (opt) {
    case OPT_SYN:
      return 20;
    case OPT_TS:
      return 12;
    case OPT_MSS:
      return 4;
    default:
      return 0;
  }
}

function timestamps(out: Buffer, p: number, f: TcpFields): void {
  out[p] = 8;
  out[p + 1] = 10;
  out.writeUInt32BE(f.tsval >>> 0, p + 2);
  out.writeUInt32BE(f.tsecr >>> 0, p + 6);
}

/** Ethernet + IP + TCP; returns the frame length. */
export function buildTcp(out: Buffer, f: TcpFields): number {
  const ipLen = f.v6 ? IP6 : IP4;
  const optLen = optionsLength(f.opt);
  const tcpLen = 20 + optLen + f.payloadLen;
  ethernet(out, f.dstMac, f.srcMac, f.v6 ? 0x86dd : 0x0800);
  if (f.v6) ip6Header(out, ETH, tcpLen, 6, f.ttl, f.flowLabel, f.src, f.dst);
  else ip4Header(out, ETH, IP4 + tcpLen, f.ipId, f.ttl, 6, f.src, f.dst);
  const t = ETH + ipLen;
  out.writeUInt16BE(f.sport, t);
  out.writeUInt16BE(f.dport, t + 2);
  out.writeUInt32BE(f.seq >>> 0, t + 4);
  out.writeUInt32BE(f.ack >>> 0, t + 8);
  out[t + 12] = ((20 + optLen) >> 2) << 4;
  out[t + 13] = f.flags;
  out.writeUInt16BE(f.window, t + 14);
  out[t + 16] = 0;
  out[t + 17] = 0;
  out[t + 18] = 0;
  out[t + 19] = 0;
  let p = t + 20;
  if (f.opt === OPT_SYN) {
    out[p] = 2;
    out[p + 1] = 4;
    out.writeUInt16BE(f.mss, p + 2);
    out[p + 4] = 4;
    out[p + 5] = 2;
    timestamps(out, p + 6, f);
    out[p + 16] = 1;
    out[p + 17] = 3;
    out[p + 18] = 3;
    out[p + 19] = f.wscale;
  } else if (f.opt === OPT_TS) {
    out[p] = 1;
    out[p + 1] = 1;
    timestamps(out, p + 2, f);
  } else if (f.opt === OPT_MSS) {
    out[p] = 2;
    out[p + 1] = 4;
    out.writeUInt16BE(f.mss, p + 2);
  }
  p += optLen;
  if (f.payloadLen > 0) {
    const from = f.payloadSeed % POOL_BYTES;
    POOL.copy(out, p, from, from + f.payloadLen);
  }
  out.writeUInt16BE(upperChecksum(out, ETH, f.v6, 6, t, tcpLen), t + 16);
  return t + tcpLen;
}

/** An ICMP(v6) error header at out[c] (checksum 0, unused word 0) followed by the quoted bytes. */
function icmpError(
  out: Buffer,
  c: number,
  type: number,
  code: number,
  quoted: Buffer,
  quoteOff: number,
  quoteLen: number,
): void {
  out[c] = type;
  out[c + 1] = code;
  out.writeUInt16BE(0, c + 2);
  out.writeUInt32BE(0, c + 4);
  quoted.copy(out, c + 8, quoteOff, quoteOff + quoteLen);
}

/**
 * An ICMPv4 error from `from` to `to` quoting `quoteLen` bytes of the IPv4 packet at
 * quoted[quoteOff...] (its header first), as it looked at the router: TTL `quotedTtl`, checksum redone.
 */
export function buildIcmp4(
  out: Buffer,
  srcMac: Buffer,
  dstMac: Buffer,
  from: Buffer,
  to: Buffer,
  ttl: number,
  ipId: number,
  type: number,
  code: number,
  quoted: Buffer,
  quoteOff: number,
  quoteLen: number,
  quotedTtl: number,
): number {
  const icmpLen = 8 + quoteLen;
  ethernet(out, dstMac, srcMac, 0x0800);
  ip4Header(out, ETH, IP4 + icmpLen, ipId, ttl, 1, from, to);
  const c = ETH + IP4;
  icmpError(out, c, type, code, quoted, quoteOff, quoteLen);
  const q = c + 8;
  out[q + 8] = quotedTtl;
  out[q + 10] = 0;
  out[q + 11] = 0;
  out.writeUInt16BE(fold(sum16(out, q, IP4, 0)), q + 10);
  out.writeUInt16BE(fold(sum16(out, c, icmpLen, 0)), c + 2);
  return c + icmpLen;
}

/** An ICMPv6 error quoting `quoteLen` bytes of the IPv6 packet at quoted[quoteOff...] (hop limit `quotedHop`). */
export function buildIcmp6(
  out: Buffer,
  srcMac: Buffer,
  dstMac: Buffer,
  from: Buffer,
  to: Buffer,
  hopLimit: number,
  flow: number,
  type: number,
  code: number,
  quoted: Buffer,
  quoteOff: number,
  quoteLen: number,
  quotedHop: number,
): number {
  const icmpLen = 8 + quoteLen;
  ethernet(out, dstMac, srcMac, 0x86dd);
  ip6Header(out, ETH, icmpLen, 58, hopLimit, flow, from, to);
  const c = ETH + IP6;
  icmpError(out, c, type, code, quoted, quoteOff, quoteLen);
  out[c + 8 + 7] = quotedHop;
  out.writeUInt16BE(upperChecksum(out, ETH, true, 58, c, icmpLen), c + 2);
  return c + icmpLen;
}

/** ICMPv4 echo request (type 8) or reply (0). */
export function buildPing4(
  out: Buffer,
  srcMac: Buffer,
  dstMac: Buffer,
  from: Buffer,
  to: Buffer,
  ttl: number,
  ipId: number,
  type: number,
  ident: number,
  seq: number,
): number {
  const icmpLen = 8 + 56;
  ethernet(out, dstMac, srcMac, 0x0800);
  ip4Header(out, ETH, IP4 + icmpLen, ipId, ttl, 1, from, to);
  const c = ETH + IP4;
  out[c] = type;
  out[c + 1] = 0;
  out.writeUInt16BE(0, c + 2);
  out.writeUInt16BE(ident & 0xffff, c + 4);
  out.writeUInt16BE(seq & 0xffff, c + 6);
  for (let i = 0; i < 56; i++) out[c + 8 + i] = 0x10 + i;
  out.writeUInt16BE(fold(sum16(out, c, icmpLen, 0)), c + 2);
  return c + icmpLen;
}

/** A DNS query (A record of `name`) or its answer (`answer` = the address) over IPv4 UDP. */
export function buildDns4(
  out: Buffer,
  srcMac: Buffer,
  dstMac: Buffer,
  from: Buffer,
  to: Buffer,
  ttl: number,
  ipId: number,
  sport: number,
  dport: number,
  id: number,
  name: string,
  answer: Buffer | null,
): number {
  const u = ETH + IP4;
  let p = u + 8;
  out.writeUInt16BE(id & 0xffff, p);
  out.writeUInt16BE(answer === null ? 0x0100 : 0x8180, p + 2);
  out.writeUInt16BE(1, p + 4);
  out.writeUInt16BE(answer === null ? 0 : 1, p + 6);
  out.writeUInt32BE(0, p + 8);
  p += 12;
  for (const label of name.split('.')) {
    out[p++] = label.length;
    p += out.write(label, p, 'latin1');
  }
  out[p++] = 0;
  out.writeUInt16BE(1, p); // A
  out.writeUInt16BE(1, p + 2); // IN
  p += 4;
  if (answer !== null) {
    out.writeUInt16BE(0xc00c, p);
    out.writeUInt16BE(1, p + 2);
    out.writeUInt16BE(1, p + 4);
    out.writeUInt32BE(60, p + 6);
    out.writeUInt16BE(4, p + 10);
    answer.copy(out, p + 12);
    p += 16;
  }
  const udpLen = p - u;
  ethernet(out, dstMac, srcMac, 0x0800);
  ip4Header(out, ETH, IP4 + udpLen, ipId, ttl, 17, from, to);
  out.writeUInt16BE(sport, u);
  out.writeUInt16BE(dport, u + 2);
  out.writeUInt16BE(udpLen, u + 4);
  out.writeUInt16BE(0, u + 6);
  out.writeUInt16BE(upperChecksum(out, ETH, false, 17, u, udpLen) || 0xffff, u + 6);
  return u + udpLen;
}

/** ARP who-has, broadcast (padded to Ethernet's 60-byte minimum). */
export function buildArpRequest(out: Buffer, srcMac: Buffer, senderIp: Buffer, targetIp: Buffer): number {
  ethernet(out, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), srcMac, 0x0806);
  out.writeUInt16BE(1, 14);
  out.writeUInt16BE(0x0800, 16);
  out[18] = 6;
  out[19] = 4;
  out.writeUInt16BE(1, 20);
  srcMac.copy(out, 22);
  senderIp.copy(out, 28);
  out.fill(0, 32, 38);
  targetIp.copy(out, 38);
  out.fill(0, 42, 60);
  return 60;
}

/** Where the IP header starts in frames these builders write. */
export const IP_OFFSET = ETH;
