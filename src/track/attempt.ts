// One handshake attempt (a SYN and its retransmissions) and the numeric states the tracker
// moves it through. Addresses are copied once, when the attempt is created; nothing here is text.

import type { FragmentPart } from '../decode/reassembly.js';
import type { Verdict } from './outcome.js';

export {
  TUNNEL_ERSPAN, TUNNEL_GENEVE, TUNNEL_GRE, TUNNEL_IPIP, TUNNEL_MPLS, TUNNEL_NONE, TUNNEL_PPPOE, TUNNEL_VXLAN,
} from '../decode/view.js';

/** The outcomes of the contract, spelled as in the JSON. */
export type Outcome = 'established' | 'refused' | 'rejected' | 'dropped' | 'timed-out' | 'aborted' | 'incomplete';

export const OUTCOMES: readonly Outcome[] = [
  'established', 'refused', 'rejected', 'dropped', 'timed-out', 'aborted', 'incomplete',
];

/**
 * What --only and --fail-on name: an outcome, or `reset`, an established connection that either
 * side later reset (the application's "connection reset by peer"); it stays `established`.
 */
export type Listed = Outcome | 'reset';

/** Errno names a client application can see for a failed connect(). */
export type ErrnoName =
  | 'ECONNREFUSED' | 'ETIMEDOUT' | 'ENETUNREACH' | 'EHOSTUNREACH' | 'ENOPROTOOPT' | 'EOPNOTSUPP'
  | 'EHOSTDOWN' | 'ENONET' | 'EPROTO' | 'EACCES';

// --- tracker states (Zeek's EndpointState, for the handshake as a whole) ---
/** SYN seen (perhaps retransmitted), nothing answered yet. */
export const ST_SYN_SENT = 1;
/** The server answered SYN/ACK; the client's ACK has not been seen. */
export const ST_SYNACK_SEEN = 2;
/** The client acknowledged the SYN/ACK: the handshake completed, the connection is open. */
export const ST_ESTABLISHED = 3;
/** Decided and closed for good: refused, rejected, aborted, or an established connection that ended. */
export const ST_DONE = 4;

// --- what answered the SYN ---
export const ANSWER_NONE = 0;
export const ANSWER_SYNACK = 1;
export const ANSWER_RST = 2;
export const ANSWER_ICMP = 3;

// --- how a decided attempt ended (set with ST_DONE) ---
export const END_NONE = 0;
/** An RST answered the SYN. */
export const END_REFUSED = 1;
/** An ICMP error quoting the SYN answered it. */
export const END_REJECTED = 2;
/** The client sent RST or FIN after the SYN/ACK instead of its ACK. */
export const END_ABORTED = 3;
/** The handshake completed (later closed, reset, idle, or still open at the end). */
export const END_ESTABLISHED = 4;

export const RESET_NONE = 0;
export const RESET_BY_CLIENT = 1;
export const RESET_BY_SERVER = 2;

// --- what the capture leaves in doubt about a verdict (set with it; report/diagnosis.ts words it) ---
export const DOUBT_NONE = 0;
/** An unanswered SYN while the capture had shown no packet at all going from a server to a client. */
export const DOUBT_CLIENT_ONLY = 1;
/** A dropped or timed-out verdict while the capture had shown packets missing from it (capture loss). */
export const DOUBT_CAPTURE_LOSS = 2;
/**
 * SYNs that are the client's own word that nothing ended its connect(): Linux fails connect() on the
 * first RST+ACK in SYN-SENT (tcp_rcv_synsent_state_process → tcp_reset), and takes an ICMP error as
 * soft only while connect() holds the socket (tcp_v4_err / tcp_v6_err: sk_err_soft when
 * sock_owned_by_user), so the error answering the retransmission ends it: a second SYN may still follow
 * an answer the capture lacks, a third does not. With this many SYNs an unanswered attempt is not in doubt.
 */
export const SYNS_WITHOUT_DOUBT = 3;

/** Frame numbers (and kept packets) an attempt holds at most: packets past them are left out of `frames`. */
export const MAX_FRAMES = 64;

/** How a tunnelled attempt's SYN was carried: made the first time an Attempt object is tunnelled, reused with it. */
export class Carrier {
  /** TUNNEL_* of the innermost tunnel (decode/view.ts). */
  kind = 0;
  /** Its VNI, GRE key, ERSPAN or PPPoE session, or MPLS label; -1 when it has none. */
  id = -1;
  /** The outer source and destination (outerLen bytes each, at 0 and 16); 0 for MPLS / PPPoE over Ethernet. */
  outerLen = 0;
  readonly outer = Buffer.alloc(32);
}

