#!/usr/bin/env bash
# Record the Linux kernel's own TCP handshake behaviour into small captures under
# captures/, each with an X.expected.json built from what the real client's
# connect() returned, plus captures/README.md.
#
#   sudo bash scripts/capture/make-captures.sh        (needs root: network namespaces, iptables)
#
# Topology (all inside namespaces this script creates; no route to the outside):
#
#   ssc-cap-client  c-r 10.77.1.2/24 fd77:1::2/64
#        |
#   ssc-cap-router  r-c 10.77.1.1/24 fd77:1::1/64   r-s 10.77.2.1/24 fd77:2::1/64
#        |                                           (ip_forward, v6 forwarding,
#        |                                            unreachable 10.77.9.0/24, no default route)
#   ssc-cap-server  s-r 10.77.2.2/24 fd77:2::2/64
#
# Traffic goes only to addresses inside these namespaces. Neighbour entries are
# static so no ARP/ND noise gets into the captures (except the deliberate
# no-ARP case). Every background process runs under `timeout` and is ended by
# its pid; the namespaces are deleted on exit, even on failure.
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=$ROOT/captures
PYCLIENT=$ROOT/scripts/capture/capture-client.py
if [[ -z ${PYTHON:-} && -x /usr/bin/python3 ]]; then PY=/usr/bin/python3; else PY=${PYTHON:-python3}; fi
C=ssc-cap-client
R=ssc-cap-router
S=ssc-cap-server
FILTER='tcp or icmp or icmp6'
SETTLE=4.5   # seconds a capture runs past the last attempt's first SYN (synscope --timeout is 3)

[[ $(id -u) -eq 0 ]] || { echo "make-captures: must run as root" >&2; exit 2; }
for t in ip iptables ip6tables tcpdump dumpcap tshark gzip timeout flock "$PY"; do
  command -v "$t" >/dev/null || { echo "make-captures: missing $t" >&2; exit 2; }
done

exec 9>/run/ssc-make-captures.lock
flock -n 9 || { echo "make-captures: another run is in progress" >&2; exit 2; }

WORK=$(mktemp -d /tmp/ssc-cap.XXXXXX)
PIDS=()
CAP_PID=
README_LINES=()
NEXT_PORT=40001

log() { printf '[make-captures %s] %s\n' "$(date +%T)" "$*" >&2; }

