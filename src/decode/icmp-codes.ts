// What each ICMP (RFC 792) and ICMPv6 (RFC 4443) error type and code means to a SYN: its name, the errno
// Linux hands a connect() in SYN-SENT (fatal or not), and the cause a diagnosis names. One table:
// icmp.ts decodes the messages, track/outcome.ts reads the errno, report/diagnosis.ts the name and cause.

import {
  ICMP6_DEST_UNREACHABLE,
  ICMP6_PARAMETER_PROBLEM,
  ICMP6_TIME_EXCEEDED,
  ICMP_DEST_UNREACHABLE,
  ICMP_PARAMETER_PROBLEM,
  ICMP_TIME_EXCEEDED,
} from './icmp.js';

/** The errnos an ICMP error can end a connect() with. */
export type IcmpErrno =
  | 'ENETUNREACH'
  | 'EHOSTUNREACH'
  | 'ENOPROTOOPT'
  | 'ECONNREFUSED'
  | 'EOPNOTSUPP'
  | 'EHOSTDOWN'
  | 'ENONET'
  | 'EPROTO'
  | 'EACCES';

// --- causes: which story a diagnosis tells about the error ---
/** Nothing more specific than its name: the path rejected the SYN. */
export const ICMP_CAUSE_OTHER = 0;
/** A firewall's REJECT rule: administratively prohibited, or IPv6's policy and reject-route codes. */
export const ICMP_CAUSE_PROHIBITED = 1;
/** Port unreachable: the host, or a firewall, refuses the port (iptables REJECT's default answer). */
export const ICMP_CAUSE_PORT = 2;
/** The host cannot be reached (a router got no ARP / neighbour answer, or does not know the host). */
export const ICMP_CAUSE_HOST = 3;
/** No route to the destination's network. */
export const ICMP_CAUSE_NET = 4;
/** Time exceeded: the SYN looped or its TTL / hop limit ran out on the way. */
export const ICMP_CAUSE_LOOP = 5;

/** One row of the table: what an ICMP error type and code means. */
export interface IcmpMeaning {
  /** Its name in a diagnosis: 'host unreachable', 'time exceeded'. */
  readonly name: string;
  /** The errno of a connect() in SYN-SENT, or null when the error is not fatal (Linux does not abort the connect()). */
  readonly errno: IcmpErrno | null;
  /** One of the ICMP_CAUSE_* constants. */
  readonly cause: number;
}

function row(name: string, errno: IcmpErrno | null, cause: number): IcmpMeaning {
  return { name, errno, cause };
}

/**
 * ICMPv4 destination unreachable, by code. The errno is Linux's icmp_err_convert[] (net/ipv4/icmp.c);
 * tcp_v4_err() makes every one of them fatal in SYN-SENT. Code 4 (fragmentation needed) only lowers
 * the path MTU and is never a rejection: null. Codes past 15 are ignored (tcp_v4_err: code > NR_ICMP_UNREACH).
 */
