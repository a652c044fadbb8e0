// Plain-language diagnosis and next step for one handshake, from what the wire proves: who
// answered, how, and when. The same text is the JSON `diagnosis` field and the ticket's. It is
// written, not built: fixed pieces encoded once (as they are, and escaped for JSON), and the
// attempt's own addresses and numbers between them, straight into the output's bytes.

import {
  ICMP_CAUSE_HOST,
  ICMP_CAUSE_LOOP,
  ICMP_CAUSE_NET,
  ICMP_CAUSE_PORT,
  ICMP_CAUSE_PROHIBITED,
  icmpMeaning,
} from '../decode/icmp-codes.js';
import {
  ANSWER_NONE,
  DOUBT_CAPTURE_LOSS,
  DOUBT_CLIENT_ONLY,
  RESET_BY_CLIENT,
  RESET_BY_SERVER,
  type ErrnoName,
} from '../track/attempt.js';
import { ByteOut, piece, type Piece } from './bytes.js';
import type { HandshakeFacts } from './facts.js';

/** What the application printed for each errno (glibc strerror, and Go's wording where it differs). */
export const ERRNO_MESSAGES: Readonly<Record<ErrnoName, string>> = {
  ECONNREFUSED: 'connect: connection refused',
  ETIMEDOUT: 'connect: connection timed out (Go: i/o timeout)',
  ENETUNREACH: 'connect: network is unreachable',
  EHOSTUNREACH: 'connect: no route to host',
  ENOPROTOOPT: 'connect: protocol not available',
  EOPNOTSUPP: 'connect: operation not supported',
  EHOSTDOWN: 'connect: host is down',
  ENONET: 'connect: machine is not on the network',
  EPROTO: 'connect: protocol error',
  EACCES: 'connect: permission denied',
};

/** "ICMP host unreachable (type 3 code 1)", "ICMPv6 administratively prohibited (type 1 code 1)". */
export function icmpName(ipv6: boolean, type: number, code: number): string {
  const what = icmpMeaning(ipv6 ? 6 : 4, type, code).name;
  return `${ipv6 ? 'ICMPv6' : 'ICMP'} ${what} (type ${type} code ${code})`;
}

/** Where a diagnosis goes: fixed pieces (escaped for JSON when `json`) and values that need no escaping. */
export class Prose {
  readonly o: ByteOut;
  json: boolean;
  constructor(o: ByteOut, json: boolean) {
    this.o = o;
    this.json = json;
  }

  k(p: Piece): void {
    this.o.bytes(this.json ? p.json : p.raw);
  }

  /** Printable ASCII with no quote or backslash: addresses, errno names, ICMP names, fixed decimals. */
  s(text: string): void {
    this.o.ascii(text);
  }

  n(x: number): void {
    this.o.number(x);
  }

  /** endpointText(ip, port): "10.0.0.9:8080", "[2001:db8::1]:443". */
  endpoint(f: HandshakeFacts): void {
    if (f.v6) this.o.ascii('[');
    this.o.ascii(f.serverIp);
    this.o.ascii(f.v6 ? ']:' : ':');
    this.o.number(f.serverPort);
  }

  /** A delay: "0.427 ms", "3.05 s", "12.3 s". */
  ms(n: number): void {
    if (n >= 1000) {
      this.o.ascii((n / 1000).toFixed(n >= 10000 ? 1 : 2));
      this.k(P.seconds);
    } else {
      this.o.number(n);
      this.k(P.millis);
    }
  }

  /** " The application saw ETIMEDOUT ("connect: connection timed out (Go: i/o timeout)")." or nothing. */
  saw(errno: ErrnoName | null): void {
    if (errno !== null) this.k(SAW[errno]);
  }

  /** "the SYN", "3 SYNs (the client retransmitted)". */
  syns(count: number): void {
    if (count === 1) {
      this.k(P.theSyn);
    } else {
      this.o.number(count);
      this.k(P.synsRetransmitted);
    }
  }
}

const FIREWALL_RULES = '`iptables -S`, `nft list ruleset`, `firewall-cmd --list-all`, cloud security groups';

/** " The application saw E ("message")." per errno. */
const SAW: Readonly<Record<ErrnoName, Piece>> = (() => {
  const t = {} as Record<ErrnoName, Piece>;
  for (const e of Object.keys(ERRNO_MESSAGES) as ErrnoName[])
    t[e] = piece(` The application saw ${e} ("${ERRNO_MESSAGES[e]}").`);
  return t;
})();