cleanup() {
  local rc=$?
  set +e
  local p
  for p in "${PIDS[@]}"; do
    if kill -0 "$p" 2>/dev/null; then kill -TERM "$p" 2>/dev/null; fi
  done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  for n in "$C" "$R" "$S"; do ip netns del "$n" 2>/dev/null; done
  rm -rf "$WORK"
  if [[ $rc -ne 0 ]]; then log "FAILED (exit $rc); namespaces and helpers cleaned up"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

nsx() { local n=$1; shift; ip netns exec "$n" "$@"; }

# ports N -> array P with N fresh client source ports
ports() {
  P=()
  local i
  for ((i = 0; i < $1; i++)); do P+=("$NEXT_PORT"); NEXT_PORT=$((NEXT_PORT + 1)); done
}

# ------------------------------------------------------------------ topology

setup() {
  local n
  for n in "$C" "$R" "$S"; do
    ip netns del "$n" 2>/dev/null || true   # left over from a killed run (these names are ours)
    ip netns add "$n"
    nsx "$n" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
    nsx "$n" sysctl -qw net.ipv6.conf.default.router_solicitations=0
    nsx "$n" sysctl -qw net.ipv6.conf.default.accept_ra=0
    ip -n "$n" link set lo up
  done
  ip link add c-r netns "$C" address 02:77:01:00:00:02 type veth peer name r-c netns "$R" address 02:77:01:00:00:01
  ip link add r-s netns "$R" address 02:77:02:00:00:01 type veth peer name s-r netns "$S" address 02:77:02:00:00:02

  ip -n "$C" addr add 10.77.1.2/24 dev c-r
  ip -n "$C" addr add fd77:1::2/64 dev c-r nodad
  ip -n "$R" addr add 10.77.1.1/24 dev r-c
  ip -n "$R" addr add fd77:1::1/64 dev r-c nodad
  ip -n "$R" addr add 10.77.2.1/24 dev r-s
  ip -n "$R" addr add fd77:2::1/64 dev r-s nodad
  ip -n "$S" addr add 10.77.2.2/24 dev s-r
  ip -n "$S" addr add fd77:2::2/64 dev s-r nodad
  ip -n "$C" link set c-r up
  ip -n "$R" link set r-c up
  ip -n "$R" link set r-s up
  ip -n "$S" link set s-r up

  ip -n "$C" route add default via 10.77.1.1
  ip -n "$C" -6 route add default via fd77:1::1
  ip -n "$S" route add default via 10.77.2.1
  ip -n "$S" -6 route add default via fd77:2::1
  nsx "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 net.ipv6.conf.default.forwarding=1
  ip -n "$R" route add unreachable 10.77.9.0/24

  # static neighbours: no ARP / neighbour discovery in the captures
  ip -n "$C" neigh replace 10.77.1.1 lladdr 02:77:01:00:00:01 dev c-r nud permanent
  ip -n "$C" neigh replace fd77:1::1 lladdr 02:77:01:00:00:01 dev c-r nud permanent
  ip -n "$R" neigh replace 10.77.1.2 lladdr 02:77:01:00:00:02 dev r-c nud permanent
  ip -n "$R" neigh replace fd77:1::2 lladdr 02:77:01:00:00:02 dev r-c nud permanent
  ip -n "$R" neigh replace 10.77.2.2 lladdr 02:77:02:00:00:02 dev r-s nud permanent
  ip -n "$R" neigh replace fd77:2::2 lladdr 02:77:02:00:00:02 dev r-s nud permanent
  ip -n "$S" neigh replace 10.77.2.1 lladdr 02:77:02:00:00:01 dev s-r nud permanent
  ip -n "$S" neigh replace fd77:2::1 lladdr 02:77:02:00:00:01 dev s-r nud permanent

  # unanswered connects give up within ~7 s (SYN at 0, 1, 3 s)
  nsx "$C" sysctl -qw net.ipv4.tcp_syn_retries=2
  nsx "$R" sysctl -qw net.ipv4.tcp_syn_retries=2
  nsx "$S" sysctl -qw net.ipv4.tcp_synack_retries=2

  # long-lived echo listeners (accept, read to EOF, close normally)
  start_server "$S" echo --listen 10.77.2.2,8080 --listen fd77:2::2,8080
  start_server "$R" echo --listen 10.77.1.1,8080

  sleep 1
  # reachability check (before any capture runs)
  local a
  for a in "$C 10.77.2.2" "$C fd77:2::2" "$C 10.77.1.1" "$R 10.77.2.2"; do
    set -- $a
    nsx "$1" timeout 10 "$PY" -c 'import socket, sys; socket.create_connection((sys.argv[1], 8080), 3).close()' "$2" \
      || { echo "setup: no connection from $1 to $2:8080" >&2; return 1; }
  done
  log "topology up"
}

# start_server NS MODE ARGS... -> SERVER_PID
start_server() {
  local n=$1 mode=$2; shift 2
  local ready=$WORK/ready.$RANDOM.$RANDOM
  ip netns exec "$n" timeout 900 "$PY" "$PYCLIENT" serve --mode "$mode" --ready "$ready" --duration 880 "$@" 9>&- &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  local i
  for ((i = 0; i < 50; i++)); do [[ -e $ready ]] && return 0; sleep 0.1; done
  echo "server $mode in $n did not start" >&2
  return 1
}

stop_pid() {
  local p=$1
  if kill -0 "$p" 2>/dev/null; then kill -TERM "$p" 2>/dev/null || true; fi
  wait "$p" 2>/dev/null || true
}

reset_firewalls() {
  local n
  for n in "$C" "$R" "$S"; do
    nsx "$n" iptables -F
    nsx "$n" ip6tables -F
  done
}

# ------------------------------------------------------------------ capture

# cap_start NS FILE TOOL-ARGS...   (tcpdump with the scenario filter; -i etc. in TOOL-ARGS)
cap_start() {
  local n=$1 file=$2; shift 2
  CAP_LOG=$WORK/cap.log
  : >"$CAP_LOG"
  rm -f "$OUT/$file"
  ip netns exec "$n" timeout -s INT 120 tcpdump -Z root -n -U -w "$OUT/$file" "$@" "$FILTER" 2>"$CAP_LOG" 9>&- &
  CAP_PID=$!
  PIDS+=("$CAP_PID")
  cap_wait_ready "listening on"
}

# cap_start_dumpcap NS FILE IFACE...   (pcapng, one IDB per interface)
cap_start_dumpcap() {
  local n=$1 file=$2; shift 2
  local args=() i
  for i in "$@"; do args+=(-i "$i" -f "$FILTER"); done
  CAP_LOG=$WORK/cap.log
  : >"$CAP_LOG"
  rm -f "$OUT/$file"
  ip netns exec "$n" timeout -s INT 120 dumpcap -q "${args[@]}" -w "$OUT/$file" 2>"$CAP_LOG" 9>&- &
  CAP_PID=$!
  PIDS+=("$CAP_PID")
  cap_wait_ready "Capturing on"
}

cap_wait_ready() {
  local i
  for ((i = 0; i < 100; i++)); do
    grep -q "$1" "$CAP_LOG" && { sleep 0.5; return 0; }
    kill -0 "$CAP_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$CAP_LOG" >&2
  echo "capture did not start" >&2
  return 1
}

# cap_stop [SETTLE] RESULTS...: wait until SETTLE s past the last attempt's first SYN, then SIGINT
cap_stop() {
  local settle=$1; shift
  local wait_s
  wait_s=$("$PY" - "$settle" "$@" <<'EOF'
import json, sys, time
settle = float(sys.argv[1]); last = 0
for p in sys.argv[2:]:
    for r in json.load(open(p)):
        last = max(last, r["start"])
print(max(0.5, last + settle - time.time()))
EOF
)
  sleep "$wait_s"
  kill -INT "$CAP_PID" 2>/dev/null || true
  wait "$CAP_PID" || { cat "$CAP_LOG" >&2; return 1; }
  CAP_PID=
}

# client NS RESULTS ARGS...   (foreground, bounded)
client() {
  local n=$1 res=$2; shift 2
  nsx "$n" timeout 60 "$PY" "$PYCLIENT" connect --out "$res" "$@"
}

# client_bg NS RESULTS HOLDFILE ARGS...  -> CLIENT_PID; returns once RESULTS exists
client_bg() {
  local n=$1 res=$2 hold=$3; shift 3
  ip netns exec "$n" timeout 60 "$PY" "$PYCLIENT" connect --out "$res" --hold-file "$hold" "$@" 9>&- &
  CLIENT_PID=$!
  PIDS+=("$CLIENT_PID")
  local i
  for ((i = 0; i < 400; i++)); do [[ -e $res ]] && return 0; sleep 0.1; done
  echo "client did not finish" >&2
  return 1
}

# expected NAME FORMAT LINKS(comma) STORY CAPTURED -- RESULTS... -- RULES...
expected() {
  local name=$1 fmt=$2 links=$3 story=$4 captured=$5; shift 5
  [[ $1 == -- ]] && shift
  local args=(--scenario "$name" --format "$fmt" --story "$story" --captured "$captured")
  local l
  IFS=, read -ra ls <<<"$links"
  for l in "${ls[@]}"; do args+=(--link "$l"); done
  while [[ $# -gt 0 && $1 != -- ]]; do args+=(--results "$1"); shift; done
  [[ $# -gt 0 ]] && shift
  while [[ $# -gt 0 ]]; do args+=(--on "$1"); shift; done
  "$PY" "$PYCLIENT" expected --out "$OUT/$name.expected.json" "${args[@]}"
}

readme() { README_LINES+=("- \`$1\` — $2"); }

res() { echo "$WORK/$1.json"; }

# ------------------------------------------------------------------ scenarios

sc_established() {
  local f=established.pcap r; r=$(res established); ports 1
  cap_start "$R" "$f" -i r-c
  client "$C" "$r" --send "hello" --attempt "${P[0]},10.77.2.2,8080"
  cap_stop "$SETTLE" "$r"
  expected established pcap ETHERNET \
    "A client connects through the router to a listener that accepts; the client sends a line, the server echoes it, and both sides close with FIN." \
    "router, client-side veth r-c" -- "$r" -- null=established@server
  readme "$f" "client 10.77.1.2 connects to an accepting echo listener 10.77.2.2:8080 through the router, sends a line and closes normally (FIN both ways); tcpdump on the router's client-side veth r-c."
}

sc_refused_closed_port() {
  local f=refused-closed-port.pcap r; r=$(res refused); ports 1
  cap_start "$R" "$f" -i r-c
  client "$C" "$r" --attempt "${P[0]},10.77.2.2,9"
  cap_stop "$SETTLE" "$r"
  expected refused-closed-port pcap ETHERNET \
    "Nothing listens on 10.77.2.2:9; the server's kernel answers the SYN with RST/ACK." \
    "router, client-side veth r-c" -- "$r" -- ECONNREFUSED=refused@server
  readme "$f" "connect to 10.77.2.2:9 where nothing listens; the server kernel's RST; tcpdump on r-c."
}

sc_rejected_port_unreachable() {
  local f=rejected-port-unreachable.pcap r; r=$(res rpu); ports 1
  nsx "$S" iptables -A INPUT -p tcp --dport 8080 -j REJECT --reject-with icmp-port-unreachable
  cap_start "$R" "$f" -i r-c
  client "$C" "$r" --attempt "${P[0]},10.77.2.2,8080"
  cap_stop "$SETTLE" "$r"
  reset_firewalls
  expected rejected-port-unreachable pcap ETHERNET \
    "iptables on the server rejects TCP to port 8080 with ICMP port unreachable (type 3 code 3), sent from the server's own address." \
    "router, client-side veth r-c" -- "$r" -- ECONNREFUSED=rejected@server
  readme "$f" "server: \`iptables -A INPUT -p tcp --dport 8080 -j REJECT --reject-with icmp-port-unreachable\`; ICMP 3/3 from 10.77.2.2; tcpdump on r-c."
}

sc_rejected_router() {  # NAME REJECT-WITH CODE-TEXT
  local name=$1 with=$2 text=$3 f r; f=$name.pcap; r=$(res "$name"); ports 1
  nsx "$R" iptables -A FORWARD -p tcp -d 10.77.2.2 --dport 8080 -j REJECT --reject-with "$with"
  cap_start "$R" "$f" -i r-c
  client "$C" "$r" --attempt "${P[0]},10.77.2.2,8080"
  cap_stop "$SETTLE" "$r"
  reset_firewalls
  expected "$name" pcap ETHERNET \
    "A firewall on the router (FORWARD chain) rejects the SYN toward 10.77.2.2:8080 with $text, sent from the router's address 10.77.1.1." \
    "router, client-side veth r-c" -- "$r" -- EHOSTUNREACH=rejected@10.77.1.1 ENETUNREACH=rejected@10.77.1.1 EACCES=rejected@10.77.1.1
  readme "$f" "router: \`iptables -A FORWARD -p tcp -d 10.77.2.2 --dport 8080 -j REJECT --reject-with $with\` ($text from 10.77.1.1); tcpdump on r-c."
}

sc_refused_firewall_reset() {
  local f=refused-firewall-reset.pcap r; r=$(res rfr); ports 1
  nsx "$R" iptables -A FORWARD -p tcp -d 10.77.2.2 --dport 8080 -j REJECT --reject-with tcp-reset
  cap_start "$R" "$f" -i r-c
  client "$C" "$r" --attempt "${P[0]},10.77.2.2,8080"
  cap_stop "$SETTLE" "$r"
  reset_firewalls
  expected refused-firewall-reset pcap ETHERNET \
    "A firewall on the router answers the SYN toward 10.77.2.2:8080 with a forged TCP RST that carries the server's address (TTL 64 from the router, where a real server RST forwarded by the router would arrive with TTL 63); the SYN never reaches the server." \
    "router, client-side veth r-c" -- "$r" -- ECONNREFUSED=refused@server
  readme "$f" "router: \`iptables -A FORWARD -p tcp -d 10.77.2.2 --dport 8080 -j REJECT --reject-with tcp-reset\` (RST forged with the server's address, TTL 64); tcpdump on r-c."
}

sc_dropped_firewall() {
  local f=dropped-firewall.pcap r; r=$(res dropped); ports 1
  nsx "$R" iptables -A FORWARD -p tcp -d 10.77.2.2 --dport 8080 -j DROP
  cap_start "$R" "$f" -i r-c
  client "$C" "$r" --attempt "${P[0]},10.77.2.2,8080"
  cap_stop 1 "$r"   # client already gave up (~7 s): well past 4 s after the first SYN
  reset_firewalls
  expected dropped-firewall pcap ETHERNET \
    "A firewall on the router silently drops the SYN toward 10.77.2.2:8080; the client retransmits it about once a second (tcp_syn_linear_timeouts=4, the kernel default) and connect() gives up with ETIMEDOUT after about 7 s (tcp_syn_retries=2)." \
    "router, client-side veth r-c" -- "$r" -- ETIMEDOUT=dropped
  readme "$f" "router: \`iptables -A FORWARD -p tcp -d 10.77.2.2 --dport 8080 -j DROP\`; client tcp_syn_retries=2 (SYN retransmitted every ~1 s, ETIMEDOUT after ~7 s); tcpdump on r-c."
}

sc_rejected_no_arp() {
  local f=rejected-no-arp.pcap r; r=$(res noarp); ports 1
  cap_start "$R" "$f" -i r-c
  client "$C" "$r" --attempt "${P[0]},10.77.2.99,8080"
  cap_stop 9 "$r"   # a SYN sent at ~3 s starts a new ARP round: its ICMP comes ~3 s later, keep it in this capture
  expected rejected-no-arp pcap ETHERNET \
    "10.77.2.99 is on the router's server-side subnet but nobody has it; the router's ARP gives up after ~3 s and it sends ICMP host unreachable (3/1) for the queued SYNs." \
    "router, client-side veth r-c" -- "$r" -- EHOSTUNREACH=rejected@10.77.1.1
  readme "$f" "connect to 10.77.2.99:8080, an unused address on the router's connected subnet 10.77.2.0/24; the router's ARP fails and it sends ICMP host unreachable ~3 s in; tcpdump on r-c."
}

sc_rejected_unreachable_route() {
  local f=rejected-unreachable-route.pcap r; r=$(res unreach); ports 1
  cap_start "$R" "$f" -i r-c
  client "$C" "$r" --attempt "${P[0]},10.77.9.9,8080"
  cap_stop "$SETTLE" "$r"
  expected rejected-unreachable-route pcap ETHERNET \
    "The router has 'ip route add unreachable 10.77.9.0/24' and answers the SYN to 10.77.9.9 with ICMP destination unreachable from 10.77.1.1." \
    "router, client-side veth r-c" -- "$r" -- EHOSTUNREACH=rejected@10.77.1.1 ENETUNREACH=rejected@10.77.1.1
  readme "$f" "router: \`ip route add unreachable 10.77.9.0/24\`; connect to 10.77.9.9:8080; ICMP unreachable from the router; tcpdump on r-c."
}

sc_rejected_no_route() {
  local f=rejected-no-route.pcap r; r=$(res noroute); ports 1
  cap_start "$R" "$f" -i r-c
  client "$C" "$r" --attempt "${P[0]},10.77.8.8,8080"
  cap_stop "$SETTLE" "$r"
  expected rejected-no-route pcap ETHERNET \
    "The router has no route at all for 10.77.8.8 (no default route) and answers the forwarded SYN with ICMP destination unreachable from 10.77.1.1." \
    "router, client-side veth r-c" -- "$r" -- EHOSTUNREACH=rejected@10.77.1.1 ENETUNREACH=rejected@10.77.1.1
  readme "$f" "connect to 10.77.8.8:8080, for which the router has no route (it has no default route); ICMP net unreachable from the router; tcpdump on r-c."
}

sc_rejected_ttl_exceeded() {
  local f=rejected-ttl-exceeded.pcap r; r=$(res ttl); ports 1
  cap_start "$R" "$f" -i r-c
  client "$C" "$r" --ttl 1 --attempt "${P[0]},10.77.2.2,8080"
  cap_stop "$SETTLE" "$r"
  expected rejected-ttl-exceeded pcap ETHERNET \
    "The client sends its SYN with IP TTL 1 (IP_TTL socket option); the router answers with ICMP time exceeded (type 11) from 10.77.1.1." \
    "router, client-side veth r-c" -- "$r" -- EHOSTUNREACH=rejected@10.77.1.1 ENETUNREACH=rejected@10.77.1.1 EPROTO=rejected@10.77.1.1
  readme "$f" "client socket with IP_TTL=1 connects to 10.77.2.2:8080; the router answers ICMP time exceeded in transit; tcpdump on r-c."
}

sc_backlog_overflow() {
  local f=backlog-overflow.pcap r hold i sp; r=$(res backlog); hold=$WORK/backlog.release; ports 8
  start_server "$S" noaccept --backlog 1 --listen 10.77.2.2,8082
  local srv=$SERVER_PID
  cap_start "$R" "$f" -i r-c
  local att=()
  for sp in "${P[@]}"; do att+=(--attempt "$sp,10.77.2.2,8082"); done
  client_bg "$C" "$r" "$hold" --stagger 0.1 "${att[@]}"
  cap_stop "$SETTLE" "$r"
  touch "$hold"
  stop_pid "$CLIENT_PID"
  stop_pid "$srv"
  expected backlog-overflow pcap ETHERNET \
    "A listener on 10.77.2.2:8082 with listen(1) that never accepts; 8 clients connect 0.1 s apart: the first ones complete the handshake and fill the accept queue, the server kernel then silently drops the later SYNs (and their retransmissions), so those clients time out." \
    "router, client-side veth r-c" -- "$r" -- null=established@server ETIMEDOUT=dropped
  readme "$f" "server: Python listener with listen(1) on 10.77.2.2:8082 that never calls accept(); 8 clients started 0.1 s apart from ports ${P[0]}-${P[7]}; connected sockets kept open until the capture stopped; tcpdump on r-c."
}

sc_reset_after_accept() {
  local f=reset-after-accept.pcap r; r=$(res rst); ports 1
  start_server "$S" rst --listen 10.77.2.2,8081
  local srv=$SERVER_PID
  cap_start "$R" "$f" -i r-c
  client "$C" "$r" --expect-reset --attempt "${P[0]},10.77.2.2,8081"
  cap_stop "$SETTLE" "$r"
  stop_pid "$srv"
  expected reset-after-accept pcap ETHERNET \
    "The server accepts the connection and 0.2 s later closes it with SO_LINGER {1, 0}, so its kernel sends RST; the client's connect() succeeded and its recv() then failed with ECONNRESET." \
    "router, client-side veth r-c" -- "$r" -- null=established@server
  readme "$f" "server: accept, then close with SO_LINGER 0 (RST) on 10.77.2.2:8081; client connects and waits in recv() (ECONNRESET); tcpdump on r-c."
}

sc_ipv6_refused() {
  local f=ipv6-refused.pcap r; r=$(res v6ref); ports 1
  cap_start "$R" "$f" -i r-c
  client "$C" "$r" --attempt "${P[0]},fd77:2::2,9"
  cap_stop "$SETTLE" "$r"
  expected ipv6-refused pcap ETHERNET \
    "Nothing listens on [fd77:2::2]:9; the server's kernel answers the IPv6 SYN with RST/ACK." \
    "router, client-side veth r-c" -- "$r" -- ECONNREFUSED=refused@server
  readme "$f" "IPv6 connect from fd77:1::2 to [fd77:2::2]:9 where nothing listens; tcpdump on r-c."
}

sc_ipv6_dropped() {
  local f=ipv6-dropped.pcap r; r=$(res v6drop); ports 1
  nsx "$R" ip6tables -A FORWARD -p tcp -d fd77:2::2 --dport 8080 -j DROP
  cap_start "$R" "$f" -i r-c
  client "$C" "$r" --attempt "${P[0]},fd77:2::2,8080"
  cap_stop 1 "$r"
  reset_firewalls
  expected ipv6-dropped pcap ETHERNET \
    "ip6tables on the router silently drops the IPv6 SYN toward [fd77:2::2]:8080; the client retransmits it about once a second and connect() gives up with ETIMEDOUT after about 7 s." \
    "router, client-side veth r-c" -- "$r" -- ETIMEDOUT=dropped
  readme "$f" "router: \`ip6tables -A FORWARD -p tcp -d fd77:2::2 --dport 8080 -j DROP\`; tcpdump on r-c."
}

sc_ipv6_admin_prohibited() {
  local f=ipv6-admin-prohibited.pcap r; r=$(res v6adm); ports 1
  nsx "$R" ip6tables -A FORWARD -p tcp -d fd77:2::2 --dport 8080 -j REJECT --reject-with icmp6-adm-prohibited
  cap_start "$R" "$f" -i r-c
  client "$C" "$r" --attempt "${P[0]},fd77:2::2,8080"
  cap_stop "$SETTLE" "$r"
  reset_firewalls
  expected ipv6-admin-prohibited pcap ETHERNET \
    "ip6tables on the router rejects the IPv6 SYN toward [fd77:2::2]:8080 with ICMPv6 destination unreachable code 1 (administratively prohibited) from fd77:1::1." \
    "router, client-side veth r-c" -- "$r" -- EACCES=rejected@fd77:1::1 EHOSTUNREACH=rejected@fd77:1::1
  readme "$f" "router: \`ip6tables -A FORWARD -p tcp -d fd77:2::2 --dport 8080 -j REJECT --reject-with icmp6-adm-prohibited\`; tcpdump on r-c."
}

sc_ipv6_no_route() {
  local f=ipv6-no-route.pcap r; r=$(res v6noroute); ports 1
  cap_start "$R" "$f" -i r-c
  client "$C" "$r" --attempt "${P[0]},fd77:8::8,8080"
  cap_stop "$SETTLE" "$r"
  expected ipv6-no-route pcap ETHERNET \
    "The router has no IPv6 route for fd77:8::8 (no default route) and answers the forwarded SYN with ICMPv6 destination unreachable from fd77:1::1." \
    "router, client-side veth r-c" -- "$r" -- ENETUNREACH=rejected@fd77:1::1 EHOSTUNREACH=rejected@fd77:1::1 EACCES=rejected@fd77:1::1
  readme "$f" "IPv6 connect to [fd77:8::8]:8080, for which the router has no route; ICMPv6 no-route from the router; tcpdump on r-c."
}

sc_timed_out_half_open() {
  local f=timed-out-half-open.pcap r; r=$(res halfopen); ports 1
  nsx "$R" iptables -A FORWARD -p tcp -s 10.77.2.2 --sport 8080 -d 10.77.1.2 --tcp-flags SYN,ACK SYN,ACK -j DROP
  cap_start "$R" "$f" -i r-s
  client "$C" "$r" --attempt "${P[0]},10.77.2.2,8080"
  cap_stop 12 "$r"   # the server's last SYN/ACK retransmission (tcp_synack_retries=2) is several s before the end
  reset_firewalls
  expected timed-out-half-open pcap ETHERNET \
    "The router drops the server's SYN/ACKs before they reach the client; captured on the server side, every SYN and SYN retransmission is answered with SYN/ACK (plus the server's own SYN/ACK retransmissions) but no ACK ever comes; the client gives up with ETIMEDOUT after ~7 s." \
    "router, server-side veth r-s" -- "$r" -- ETIMEDOUT=timed-out@server
  readme "$f" "router: \`iptables -A FORWARD -p tcp -s 10.77.2.2 --sport 8080 -d 10.77.1.2 --tcp-flags SYN,ACK SYN,ACK -j DROP\`; tcpdump on the router's server-side veth r-s (SYN/ACKs visible), 12 s."
}

sc_aborted_client_gave_up() {
  local f=aborted-client-gave-up.pcap r; r=$(res aborted); ports 1
  # netem is not available in this kernel: the first SYN/ACK is held back by dropping
  # it on the router; the rule is removed as soon as the client has given up, so the
  # server's SYN/ACK retransmission (~1 s) reaches the client's kernel, which has no
  # socket for it any more and answers RST.
  nsx "$R" iptables -A FORWARD -p tcp -s 10.77.2.2 --sport 8080 -d 10.77.1.2 --tcp-flags SYN,ACK SYN,ACK -j DROP
  cap_start "$R" "$f" -i r-s
  client "$C" "$r" --app-timeout 0.5 --attempt "${P[0]},10.77.2.2,8080"
  reset_firewalls
  cap_stop "$SETTLE" "$r"
  expected aborted-client-gave-up pcap ETHERNET \
    "The client application gives up after its own 0.5 s timer (non-blocking connect, then close); the server's first SYN/ACK was dropped by the router, its retransmission at ~1 s reaches the client's kernel after the socket is gone and is answered with RST. clientErrno is the application's own timeout (the kernel reported no error); the contract's errno for aborted is null." \
    "router, server-side veth r-s" -- "$r" -- ETIMEDOUT=aborted@server
  readme "$f" "router drops SYN/ACKs toward the client until the client (0.5 s non-blocking connect, then close) has given up, then the rule is removed; the server's SYN/ACK retransmission gets the client kernel's RST; tcpdump on r-s."
}

sc_any() {  # NAME LINKTYPE
  local name=$1 lt=$2 f r; f=$name.pcap; r=$(res "$name"); ports 2
  cap_start "$R" "$f" -i any -y "$lt"
  client "$C" "$r" --send "hello" --attempt "${P[0]},10.77.2.2,8080" --attempt "${P[1]},10.77.2.2,9"
  cap_stop "$SETTLE" "$r"
  expected "$name" pcap "$lt" \
    "One established connection (with normal close) and one refused one, captured on the router with tcpdump -i any: every forwarded packet appears twice, once on r-c and once on r-s, still one attempt each." \
    "router, -i any ($lt)" -- "$r" -- null=established@server ECONNREFUSED=refused@server
  readme "$f" "\`tcpdump -i any -y $lt\` in the router: established to 10.77.2.2:8080 and refused at 10.77.2.2:9; each packet seen on both router interfaces."
}

sc_mixed_pcapng() {
  local f=mixed.pcapng rc rr; rc=$(res mixc); rr=$(res mixr); ports 3; local pc=("${P[@]}"); ports 5; local pr=("${P[@]}")
  nsx "$R" iptables -A INPUT -p tcp --dport 8083 -j REJECT --reject-with icmp-admin-prohibited
  nsx "$S" iptables -A INPUT -p tcp --dport 8084 -j DROP
  cap_start_dumpcap "$R" "$f" r-c r-s
  # client -> router itself: only on r-c
  client "$C" "$rc" --send "hello" --attempt "${pc[0]},10.77.1.1,8080" --attempt "${pc[1]},10.77.1.1,9" --attempt "${pc[2]},10.77.1.1,8083"
  # router -> server: only on r-s
  client "$R" "$rr" --bind 10.77.2.1 --bind6 fd77:2::1 --send "hello" --stagger 0.3 \
    --attempt "${pr[0]},10.77.2.2,8080" --attempt "${pr[1]},10.77.2.2,9" --attempt "${pr[2]},10.77.2.2,8084" \
    --attempt "${pr[3]},fd77:2::2,9" --attempt "${pr[4]},fd77:2::2,8080"
  cap_stop 1 "$rc" "$rr"
  chmod 644 "$OUT/$f"   # dumpcap creates its file 0600
  reset_firewalls
  expected mixed pcapng ETHERNET \
    "dumpcap on two router interfaces (two IDBs): on r-c the client talks to the router itself (established, refused, and rejected with ICMP admin prohibited by the router's INPUT chain); on r-s the router is the client toward the server (established, refused, dropped by the server's INPUT DROP, IPv6 refused, IPv6 established). Each packet is on exactly one interface." \
    "router, dumpcap -i r-c -i r-s (pcapng, 2 interfaces)" -- "$rc" "$rr" -- null=established@server ECONNREFUSED=refused@server EHOSTUNREACH=rejected@10.77.1.1 ETIMEDOUT=dropped
  readme "$f" "\`dumpcap -i r-c -i r-s\` in the router (pcapng, two Ethernet IDBs): client→router 10.77.1.1 (8080 established, 9 refused, 8083 REJECT icmp-admin-prohibited in the router's INPUT) and router→server (10.77.2.2:8080 established, :9 refused, :8084 DROP in the server's INPUT, [fd77:2::2]:9 refused, [fd77:2::2]:8080 established)."
}

sc_nanosecond() {
  local f=nanosecond.pcap r; r=$(res nano); ports 2
  cap_start "$R" "$f" -i r-c --time-stamp-precision=nano
  client "$C" "$r" --send "hello" --attempt "${P[0]},10.77.2.2,9" --attempt "${P[1]},10.77.2.2,8080"
  cap_stop "$SETTLE" "$r"
  expected nanosecond pcap ETHERNET \
    "A refused attempt then an established one (normal close), written with nanosecond timestamps (pcap magic a1b23c4d)." \
    "router, client-side veth r-c" -- "$r" -- null=established@server ECONNREFUSED=refused@server
  readme "$f" "\`tcpdump --time-stamp-precision=nano\` on r-c: refused at 10.77.2.2:9, then established to 10.77.2.2:8080."
}

sc_mixed_gz() {
  local f=mixed-gz.pcap r; r=$(res mixgz); ports 4
  nsx "$R" iptables -A FORWARD -p tcp -d 10.77.2.2 --dport 8085 -j REJECT --reject-with icmp-admin-prohibited
  cap_start "$R" "$f" -i r-c
  client "$C" "$r" --send "hello" --attempt "${P[0]},10.77.2.2,8080" --attempt "${P[1]},10.77.2.2,9" \
    --attempt "${P[2]},10.77.2.2,8085" --attempt "${P[3]},fd77:2::2,9"
  cap_stop "$SETTLE" "$r"
  reset_firewalls
  rm -f "$OUT/$f.gz"
  gzip -9n "$OUT/$f"
  expected mixed-gz pcap ETHERNET \
    "A small mix (established, refused, rejected by the router with ICMP admin prohibited, IPv6 refused) in a classic pcap, gzip-compressed." \
    "router, client-side veth r-c" -- "$r" -- null=established@server ECONNREFUSED=refused@server EHOSTUNREACH=rejected@10.77.1.1
  readme "$f.gz" "tcpdump on r-c (established 10.77.2.2:8080, refused :9, router REJECT icmp-admin-prohibited for :8085, IPv6 refused [fd77:2::2]:9), then \`gzip -9n\`."
}

sc_raw_ip_tun() {
  local f=raw-ip-tun.pcap r; r=$(res tun); ports 4
  # a point-to-point tun link client<->router, relayed by capture-client.py tunrelay
  local ready=$WORK/tun.ready
  timeout 60 "$PY" "$PYCLIENT" tunrelay --ns-a "/var/run/netns/$C" --name-a c-t --ns-b "/var/run/netns/$R" --name-b r-t \
    --ready "$ready" --duration 55 9>&- &
  local relay=$!
  PIDS+=("$relay")
  local i
  for ((i = 0; i < 50; i++)); do [[ -e $ready ]] && break; sleep 0.1; done
  [[ -e $ready ]] || { echo "tun relay did not start" >&2; return 1; }
  ip -n "$C" addr add 10.77.3.2 peer 10.77.3.1 dev c-t
  ip -n "$C" addr add fd77:3::2/128 dev c-t nodad
  ip -n "$R" addr add 10.77.3.1 peer 10.77.3.2 dev r-t
  ip -n "$R" addr add fd77:3::1/128 dev r-t nodad
  ip -n "$C" link set c-t up
  ip -n "$R" link set r-t up
  ip -n "$R" -6 route add fd77:3::2/128 dev r-t
  ip -n "$C" route add 10.77.2.2/32 dev c-t src 10.77.3.2
  ip -n "$C" -6 route add fd77:2::2/128 dev c-t src fd77:3::2
  sleep 0.5
  cap_start "$R" "$f" -i r-t
  client "$C" "$r" --bind 10.77.3.2 --bind6 fd77:3::2 --send "hello" \
    --attempt "${P[0]},10.77.2.2,8080" --attempt "${P[1]},10.77.2.2,9" --attempt "${P[2]},fd77:2::2,8080" --attempt "${P[3]},fd77:2::2,9"
  cap_stop "$SETTLE" "$r"
  ip -n "$C" route del 10.77.2.2/32 dev c-t
  ip -n "$C" -6 route del fd77:2::2/128 dev c-t
  stop_pid "$relay"   # the tun devices vanish with it
  expected raw-ip-tun pcap RAW \
    "The client reaches the server over a point-to-point tun link to the router (packets relayed by a user-space process), so the capture on the router's tun has no link-layer header: IPv4 established and refused, IPv6 established and refused." \
    "router, tun device r-t (raw IP)" -- "$r" -- null=established@server ECONNREFUSED=refused@server
  readme "$f" "client 10.77.3.2 / fd77:3::2 on a tun point-to-point link to the router (\`capture-client.py tunrelay\` copies packets between the two tun devices); tcpdump on the router's tun r-t (LINKTYPE_RAW): established and refused, IPv4 and IPv6."
}

# ------------------------------------------------------------------ main

main() {
  local t0=$SECONDS
  local only=${ONLY:-}   # ONLY="sc_x sc_y" regenerates just those (development aid; README untouched)
  mkdir -p "$OUT"
  if [[ -z $only ]]; then
    rm -f "$OUT"/*.pcap "$OUT"/*.pcapng "$OUT"/*.pcap.gz "$OUT"/*.expected.json "$OUT"/README.md
  fi
  setup
  reset_firewalls

  run() { if [[ -z $only || " $only " == *" $1 "* ]]; then log "scenario $1"; "$@"; fi; }

  run sc_established
  run sc_refused_closed_port
  run sc_rejected_port_unreachable
  run sc_rejected_router rejected-host-prohibited icmp-host-prohibited "ICMP host prohibited (type 3 code 10)"
  run sc_rejected_router rejected-admin-prohibited icmp-admin-prohibited "ICMP communication administratively prohibited (type 3 code 13)"
  run sc_refused_firewall_reset
  run sc_dropped_firewall
  run sc_rejected_no_arp
  run sc_rejected_unreachable_route
  run sc_rejected_no_route
  run sc_rejected_ttl_exceeded
  run sc_backlog_overflow
  run sc_reset_after_accept
  run sc_ipv6_refused
  run sc_ipv6_dropped
  run sc_ipv6_admin_prohibited
  run sc_ipv6_no_route
  run sc_timed_out_half_open
  run sc_aborted_client_gave_up
  run sc_any any-sll2 LINUX_SLL2
  run sc_any any-sll LINUX_SLL
  run sc_mixed_pcapng
  run sc_nanosecond
  run sc_mixed_gz
  run sc_raw_ip_tun

  [[ -n $only ]] && { log "done in $((SECONDS - t0)) s (ONLY: README not rewritten)"; return 0; }
  {
    echo "# captures"
    echo
    echo "Recorded by \`scripts/capture/make-captures.sh\` (run as root; it rebuilds everything here) from the Linux"
    echo "kernel's own behaviour in three network namespaces: client 10.77.1.2 / fd77:1::2, router"
    echo "10.77.1.1 + 10.77.2.1 / fd77:1::1 + fd77:2::1 (veths r-c and r-s), server 10.77.2.2 / fd77:2::2."
    echo "Client: tcp_syn_retries=2 (with the default tcp_syn_linear_timeouts=4 the SYN is retransmitted about"
    echo "every second; connect() gives up with ETIMEDOUT after ~7 s); server: tcp_synack_retries=2."
    echo "Each X.pcap / X.pcapng / X.pcap.gz has an X.expected.json whose clientErrno is what connect()"
    echo "really returned in scripts/capture/capture-client.py (null = connected). Every capture runs at least"
    echo "4 s past the last attempt's first SYN. Kernel: $(uname -r)."
    echo "Over veth an ICMP error can come back within microseconds, while connect() still holds the"
    echo "socket lock; Linux then only records it as a soft error and retransmits the SYN, and the error"
    echo "answering the retransmission aborts connect() (so some rejected attempts show 2 SYNs, 2 ICMPs)."
    echo "\`scripts/capture/check-captures.py\` re-derives every outcome from the packets (tshark) and compares."
    echo
    printf '%s\n' "${README_LINES[@]}"
  } >"$OUT/README.md"
  log "captures written in $((SECONDS - t0)) s; cross-checking them with tshark"
  "$PY" "$ROOT/scripts/capture/check-captures.py" "$OUT" || { log "check-captures.py found mismatches (see above)"; return 1; }
}

main "$@"