const V4_UNREACH: readonly IcmpMeaning[] = [
  row('net unreachable', 'ENETUNREACH', ICMP_CAUSE_NET), // 0
  row('host unreachable', 'EHOSTUNREACH', ICMP_CAUSE_HOST), // 1
  row('protocol unreachable', 'ENOPROTOOPT', ICMP_CAUSE_OTHER), // 2
  row('port unreachable', 'ECONNREFUSED', ICMP_CAUSE_PORT), // 3
  row('fragmentation needed', null, ICMP_CAUSE_OTHER), // 4: PMTU only
  row('source route failed', 'EOPNOTSUPP', ICMP_CAUSE_OTHER), // 5
  row('network unknown', 'ENETUNREACH', ICMP_CAUSE_NET), // 6 destination network unknown
  row('host unknown', 'EHOSTDOWN', ICMP_CAUSE_HOST), // 7 destination host unknown
  row('source host isolated', 'ENONET', ICMP_CAUSE_OTHER), // 8
  row('network administratively prohibited', 'ENETUNREACH', ICMP_CAUSE_PROHIBITED), // 9
  row('host administratively prohibited', 'EHOSTUNREACH', ICMP_CAUSE_PROHIBITED), // 10
  row('network unreachable for TOS', 'ENETUNREACH', ICMP_CAUSE_OTHER), // 11
  row('host unreachable for TOS', 'EHOSTUNREACH', ICMP_CAUSE_OTHER), // 12
  row('communication administratively prohibited', 'EHOSTUNREACH', ICMP_CAUSE_PROHIBITED), // 13
  row('host precedence violation', 'EHOSTUNREACH', ICMP_CAUSE_OTHER), // 14
  row('precedence cutoff', 'EHOSTUNREACH', ICMP_CAUSE_OTHER), // 15 precedence cutoff in effect
];
const V4_UNREACH_UNKNOWN = row('destination unreachable', null, ICMP_CAUSE_OTHER);
/** tcp_v4_err(): time exceeded → EHOSTUNREACH, parameter problem → EPROTO, whatever the code. */
const V4_TIME_EXCEEDED = row('time exceeded', 'EHOSTUNREACH', ICMP_CAUSE_LOOP);
const V4_PARAMETER_PROBLEM = row('parameter problem', 'EPROTO', ICMP_CAUSE_OTHER);

/**
 * ICMPv6 destination unreachable, by code. The errno is Linux's icmpv6_err_convert() tab_unreach[];
 * every code is fatal, and a code past the table is EPROTO.
 */
const V6_UNREACH: readonly IcmpMeaning[] = [
  row('no route to destination', 'ENETUNREACH', ICMP_CAUSE_NET), // 0
  row('communication administratively prohibited', 'EACCES', ICMP_CAUSE_PROHIBITED), // 1
  row('beyond scope of source address', 'EHOSTUNREACH', ICMP_CAUSE_OTHER), // 2
  row('address unreachable', 'EHOSTUNREACH', ICMP_CAUSE_HOST), // 3
  row('port unreachable', 'ECONNREFUSED', ICMP_CAUSE_PORT), // 4
  row('source address failed ingress/egress policy', 'EACCES', ICMP_CAUSE_PROHIBITED), // 5
  row('reject route to destination', 'EACCES', ICMP_CAUSE_PROHIBITED), // 6
];
const V6_UNREACH_UNKNOWN = row('destination unreachable', 'EPROTO', ICMP_CAUSE_OTHER);
/** icmpv6_err_convert(): time exceeded → EHOSTUNREACH, parameter problem → EPROTO. */
const V6_TIME_EXCEEDED = row('time exceeded', 'EHOSTUNREACH', ICMP_CAUSE_LOOP);
const V6_PARAMETER_PROBLEM = row('parameter problem', 'EPROTO', ICMP_CAUSE_OTHER);

/** Any other type (source quench, redirect, IPv6 packet too big, ...): not fatal. */
const OTHER_TYPE = row('error', null, ICMP_CAUSE_OTHER);

/** What ICMP error `type`/`code` of IP `version` (4 or 6) means; a shared row, nothing allocated. */
export function icmpMeaning(version: number, type: number, code: number): IcmpMeaning {
  if (version === 4) {
    if (type === ICMP_DEST_UNREACHABLE) {
      return code >= 0 && code < V4_UNREACH.length ? V4_UNREACH[code] : V4_UNREACH_UNKNOWN;
    }
    if (type === ICMP_TIME_EXCEEDED) return V4_TIME_EXCEEDED;
    if (type === ICMP_PARAMETER_PROBLEM) return V4_PARAMETER_PROBLEM;
    return OTHER_TYPE;
  }
  if (version === 6) {
    if (type === ICMP6_DEST_UNREACHABLE) {
      return code >= 0 && code < V6_UNREACH.length ? V6_UNREACH[code] : V6_UNREACH_UNKNOWN;
    }
    if (type === ICMP6_TIME_EXCEEDED) return V6_TIME_EXCEEDED;
    if (type === ICMP6_PARAMETER_PROBLEM) return V6_PARAMETER_PROBLEM;
  }
  return OTHER_TYPE;
}
