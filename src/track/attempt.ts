// One handshake attempt (a SYN and its retransmissions) and the numeric states the tracker
// moves it through. Addresses are copied once, when the attempt is created; nothing here is text.

import type { FragmentPart } from '../decode/reassembly.js';
import type { Verdict } from './outcome.js';

export {
  TUNNEL_ERSPAN,
  TUNNEL_GENEVE,
  TUNNEL_GRE,
  TUNNEL_IPIP,
  TUNNEL_MPLS,
  TUNNEL_NONE,
  TUNNEL_PPPOE,
  TUNNEL_VXLAN,
} from '../decode/view.js';

/** The outcomes of the contract, spelled as in the JSON. */
export type Outcome = 'established' | 'refused' | 'rejected' | 'dropped' | 'timed-out' | 'aborted' | 'incomplete';

export const OUTCOMES: readonly Outcome[] = [
  'established',
  'refused',
  'rejected',
  'dropped',
  'timed-out',
  'aborted',
  'incomplete',
];

/**
 * What --only and --fail-on name: an outcome, or `reset`, an established connection that either
 * side later reset (the application's "connection reset by peer"); it stays `established`.
 */
export type Listed = Outcome | 'reset';

/** Errno names a client application can see for a failed connect(). */
export type ErrnoName =
  | 'ECONNREFUSED'
  | 'ETIMEDOUT'
  | 'ENETUNREACH'
  | 'EHOSTUNREACH'
  | 'ENOPROTOOPT'
  | 'EOPNOTSUPP'
  | 'EHOSTDOWN'
  | 'ENONET'
  | 'EPROTO'
  | 'EACCES';

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
/** What a SettledAttempt holds before it is first filled. */
const NO_VERDICT: Verdict = { outcome: 'incomplete', errno: null };

/**
 * A settled attempt as the reporters read it: one object, refilled by the tracker for every attempt it
 * hands over. Read it during the call only; keep nothing.
 * The tracker's own state lives in typed arrays (store.ts): none of it is visible here.
 */
export class SettledAttempt {
  /** The file (as named by the user) of the attempt's first SYN, and its index among the inputs. */
  file = '';
  fileIndex = 0;
  /** Every input's name, by index (shared: no copy). */
  files: readonly string[] = NO_FILES;
  /** Client address bytes then server address bytes (addrLen each). */
  readonly addr = Buffer.alloc(32);
  addrLen = 4;
  /** IPv4: the client's and the server's address as 32-bit integers (the same bytes as addr); 0 for IPv6. */
  client4 = 0;
  server4 = 0;
  clientPort = 0;
  serverPort = 0;
  /** The tunnel key (decode/view.ts), 0 for bare traffic; `carrier` says how the SYN was carried when it is not. */
  tunnelKey = 0;
  carrier: Carrier | null = null;
  /** First SYN's capture time, exactly: seconds, nanoseconds, and the digits of precision the capture has. */
  startSec = 0;
  startNsec = 0;
  startDigits = 6;
  /** Frame number of the first SYN. */
  firstFrame = 0;
  /** SYNs seen: the first plus its retransmissions. */
  synCount = 1;
  /**
   * SYNs sent when the answer came (0 without one). Fewer than synCount when the client sent the SYN
   * again after its answer: Windows answers a reset that way, twice, before connect() fails.
   */
  synsAtAnswer = 0;
  /** ANSWER_* of the packet that answered the SYN, when, from whom (ICMP only; null: the server) and its TTL. */
  answerKind = ANSWER_NONE;
  answerFrom: Buffer | null = null;
  answerSec = 0;
  answerNsec = 0;
  answerTtl = -1;
  icmpType = -1;
  icmpCode = -1;
  /** IP version of the ICMP answer (4 or 6); 0 when not ICMP. */
  icmpVersion = 0;
  /** Seconds from the latest SYN before the first SYN/ACK to that SYN/ACK; -1 without one. */
  synAckDelay = -1;
  /** Seconds from the first SYN to the ACK that completed the handshake; -1 when it did not complete. */
  connectDelay = -1;
  resetBy = RESET_NONE;
  /** Packets captured from the server's side, and client ACKs of server packets the capture does not hold. */
  serverPackets = 0;
  unseenAcks = 0;
  /** DOUBT_* of the verdict. */
  doubt = DOUBT_NONE;
  /** The outcome and errno. */
  verdict: Verdict = NO_VERDICT;
  /** 1-based frame numbers of the attempt's packets, in capture order: the first frameCount of `frames`. */
  readonly frames: number[] = [];
  frameCount = 0;
  /** Only when `spans`: the input of each frame. */
  readonly frameFiles: number[] = [];
  spans = false;
  /** Copies of the attempt's packets, only when evidence is being collected; null otherwise. */
  packets: KeptPacket[] | null = null;

  /** The attempt's frame numbers, as a new array. */
  frameList(): number[] {
    return this.frames.slice(0, this.frameCount);
  }
}