/** The fixed pieces, in the order the sentences use them. */
const P = {
  seconds: piece(' s'),
  millis: piece(' ms'),
  theSyn: piece('the SYN'),
  synsRetransmitted: piece(' SYNs (the client retransmitted)'),
  in: piece(' in '),
  after: piece(' after '),
  handshakeWith: piece('The handshake with '),
  completed: piece(' completed'),
  serverReset: piece('; the server later reset the connection (RST).'),
  serverResetNext: piece(
    ' The client application saw ECONNRESET ("connection reset by peer") on its next read or write. Next: check the' +
      " server application's logs around that time - a crash, a restart, or a close with SO_LINGER 0 - and whether" +
      ' something on the path (a firewall or load balancer dropping idle connections) resets in its name.',
  ),
  clientReset: piece('; the client later reset the connection (RST).'),
  clientResetNext: piece(
    ' The server application saw ECONNRESET ("connection reset by peer"). Next: check the client application - it' +
      ' aborted the connection (a timeout of its own, or a close with unread data).',
  ),
  dot: piece('.'),
  slow: piece(' It was slow: the client had to send '),
  slowEnd: piece(' SYNs before an answer came, so some were lost on the way.'),
  theSynCap: piece('The SYN'),
  afterCap: piece('After '),
  synsRetransmittedThe: piece(' SYNs (the client retransmitted), the SYN'),
  resetFrom: piece(' was answered by a TCP reset from '),
  sentAgain: piece(', and the client sent the same SYN '),
  moreTime: piece(' more time after the reset (a Windows client does, twice, before its connect() fails)'),
  moreTimes: piece(' more times after the reset (a Windows client does, twice, before its connect() fails)'),
  nothingListens: piece(': nothing listens on '),
  orResets: piece(
    ', or a firewall or load balancer resets in its name (a REJECT --reject-with tcp-reset rule, a balancer with no' +
      ' healthy backend).',
  ),
  nextOn: piece(' Next: on '),
  ssLtn: piece(", `ss -ltn 'sport = :"),
  ssLtnEnd: piece(
    `'\` - is the service running and bound to this address and port? If it is, look for a reset rule on the path` +
      ` (${FIREWALL_RULES}).`,
  ),
  synTo: piece('The SYN to '),
  wasRejected: piece(' was rejected.'),
  answeredBy: piece(' was answered by '),
  from: piece(' from '),
  theServer: piece('the server '),
  itself: piece(' itself'),
  router: piece(', a router or firewall on the way (not the server)'),
  colon: piece(': '),
  space: piece(' '),
  noAnswerTo: piece('No answer of any kind to '),
  for: piece(' for '),
  droppedNext: piece(
    `: something dropped them silently - a firewall DROP rule, a security group, a dead host, or a missing return` +
      ` route.`,
  ),
  droppedNext2: piece(
    ` Next: capture on the server side - do the SYNs arrive? If they do, check its firewall and \`nstat -az` +
      ` TcpExtListenOverflows\` (a full listen queue drops SYNs); if not, check the path (${FIREWALL_RULES}).`,
  ),
  theServerCap: piece('The server '),
  answeredSynAck: piece(' answered SYN/ACK'),
  neverAcked: piece(
    ', but the client never acknowledged it: the reply is lost on its way back (asymmetric routing, rp_filter, a' +
      ' firewall or NAT on the return path).',
  ),
  neverAckedNext: piece(
    ' Next: capture on the client side - does the SYN/ACK arrive? Check the return route and `sysctl' +
      ' net.ipv4.conf.all.rp_filter`.',
  ),
  aborted: piece(
    ', but the client sent a reset (or FIN) instead of completing the handshake: a SYN scan, or a client whose own' +
      ' connect timeout ran out before the answer came. Next: if this is an application, compare its connect' +
      ' timeout with the SYN/ACK delay.',
  ),
  clientGaveUp: piece('The client sent a reset (or FIN) for its connection to '),
  clientGaveUpEnd: piece(
    ', before any answer came: it gave up on its own (a connect timeout of its own, a cancelled connect) or it is a' +
      ' scanner. Next: if this is an application, compare its connect timeout with how long the server takes to' +
      ' answer.',
  ),
  incomplete: piece('The capture ends less than --timeout ('),
  incompleteEnd: piece(
    ' s) after this handshake began, before it finished: too early to tell. Next: capture for longer, or lower' +
      ' --timeout.',
  ),
  clientOnly: piece(
    " But the capture holds no packet from the server's side (so far), so it cannot tell a drop from an answer it" +
      " did not record (a capture filtered on the client's address, asymmetric routing, a mirror port that sees one" +
      " direction): the application may have seen ECONNREFUSED or an ICMP error's errno instead of ETIMEDOUT.",
  ),
  singleSyn: piece(
    ' The client sent a single SYN and never retransmitted it, which a client whose SYN goes unanswered does within' +
      ' about a second: its connect() most likely ended on an answer (a reset or an ICMP error) that the capture' +
      ' does not hold.',
  ),
  bothDirections: piece(' Next: capture both directions (no host filter, or on the server as well).'),
  lossTimedOut: piece(
    ' The capture misses packets (see the capture loss): a client ACK that the capture lost, not the network, would' +
      ' make an established connection look timed-out.',
  ),
  lossDropped: piece(
    ' The capture misses packets (see the capture loss): a reset or ICMP error that the capture lost, not the' +
      ' network, would make a refused or rejected attempt look dropped.',
  ),
};

