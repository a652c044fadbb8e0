// Plain-language diagnosis and next step for one handshake, from what the wire proves: who
// answered, how, and when. The same text is the JSON `diagnosis` field and the ticket's.

import {
  ICMP_CAUSE_HOST,
  ICMP_CAUSE_LOOP,
  ICMP_CAUSE_NET,
  ICMP_CAUSE_PORT,
  ICMP_CAUSE_PROHIBITED,
  icmpMeaning,
} from '../decode/icmp-codes.js';
import type { ErrnoName } from '../track/attempt.js';
import type { HandshakeJson } from './record.js';
import { endpointText, millisText } from './text.js';

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

function ms(n: number): string {
  if (n >= 1000) return `${(n / 1000).toFixed(n >= 10000 ? 1 : 2)} s`;
  return `${millisText(n)} ms`;
}

function firewallRules(): string {
  return '`iptables -S`, `nft list ruleset`, `firewall-cmd --list-all`, cloud security groups';
}

/** What the capture leaves in doubt about a verdict, as sentences to append to its diagnosis ('' for none). */
export function doubtText(h: HandshakeJson): string {
  if (h.doubt === 'client-only') {
    let s = ' But the capture holds no packet from the server\'s side (so far), so it cannot tell a drop from an answer it did not record (a capture filtered on the client\'s address, asymmetric routing, a mirror port that sees one direction): the application may have seen ECONNREFUSED or an ICMP error\'s errno instead of ETIMEDOUT.';
    if (h.synCount === 1) {
      s += ' The client sent a single SYN and never retransmitted it, which a client whose SYN goes unanswered does within about a second: its connect() most likely ended on an answer (a reset or an ICMP error) that the capture does not hold.';
    }
    return `${s} Next: capture both directions (no host filter, or on the server as well).`;
  }
  if (h.doubt === 'capture-loss') {
    return h.outcome === 'timed-out'
      ? ' The capture misses packets (see the capture loss): a client ACK that the capture lost, not the network, would make an established connection look timed-out.'
      : ' The capture misses packets (see the capture loss): a reset or ICMP error that the capture lost, not the network, would make a refused or rejected attempt look dropped.';
  }
  return '';
}

