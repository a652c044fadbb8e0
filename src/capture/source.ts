// The seam between capture and decode: every reader (pcap, pcapng, live) delivers frames
// through one reused Frame record. Readers know nothing of protocols above the link layer.

/** LINKTYPE_* values from the tcpdump.org link-type registry that synscope decodes. */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;
/** PPP (RFC 1661), with or without RFC 1662's address and control bytes in front. */
export const LINKTYPE_PPP = 9;
/** PPP in HDLC-like framing (RFC 1662), or Cisco HDLC: the first byte tells. */
export const LINKTYPE_PPP_HDLC = 50;
/** PPPoE (RFC 2516): the packet starts with the PPPoE header. */
export const LINKTYPE_PPP_ETHER = 51;
/** Cisco HDLC: address, control, then an EtherType. */
export const LINKTYPE_C_HDLC = 104;
/** Linux netfilter NFLOG (`tcpdump -i nflog:N`): a header, then TLVs, the packet in NFULA_PAYLOAD. */
export const LINKTYPE_NFLOG = 239;
/** IP over InfiniBand (tcpdump's print-ipoib.c): two 20-byte addresses, then an EtherType and 2 reserved bytes. */
export const LINKTYPE_IPOIB = 242;

export type CaptureFormat = 'pcap' | 'pcapng' | 'live';

export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

/**
 * One captured packet. Readers own a single Frame and refill it for every packet: a consumer
 * that needs anything after its callback returns must copy it (the bytes of `data` are reused).
 */
export class Frame {
  /** 1-based number of this packet in its file, over every packet record (Wireshark's frame.number). */
  number = 0;
  /** Capture time: whole seconds since the Unix epoch. */
  tsSec = 0;
  /** Capture time: nanoseconds within the second (0..999999999). */
  tsNsec = 0;
  /** Decimal digits of sub-second precision the capture has: 6 for µs, 9 for ns (from the magic or if_tsresol). */
  tsDigits = 6;
  /** LINKTYPE_* of the interface the packet was captured on. */
  linkType = 0;
  /** pcapng interface id (0 for classic pcap and live). */
  interfaceId = 0;
  /** Bytes captured (present in `data` from `offset`). */
  caplen = 0;
  /** Length of the packet on the wire. */
  origLen = 0;
  /** Buffer holding the packet bytes at [offset, offset + caplen). Reused: copy what you keep. */
  data: Buffer = EMPTY_BUFFER;
  offset = 0;
  /** Absolute byte offset of this packet's record in the (decompressed) input, for messages. */
  fileOffset = 0;
  /** Index of the input the frame comes from, when several are read as one timeline (merge.ts); 0 otherwise. */
  fileIndex = 0;
}

/** Called for every frame; the Frame is reused for the next one as soon as this returns. */
export type FrameHandler = (frame: Frame) => void;

export interface FrameSource {
  /** The name shown to users: the path as given, or "-" for stdin. */
  readonly name: string;
  /** Container format, known once the magic bytes are read ('pcap' until then). */
  readonly format: CaptureFormat;
  /** True when the input was gzip-compressed. */
  readonly gzip: boolean;
  /** Every LINKTYPE_* value seen on the input's interfaces, in order of first appearance. */
  readonly linkTypes: readonly number[];
  /** Packets delivered so far. */
  readonly packets: number;
  /**
   * Reads to the end, calling `onFrame` for each frame in order with the same Frame object.
   * Resolves at a clean end of input. Rejects with CaptureFormatError (naming the file and the
   * byte offset) at the first damage, after every frame before the damage has been delivered.
   */
  run(onFrame: FrameHandler): Promise<void>;
  /**
   * Ends the input early (a signal): no frame is delivered after this returns. run() then settles once
   * the read in flight returns, which on a FIFO or stdin may be never: a caller that stops does not
   * wait for it.
   */
  stop(): void;
}

/**
 * A file reader that also hands out its frames one at a time, for a merge of several inputs
 * (merge.ts): pull() refills `frame` with the next frame when one is whole in memory, without
 * awaiting; when it cannot, more() reads on. A reader is either run() or pulled, not both.
 */
export interface PullSource extends FrameSource {
  /** The reused Frame that pull() fills. Its bytes stay valid until the next more(). */
  readonly frame: Frame;
  /** True when `frame` holds the next frame; false when more() must be awaited first. */
  pull(): boolean;
  /**
   * Brings the next record into memory: false at a clean end of input. Rejects with
   * CaptureFormatError (file and byte offset) at damage.
   */
  more(): Promise<boolean>;
  /** Releases the input; safe to call twice. */
  close(): Promise<void>;
}

/** The FrameHandler of pull(): the frame stays in the reader's Frame for the caller. */
export const ignoreFrame: FrameHandler = () => undefined;

/**
 * The LINKTYPE_* of a link type field read from a file. Some writers put the DLT_* value of their
 * platform there instead: DLT_RAW is 12 on most systems and 14 on OpenBSD, where LINKTYPE_RAW is 101
 * (libpcap reads 12 as RAW, Wireshark 12 and 14). Every other link type synscope decodes has the same
 * number in both registries.
 */
export function linkTypeOfDlt(linkType: number): number {
  return linkType === DLT_RAW_MOST || linkType === DLT_RAW_OPENBSD ? LINKTYPE_RAW : linkType;
}
const DLT_RAW_MOST = 12;
const DLT_RAW_OPENBSD = 14;

/** Names of link types as the JSON shows them (LINKTYPE_ without its prefix). */
const LINKTYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [LINKTYPE_NULL, 'NULL'],
  [LINKTYPE_ETHERNET, 'ETHERNET'],
  [LINKTYPE_RAW, 'RAW'],
  [LINKTYPE_LOOP, 'LOOP'],
  [LINKTYPE_LINUX_SLL, 'LINUX_SLL'],
  [LINKTYPE_IPV4, 'IPV4'],
  [LINKTYPE_IPV6, 'IPV6'],
  [LINKTYPE_LINUX_SLL2, 'LINUX_SLL2'],
  [LINKTYPE_PPP, 'PPP'],
  [LINKTYPE_PPP_HDLC, 'PPP_HDLC'],
  [LINKTYPE_PPP_ETHER, 'PPP_ETHER'],
  [LINKTYPE_C_HDLC, 'C_HDLC'],
  [LINKTYPE_IPOIB, 'IPOIB'],
  [LINKTYPE_NFLOG, 'NFLOG'],
]);

/** "ETHERNET", "LINUX_SLL2", or "LINKTYPE_<n>" for one synscope does not decode. */
export function linkTypeName(linkType: number): string {
  return LINKTYPE_NAMES.get(linkType) ?? `LINKTYPE_${linkType}`;
}