/** What the capture leaves in doubt about a verdict, as sentences appended to its diagnosis (none for none). */
export function writeDoubt(f: HandshakeFacts, w: Prose): void {
  if (f.doubt === DOUBT_CLIENT_ONLY) {
    w.k(P.clientOnly);
    if (f.synCount === 1) w.k(P.singleSyn);
    w.k(P.bothDirections);
  } else if (f.doubt === DOUBT_CAPTURE_LOSS) {
    w.k(f.outcome === 'timed-out' ? P.lossTimedOut : P.lossDropped);
  }
}

/** " after 0.427 ms" when the attempt was answered (`word` is " in " or " after "). */
function answerDelay(f: HandshakeFacts, word: Piece, w: Prose): void {
  if (f.answerKind === ANSWER_NONE) return;
  w.k(word);
  w.ms(f.afterMs);
}

function writeEstablished(f: HandshakeFacts, w: Prose): void {
  w.k(P.handshakeWith);
  w.endpoint(f);
  w.k(P.completed);
  answerDelay(f, P.in, w);
  w.k(f.resetBy === RESET_BY_SERVER ? P.serverReset : f.resetBy === RESET_BY_CLIENT ? P.clientReset : P.dot);
  if (f.synCount > 1) {
    w.k(P.slow);
    w.n(f.synCount);
    w.k(P.slowEnd);
  }
  if (f.resetBy === RESET_BY_SERVER) w.k(P.serverResetNext);
  else if (f.resetBy === RESET_BY_CLIENT) w.k(P.clientResetNext);
}

function writeRefused(f: HandshakeFacts, w: Prose): void {
  // The SYNs sent before the reset came, and those the client sent again after it.
  const before = f.synsAtAnswer;
  if (before <= 1) {
    w.k(P.theSynCap);
  } else {
    w.k(P.afterCap);
    w.n(before);
    w.k(P.synsRetransmittedThe);
  }
  w.k(P.resetFrom);
  w.s(f.answerKind === ANSWER_NONE ? f.serverIp : f.answerFrom);
  answerDelay(f, P.after, w);
  const again = f.synCount - before;
  if (again > 0) {
    w.k(P.sentAgain);
    w.n(again);
    w.k(again === 1 ? P.moreTime : P.moreTimes);
  }
  w.k(P.nothingListens);
  w.endpoint(f);
  w.k(P.orResets);
  w.saw(f.errno);
  w.k(P.nextOn);
  w.s(f.serverIp);
  w.k(P.ssLtn);
  w.n(f.serverPort);
  w.k(P.ssLtnEnd);
}

function writeDropped(f: HandshakeFacts, w: Prose): void {
  w.k(P.noAnswerTo);
  w.syns(f.synCount);
  w.k(P.for);
  w.endpoint(f);
  w.k(P.droppedNext);
  w.saw(f.errno);
  w.k(P.droppedNext2);
}