/** The diagnosis for one handshake; `timeout` is the --timeout in force. */
export function diagnose(h: HandshakeJson, timeout: number): string {
  const server = endpointText(h.server.ip, h.server.port);
  const a = h.answer;
  const saw = h.errno === null ? '' : ` The application saw ${h.errno} ("${ERRNO_MESSAGES[h.errno]}").`;
  const syns = h.synCount === 1 ? 'the SYN' : `${h.synCount} SYNs (the client retransmitted)`;
  switch (h.outcome) {
    case 'established': {
      const after = a === null ? '' : ` in ${ms(a.afterMs)}`;
      const slow = h.synCount > 1 ? ` It was slow: the client had to send ${h.synCount} SYNs before an answer came, so some were lost on the way.` : '';
      if (h.resetBy === 'server') {
        return `The handshake with ${server} completed${after}; the server later reset the connection (RST).${slow} The client application saw ECONNRESET ("connection reset by peer") on its next read or write. Next: check the server application's logs around that time - a crash, a restart, or a close with SO_LINGER 0 - and whether something on the path (a firewall or load balancer dropping idle connections) resets in its name.`;
      }
      if (h.resetBy === 'client') {
        return `The handshake with ${server} completed${after}; the client later reset the connection (RST).${slow} The server application saw ECONNRESET ("connection reset by peer"). Next: check the client application - it aborted the connection (a timeout of its own, or a close with unread data).`;
      }
      return `The handshake with ${server} completed${after}.${slow}`;
    }
    case 'refused': {
      const from = a === null ? h.server.ip : a.from;
      return `${syns === 'the SYN' ? 'The SYN' : `After ${syns}, the SYN`} was answered by a TCP reset from ${from}${a === null ? '' : ` after ${ms(a.afterMs)}`}: nothing listens on ${server}, or a firewall or load balancer resets in its name (a REJECT --reject-with tcp-reset rule, a balancer with no healthy backend).${saw} Next: on ${h.server.ip}, \`ss -ltn 'sport = :${h.server.port}'\` - is the service running and bound to this address and port? If it is, look for a reset rule on the path (${firewallRules()}).`;
    }
    case 'rejected': {
      if (a === null) return `The SYN to ${server} was rejected.${saw}`;
      const v6 = h.server.ip.includes(':');
      const type = a.icmpType ?? -1;
      const code = a.icmpCode ?? -1;
      const what = icmpName(v6, type, code);
      const cause = icmpMeaning(v6 ? 6 : 4, type, code).cause;
      const byServer = a.from === h.server.ip;
      const who = byServer ? `the server ${a.from} itself` : `${a.from}, a router or firewall on the way (not the server)`;
      let why: string;
      let next: string;
      if (cause === ICMP_CAUSE_PROHIBITED) {
        why = 'a firewall REJECT rule blocks this connection';
        next = `Next: find the REJECT rule on ${a.from} (${firewallRules()}) and allow ${server} if this traffic is wanted.`;
      } else if (cause === ICMP_CAUSE_PORT) {
        why = byServer
          ? 'the server host refuses the port with ICMP instead of a reset - a firewall REJECT rule on the server (iptables default --reject-with icmp-port-unreachable)'
          : 'a firewall on the way rejects the port';
        next = `Next: check the firewall rules on ${a.from} (${firewallRules()}).`;
      } else if (cause === ICMP_CAUSE_HOST) {
        why = byServer ? 'the host says it cannot be reached' : `the router could not reach ${h.server.ip} (no ARP / neighbour answer: the host is down, or the address is wrong)`;
        next = `Next: is ${h.server.ip} up and on the right network? On the router, check \`ip neigh show ${h.server.ip}\`.`;
      } else if (cause === ICMP_CAUSE_NET) {
        why = `there is no route to ${h.server.ip}'s network there`;
        next = `Next: check the routing table on ${a.from} (\`ip route get ${h.server.ip}\`).`;
      } else if (cause === ICMP_CAUSE_LOOP) {
        why = 'the SYN looped or its TTL ran out on the way (a routing loop)';
        next = `Next: \`traceroute -T -p ${h.server.port} ${h.server.ip}\` to see where it loops.`;
      } else {
        why = 'the path rejected the SYN';
        next = `Next: check ${a.from}'s configuration.`;
      }
      return `The SYN to ${server} was answered by ${what} from ${who} after ${ms(a.afterMs)}: ${why}.${saw} ${next}`;
    }
    case 'dropped':
      return `No answer of any kind to ${syns} for ${server}: something dropped them silently - a firewall DROP rule, a security group, a dead host, or a missing return route.${saw} Next: capture on the server side - do the SYNs arrive? If they do, check its firewall and \`nstat -az TcpExtListenOverflows\` (a full listen queue drops SYNs); if not, check the path (${firewallRules()}).`;
    case 'timed-out':
      return `The server ${server} answered SYN/ACK${a === null ? '' : ` after ${ms(a.afterMs)}`}, but the client never acknowledged it: the reply is lost on its way back (asymmetric routing, rp_filter, a firewall or NAT on the return path).${saw} Next: capture on the client side - does the SYN/ACK arrive? Check the return route and \`sysctl net.ipv4.conf.all.rp_filter\`.`;
    case 'aborted':
      return `The server ${server} answered SYN/ACK${a === null ? '' : ` after ${ms(a.afterMs)}`}, but the client sent a reset (or FIN) instead of completing the handshake: a SYN scan, or a client whose own connect timeout ran out before the answer came. Next: if this is an application, compare its connect timeout with the SYN/ACK delay.`;
    case 'incomplete':
      return `The capture ends less than --timeout (${timeout} s) after this handshake began, before it finished: too early to tell. Next: capture for longer, or lower --timeout.`;
  }
}