/**
 * A packet kept for --evidence: its own copy of the bytes and the record fields (the shape decode's
 * reassembly keeps of each fragment, so a reassembled packet's fragments are kept as they are).
 */
export type KeptPacket = FragmentPart;

/** The name list of a single input until the tracker gives its own. */
const NO_FILES: readonly string[] = [];

export class Attempt {
  /** The file (as named by the user) of the attempt's first SYN, and its index among the inputs. */
  file = '';
  fileIndex = 0;
  /** Every input's name, by index (shared by all attempts: no copy). */
  files: readonly string[] = NO_FILES;
  /** Client address bytes then server address bytes (addrLen each). */
  addr: Buffer;
  addrLen = 0;
  /**
   * IPv4: the client's and the server's address as 32-bit integers (the same bytes as addr), so
   * lookups compare numbers on the object instead of reading its Buffer. 0 for IPv6.
   */
  client4 = 0;
  server4 = 0;
  clientPort = 0;
  serverPort = 0;
  /** The client's initial sequence number: the SYN's sequence number. */
  isn = 0;
  /** 4-tuple hash, symmetric in direction, mixed with tunnelKey (see table.ts). */
  hash = 0;

  /**
   * The tunnel key (decode/view.ts), part of the attempt's identity: equal 4-tuples in different VNIs / GRE
   * keys are different attempts. 0 for bare traffic; every tunnel's key is not 0.
   */
  tunnelKey = 0;
  /** How the SYN was carried, when tunnelKey is not 0 (two fields per attempt, not five: bare traffic pays little). */
  carrier: Carrier | null = null;

  /** First SYN's capture time, exactly: seconds, nanoseconds, and the digits of precision the capture has. */
  startSec = 0;
  startNsec = 0;
  startDigits = 6;
  /** Frame number of the first SYN (listing order tie-break). */
  firstFrame = 0;
  /** Capture clock (seconds, float) of the first SYN, the latest SYN and the latest packet of the attempt. */
  firstSynTime = 0;
  lastSynTime = 0;
  lastActivity = 0;

  /** ST_* state. */
  state = ST_SYN_SENT;
  /** END_* once state is ST_DONE, or END_ESTABLISHED while established. */
  end = END_NONE;
  /** Payload bytes the SYN carried (TCP Fast Open): the SYN/ACK may acknowledge them too. */
  synLen = 0;
  /** SYNs seen: the first plus its retransmissions (copies of one packet seen twice, as with -i any, count once). */
  synCount = 1;

  /** ANSWER_* of the first packet that answered the SYN. */
  answerKind = ANSWER_NONE;
  /** Who sent the ICMP error (a router, a firewall, the server): addrLen bytes; null for no answer or a SYN/ACK or RST, which come from the server's address. */
  answerFrom: Buffer | null = null;
  answerSec = 0;
  answerNsec = 0;
  /** Capture clock of the answer (float seconds). */
  answerTime = 0;
  icmpType = -1;
  icmpCode = -1;
  /** IP version of the ICMP answer (4 or 6); 0 when not ICMP. */
  icmpVersion = 0;
  /** TTL / hop limit of the answer, and of the server's SYN/ACK if any, for diagnoses. */
  answerTtl = -1;
  /** The server's initial sequence number, from its SYN/ACK. */
  serverIsn = 0;
  /** Capture clock of the first SYN/ACK, for the timed-out rule. */
  synAckTime = 0;
  /** Capture clock of the client's ACK that completed the handshake (-Infinity before), to know its copies. */
  ackTime = Number.NEGATIVE_INFINITY;
  /** Seconds from the latest SYN before the first SYN/ACK to that SYN/ACK; -1 without one. */
  synAckDelay = -1;
  /** Seconds from the first SYN to the ACK that completed the handshake; -1 when it did not complete. */
  connectDelay = -1;

  resetBy = RESET_NONE;
  /** Packets captured from the server's side of the attempt (its SYN/ACK, RST, data, ACKs, FIN). */
  serverPackets = 0;
  /**
   * Client ACKs that acknowledge server packets the capture does not hold (a SYN/ACK or data never
   * captured): proof that the server answered, whatever the capture shows of it.
   */
  unseenAcks = 0;
  /** Sequence space each side has been seen to use: the end of its latest captured segment. */
  clientNext = 0;
  serverNext = 0;
  /** DOUBT_* of the verdict. */
  doubt = DOUBT_NONE;
  /** FINs seen from each side after establishment. */
  clientFin = false;
  serverFin = false;
  /** Capture clock when the attempt reached ST_DONE. */
  doneTime = 0;