/** "The server S answered SYN/ACK[ after T]" */
function serverAnswered(f: HandshakeFacts, w: Prose): void {
  w.k(P.theServerCap);
  w.endpoint(f);
  w.k(P.answeredSynAck);
  answerDelay(f, P.after, w);
}

function writeRejected(f: HandshakeFacts, w: Prose): void {
  w.k(P.synTo);
  w.endpoint(f);
  if (f.answerKind === ANSWER_NONE) {
    w.k(P.wasRejected);
    w.saw(f.errno);
    return;
  }
  w.k(P.answeredBy);
  w.s(icmpName(f.v6, f.icmpType, f.icmpCode));
  w.k(P.from);
  const byServer = f.answerFrom === f.serverIp;
  if (byServer) w.k(P.theServer);
  w.s(f.answerFrom);
  w.k(byServer ? P.itself : P.router);
  w.k(P.after);
  w.ms(f.afterMs);
  w.k(P.colon);
  const r = rejection(f, byServer);
  w.s(r.why);
  w.k(P.dot);
  w.saw(f.errno);
  w.k(P.space);
  w.s(r.next);
}

/** Why an ICMP error rejected the SYN, and what to check next (a few per attempt, rejected ones only). */
function rejection(f: HandshakeFacts, byServer: boolean): { why: string; next: string } {
  const v6 = f.v6;
  const type = f.icmpType;
  const code = f.icmpCode;
  const from = f.answerFrom;
  const ip = f.serverIp;
  const cause = icmpMeaning(v6 ? 6 : 4, type, code).cause;
  if (cause === ICMP_CAUSE_PROHIBITED) {
    const server = v6 ? `[${ip}]:${f.serverPort}` : `${ip}:${f.serverPort}`;
    return {
      why: 'a firewall REJECT rule blocks this connection',
      next: `Next: find the REJECT rule on ${from} (${FIREWALL_RULES}) and allow ${server} if this traffic is wanted.`,
    };
  }
  if (cause === ICMP_CAUSE_PORT) {
    return {
      why: byServer
        ? 'the server host refuses the port with ICMP instead of a reset - a firewall REJECT rule on the server' +
          ' (iptables default --reject-with icmp-port-unreachable)'
        : 'a firewall on the way rejects the port',
      next: `Next: check the firewall rules on ${from} (${FIREWALL_RULES}).`,
    };
  }
  if (cause === ICMP_CAUSE_HOST) {
    return {
      why: byServer
        ? 'the host says it cannot be reached'
        : `the router could not reach ${ip} (no ARP / neighbour answer: the host is down, or the address is wrong)`,
      next: `Next: is ${ip} up and on the right network? On the router, check \`ip neigh show ${ip}\`.`,
    };
  }
  if (cause === ICMP_CAUSE_NET) {
    return {
      why: `there is no route to ${ip}'s network there`,
      next: `Next: check the routing table on ${from} (\`ip route get ${ip}\`).`,
    };
  }
  if (cause === ICMP_CAUSE_LOOP) {
    return {
      why: 'the SYN looped or its TTL ran out on the way (a routing loop)',
      next: `Next: \`traceroute -T -p ${f.serverPort} ${ip}\` to see where it loops.`,
    };
  }
  return { why: 'the path rejected the SYN', next: `Next: check ${from}'s configuration.` };
}

/** The diagnosis for one handshake; `timeout` is the --timeout in force. */
export function writeDiagnosis(f: HandshakeFacts, timeout: number, w: Prose): void {
  switch (f.outcome) {
    case 'established':
      writeEstablished(f, w);
      return;
    case 'refused':
      writeRefused(f, w);
      return;
    case 'rejected':
      writeRejected(f, w);
      return;
    case 'dropped':
      writeDropped(f, w);
      return;
    case 'timed-out':
      serverAnswered(f, w);
      w.k(P.neverAcked);
      w.saw(f.errno);
      w.k(P.neverAckedNext);
      return;
    case 'aborted':
      if (f.answerKind === ANSWER_NONE) {
        w.k(P.clientGaveUp);
        w.endpoint(f);
        w.k(P.after);
        w.syns(f.synCount);
        w.k(P.clientGaveUpEnd);
        return;
      }
      serverAnswered(f, w);
      w.k(P.aborted);
      return;
    case 'incomplete':
      w.k(P.incomplete);
      w.s(String(timeout));
      w.k(P.incompleteEnd);
  }
}