  /** 1-based frame numbers of every packet of the attempt, in capture order. */
  frames: number[];
  /**
   * How many of `frames` are this attempt's: the array is kept (never truncated) when the object is
   * reused, so a reused attempt allocates no new backing store for its first few frames.
   */
  frameCount = 1;
  /** Only once `spans`: the input of each of `frames` (reused with the object, like `frames`). */
  frameFiles: number[] = [];
  /** True once a frame comes from another input than the first SYN's: the frames span files. */
  spans = false;
  /** Copies of those packets, only when evidence is being collected; null otherwise. */
  packets: KeptPacket[] | null = null;

  // --- intrusive links owned by table.ts (hash bucket chain, timer list) ---
  bucketNext: Attempt | null = null;
  listPrev: Attempt | null = null;
  listNext: Attempt | null = null;
  /** Which timer list the attempt is on (expiry.ts LIST_*), 0 for none. */
  list = 0;
  /** Open handshakes: capture clock at which silence settles the attempt, and its place in the heap. */
  deadline = 0;
  heapIndex = -1;
  /** Seconds between the attempt's last two packets of activity (the client's or server's backoff). */
  lastGap = 0;
  /** The outcome, set once when the attempt is settled; null while it is still open. */
  verdict: Verdict | null = null;
  /** Set when the attempt is settled and may be handed to the reporter in listing order. */
  ready = false;
  /** Set when a new ISN on its 4-tuple replaced it in the table: it only waits for its verdict. */
  superseded = false;

  /** Set by the tracker: the attempt is in its table (a bucket chain) / has been handed to the reporter. */
  inTable = false;
  emitted = false;

  /** The attempt's frame numbers, as a new array. */
  frameList(): number[] {
    return this.frames.slice(0, this.frameCount);
  }

  constructor(
    files: readonly string[], fileIndex: number, addr: Buffer, addrLen: number, clientPort: number, serverPort: number, isn: number, hash: number,
    startSec: number, startNsec: number, startDigits: number, frame: number, time: number,
  ) {
    this.addr = addr;
    this.frames = [frame];
    this.init(files, fileIndex, addrLen, clientPort, serverPort, isn, hash, startSec, startNsec, startDigits, frame, time);
  }

  /**
   * Sets every field for a new attempt: the constructor's job, and again when the tracker reuses a
   * settled attempt's object (its addr Buffer, 32 bytes, and frames array are kept).
   */
  init(
    files: readonly string[], fileIndex: number, addrLen: number, clientPort: number, serverPort: number, isn: number, hash: number,
    startSec: number, startNsec: number, startDigits: number, frame: number, time: number,
  ): void {
    this.files = files;
    this.fileIndex = fileIndex;
    this.file = files[fileIndex] ?? '';
    this.addrLen = addrLen;
    this.clientPort = clientPort;
    this.serverPort = serverPort;
    this.isn = isn;
    this.hash = hash;
    this.tunnelKey = 0;
    this.startSec = startSec;
    this.startNsec = startNsec;
    this.startDigits = startDigits;
    this.firstFrame = frame;
    this.firstSynTime = time;
    this.lastSynTime = time;
    this.lastActivity = time;
    this.frames[0] = frame;
    this.frameCount = 1;
    this.spans = false;
    this.state = ST_SYN_SENT;
    this.end = END_NONE;
    this.synLen = 0;
    this.synCount = 1;
    this.answerKind = ANSWER_NONE;
    this.answerFrom = null;
    this.answerSec = 0;
    this.answerNsec = 0;
    this.answerTime = 0;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.icmpVersion = 0;
    this.answerTtl = -1;
    this.serverIsn = 0;
    this.synAckTime = 0;
    this.ackTime = Number.NEGATIVE_INFINITY;
    this.synAckDelay = -1;
    this.connectDelay = -1;
    this.resetBy = RESET_NONE;
    this.serverPackets = 0;
    this.unseenAcks = 0;
    this.clientNext = (isn + 1) >>> 0;
    this.serverNext = 0;
    this.doubt = DOUBT_NONE;
    this.clientFin = false;
    this.serverFin = false;
    this.doneTime = 0;
    this.packets = null;
    this.bucketNext = null;
    this.listPrev = null;
    this.listNext = null;
    this.list = 0;
    this.deadline = 0;
    this.heapIndex = -1;
    this.lastGap = 0;
    this.verdict = null;
    this.ready = false;
    this.superseded = false;
    this.inTable = false;
    this.emitted = false;
  }
}
