#!/usr/bin/env bash
# Record handshakes carried in VXLAN by the Linux kernel into captures/vxlan-*.pcap, each with an
# X.expected.json built from what the real client's connect() returned (scripts/capture/capture-client.py),
# and print the captures/README.md lines. Only these captures are rewritten; make-captures.sh's are not.
#
#   sudo bash scripts/capture/make-tunnel-captures.sh
#
# Topology (namespaces this script creates, all named ss11b-*; no route to the outside):
#
#   ss11b-u1  v1 10.199.11.1/24 fd77:11::1/64  ── veth ──  ss11b-u2  v2 10.199.11.2/24 fd77:11::2/64
#      (the underlay: tcpdump runs on v1)
#   VXLAN devices are created in u1 / u2 (their UDP sockets stay there) and moved into the overlay
#   namespaces, so two VNIs can hold the very same inner addresses:
#     VNI 42, UDP 4789 over IPv4: ss11b-c42 192.168.77.1  →  ss11b-s42 192.168.77.2
#     VNI 43, UDP 4789 over IPv4: ss11b-c43 192.168.77.1  →  ss11b-s43 192.168.77.2
#     VNI 52, UDP 8472 over IPv6: ss11b-c52 192.168.78.1 fd77:78::1  →  ss11b-s52 192.168.78.2 fd77:78::2
#
# Every background process runs under `timeout` and is ended by its pid; the namespaces are deleted
# on exit, even on failure.
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=$ROOT/captures
PYCLIENT=$ROOT/scripts/capture/capture-client.py
PY=${PYTHON:-python3}
P=ss11b
NAMES=(u1 u2 c42 s42 c43 s43 c52 s52)
# Underlay packets only: the VXLAN datagrams and their fragments (no neighbour discovery noise).
FILTER='udp or (ip[6:2] & 0x3fff != 0) or ip6[6] == 44'
SETTLE=4.5

[[ $(id -u) -eq 0 ]] || { echo "make-tunnel-captures: must run as root" >&2; exit 2; }
for t in ip iptables ip6tables tcpdump timeout "$PY"; do
  command -v "$t" >/dev/null || { echo "make-tunnel-captures: missing $t" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/ss11b-cap.XXXXXX)
PIDS=()
CAP_PID=
README_LINES=()

log() { printf '[make-tunnel-captures %s] %s\n' "$(date +%T)" "$*" >&2; }

cleanup() {
  local rc=$? p n
  set +e
  for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  for n in "${NAMES[@]}"; do ip netns del "$P-$n" 2>/dev/null; done
  rm -rf "$WORK"
  [[ $rc -ne 0 ]] && log "FAILED (exit $rc); namespaces and helpers cleaned up"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

nsx() { local n=$1; shift; ip netns exec "$P-$n" "$@"; }
res() { echo "$WORK/$1.json"; }

setup() {
  local n
  for n in "${NAMES[@]}"; do
    ip netns del "$P-$n" 2>/dev/null || true
    ip netns add "$P-$n"
    nsx "$n" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
    nsx "$n" sysctl -qw net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.default.accept_ra=0
    nsx "$n" sysctl -qw net.ipv6.conf.default.mldv2_unsolicited_report_interval=0 2>/dev/null || true
    # unanswered connects give up within ~7 s (SYN at 0, 1, 3 s)
    nsx "$n" sysctl -qw net.ipv4.tcp_syn_retries=2
    ip -n "$P-$n" link set lo up
  done
  ip link add v1 netns "$P-u1" address 02:77:11:00:00:01 type veth peer name v2 netns "$P-u2" address 02:77:11:00:00:02
  ip -n "$P-u1" addr add 10.199.11.1/24 dev v1
  ip -n "$P-u1" addr add fd77:11::1/64 dev v1 nodad
  ip -n "$P-u2" addr add 10.199.11.2/24 dev v2
  ip -n "$P-u2" addr add fd77:11::2/64 dev v2 nodad
  ip -n "$P-u1" link set v1 up
  ip -n "$P-u2" link set v2 up
  ip -n "$P-u1" neigh replace 10.199.11.2 lladdr 02:77:11:00:00:02 dev v1 nud permanent
  ip -n "$P-u1" neigh replace fd77:11::2 lladdr 02:77:11:00:00:02 dev v1 nud permanent
  ip -n "$P-u2" neigh replace 10.199.11.1 lladdr 02:77:11:00:00:01 dev v2 nud permanent
  ip -n "$P-u2" neigh replace fd77:11::1 lladdr 02:77:11:00:00:01 dev v2 nud permanent

  # vxlan DEV VNI PORT LOCAL1 LOCAL2 CLIENT-NS SERVER-NS: one device per side, moved into the overlay namespace
  vxlan vx42 42 4789 10.199.11.1 10.199.11.2 c42 s42
  vxlan vx43 43 4789 10.199.11.1 10.199.11.2 c43 s43
  vxlan vx52 52 8472 fd77:11::1 fd77:11::2 c52 s52
  inner c42 vx42 192.168.77.1 "" 02:77:42:00:00:01 s42 192.168.77.2 "" 02:77:42:00:00:02
  inner c43 vx43 192.168.77.1 "" 02:77:43:00:00:01 s43 192.168.77.2 "" 02:77:43:00:00:02
  inner c52 vx52 192.168.78.1 fd77:78::1 02:77:52:00:00:01 s52 192.168.78.2 fd77:78::2 02:77:52:00:00:02
}

vxlan() {
  local dev=$1 vni=$2 port=$3 a=$4 b=$5 cns=$6 sns=$7
  ip -n "$P-u1" link add "$dev" type vxlan id "$vni" local "$a" remote "$b" dstport "$port"
  ip -n "$P-u1" link set "$dev" netns "$P-$cns"
  ip -n "$P-u2" link add "$dev" type vxlan id "$vni" local "$b" remote "$a" dstport "$port"
  ip -n "$P-u2" link set "$dev" netns "$P-$sns"
}

# inner CNS DEV IP4 IP6 MAC SNS IP4 IP6 MAC: addresses and static neighbours on both ends of an overlay
inner() {
  local cns=$1 dev=$2 c4=$3 c6=$4 cmac=$5 sns=$6 s4=$7 s6=$8 smac=$9
  ip -n "$P-$cns" link set "$dev" address "$cmac" mtu 1400 up
  ip -n "$P-$sns" link set "$dev" address "$smac" mtu 1400 up
  ip -n "$P-$cns" addr add "$c4/24" dev "$dev"
  ip -n "$P-$sns" addr add "$s4/24" dev "$dev"
  ip -n "$P-$cns" neigh replace "$s4" lladdr "$smac" dev "$dev" nud permanent
  ip -n "$P-$sns" neigh replace "$c4" lladdr "$cmac" dev "$dev" nud permanent
  if [[ -n $c6 ]]; then
    ip -n "$P-$cns" addr add "$c6/64" dev "$dev" nodad
    ip -n "$P-$sns" addr add "$s6/64" dev "$dev" nodad
    ip -n "$P-$cns" neigh replace "$s6" lladdr "$smac" dev "$dev" nud permanent
    ip -n "$P-$sns" neigh replace "$c6" lladdr "$cmac" dev "$dev" nud permanent
  fi
}

start_server() {  # NS MODE ARGS...
  local n=$1 mode=$2; shift 2
  local ready=$WORK/ready.$RANDOM.$RANDOM
  ip netns exec "$P-$n" timeout 300 "$PY" "$PYCLIENT" serve --mode "$mode" --ready "$ready" --duration 280 "$@" &
  PIDS+=("$!")
  local i
  for ((i = 0; i < 50; i++)); do [[ -e $ready ]] && return 0; sleep 0.1; done
  echo "server $mode in $n did not start" >&2
  return 1
}

cap_start() {  # FILE
  CAP_LOG=$WORK/cap.log
  : >"$CAP_LOG"
  rm -f "$OUT/$1"
  ip netns exec "$P-u1" timeout -s INT 120 tcpdump -Z root -n -U -i v1 -w "$OUT/$1" "$FILTER" 2>"$CAP_LOG" &
  CAP_PID=$!
  PIDS+=("$CAP_PID")
  local i
  for ((i = 0; i < 100; i++)); do
    grep -q "listening on" "$CAP_LOG" && { sleep 0.5; return 0; }
    sleep 0.1
  done
  cat "$CAP_LOG" >&2
  return 1
}

cap_stop() {  # RESULTS...: wait until SETTLE s past the last attempt's first SYN, then SIGINT
  local wait_s
  wait_s=$("$PY" - "$SETTLE" "$@" <<'EOF'
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
}

# client_bg NS RESULTS TUNNEL-JSON ARGS...: connect() attempts in the background, bounded
client_bg() {
  local n=$1 out=$2 tunnel=$3; shift 3
  ip netns exec "$P-$n" timeout 60 "$PY" "$PYCLIENT" connect --out "$out" --tunnel "$tunnel" "$@" &
  PIDS+=("$!")
  CLIENT_PID=$!
}

expected() {  # NAME STORY RESULTS... -- RULES...
  local name=$1 story=$2; shift 2
  local args=(--scenario "$name" --format pcap --link ETHERNET --story "$story" --captured "tcpdump -i v1 in $P-u1 (the underlay)")
  while [[ $1 != -- ]]; do args+=(--results "$1"); shift; done
  shift
  while [[ $# -gt 0 ]]; do args+=(--on "$1"); shift; done
  "$PY" "$PYCLIENT" expected --out "$OUT/$name.expected.json" "${args[@]}"
}

tun() {  # KIND-ID-OUTER: the record's tunnel object
  printf '{"kind": "vxlan", "vni": %s, "outer": {"src": "%s", "dst": "%s"}}' "$1" "$2" "$3"
}

# ------------------------------------------------------------------ scenarios

sc_vxlan_ipv4() {
  local name=vxlan-ipv4-underlay
  log "$name"
  local t42 t43
  t42=$(tun 42 10.199.11.1 10.199.11.2)
  t43=$(tun 43 10.199.11.1 10.199.11.2)
  start_server s42 echo --listen 192.168.77.2,8080
  local srv42=${PIDS[-1]}
  start_server s43 echo --listen 192.168.77.2,8080
  local srv43=${PIDS[-1]}
  nsx s42 iptables -A INPUT -p tcp --dport 8081 -j DROP
  nsx s42 iptables -A INPUT -p tcp --dport 8082 -j REJECT --reject-with icmp-host-prohibited
  cap_start "$name.pcap"
  # The same 4-tuple in both VNIs, at the same time: established in 42 and in 43.
  client_bg c42 "$(res v4-a)" "$t42" --bind 192.168.77.1 --attempt 40101,192.168.77.2,8080 --send hello
  local a=$CLIENT_PID
  client_bg c43 "$(res v4-b)" "$t43" --bind 192.168.77.1 --attempt 40101,192.168.77.2,8080 --send hello
  local b=$CLIENT_PID
  wait "$a" "$b"
  # Again one 4-tuple in both: dropped by VNI 42's server, refused (nothing listens on 8081) in VNI 43.
  client_bg c42 "$(res v4-c)" "$t42" --bind 192.168.77.1 --attempt 40102,192.168.77.2,8081
  a=$CLIENT_PID
  sleep 0.3
  client_bg c43 "$(res v4-d)" "$t43" --bind 192.168.77.1 --attempt 40102,192.168.77.2,8081
  b=$CLIENT_PID
  client_bg c42 "$(res v4-e)" "$t42" --bind 192.168.77.1 --attempt 40103,192.168.77.2,8082
  local c=$CLIENT_PID
  wait "$a" "$b" "$c"
  cap_stop "$(res v4-a)" "$(res v4-b)" "$(res v4-c)" "$(res v4-d)" "$(res v4-e)"
  expected "$name" "VXLAN (VNI 42 and 43, UDP 4789) over an IPv4 underlay; equal inner 4-tuples in both VNIs" \
    "$(res v4-a)" "$(res v4-b)" "$(res v4-c)" "$(res v4-d)" "$(res v4-e)" -- \
    null=established ECONNREFUSED=refused@server ETIMEDOUT=dropped EHOSTUNREACH=rejected@server
  nsx s42 iptables -F
  kill "$srv42" "$srv43" 2>/dev/null || true
  README_LINES+=("- \`$name.pcap\` — VXLAN over an IPv4 underlay (UDP 4789, VNIs 42 and 43 between 10.199.11.1 and 10.199.11.2; each VNI's devices moved into their own namespaces, so both hold 192.168.77.1 → 192.168.77.2): the same 4-tuple :40101 → :8080 established in both VNIs at once; :40102 → :8081 dropped in VNI 42 (\`iptables -A INPUT -p tcp --dport 8081 -j DROP\` in its server) while refused in VNI 43; :40103 → :8082 rejected in VNI 42 (\`REJECT --reject-with icmp-host-prohibited\`, the ICMP inside the tunnel); tcpdump on the underlay veth; made by \`scripts/capture/make-tunnel-captures.sh\`.")
}

sc_vxlan_ipv6() {
  local name=vxlan-ipv6-underlay
  log "$name"
  local t52
  t52=$(tun 52 fd77:11::1 fd77:11::2)
  start_server s52 echo --listen fd77:78::2,8080 --listen 192.168.78.2,8080
  local srv=${PIDS[-1]}
  nsx s52 ip6tables -A INPUT -p tcp --dport 8081 -j DROP
  nsx s52 ip6tables -A INPUT -p tcp --dport 8082 -j REJECT --reject-with icmp6-adm-prohibited
  cap_start "$name.pcap"
  client_bg c52 "$(res v6-a)" "$t52" --bind 192.168.78.1 --bind6 fd77:78::1 \
    --attempt 40201,fd77:78::2,8080 --attempt 40202,192.168.78.2,8080 --attempt 40203,fd77:78::2,9 --send hello
  wait "$CLIENT_PID"
  client_bg c52 "$(res v6-b)" "$t52" --bind 192.168.78.1 --bind6 fd77:78::1 \
    --attempt 40204,fd77:78::2,8081 --attempt 40205,fd77:78::2,8082 --stagger 0.2
  wait "$CLIENT_PID"
  cap_stop "$(res v6-a)" "$(res v6-b)"
  expected "$name" "VXLAN (VNI 52, UDP 8472) over an IPv6 underlay, IPv6 and IPv4 inside" "$(res v6-a)" "$(res v6-b)" -- \
    null=established ECONNREFUSED=refused@server ETIMEDOUT=dropped EACCES=rejected@server
  nsx s52 ip6tables -F
  kill "$srv" 2>/dev/null || true
  README_LINES+=("- \`$name.pcap\` — VXLAN over an IPv6 underlay (UDP 8472, Linux's default port, VNI 52 between fd77:11::1 and fd77:11::2): inside, fd77:78::1 → [fd77:78::2]:8080 and 192.168.78.1 → 192.168.78.2:8080 established, [fd77:78::2]:9 refused, :8081 dropped (\`ip6tables ... -j DROP\` in the server), :8082 rejected (\`REJECT --reject-with icmp6-adm-prohibited\`: ICMPv6 1/1, EACCES); tcpdump on the underlay veth; made by \`scripts/capture/make-tunnel-captures.sh\`.")
}

sc_vxlan_fragmented() {
  local name=vxlan-fragmented
  log "$name"
  local t42
  t42=$(tun 42 10.199.11.1 10.199.11.2)
  # An underlay MTU of 96 bytes under a 1400-byte overlay: the kernel fragments every VXLAN datagram
  # (the vxlan device leaves DF clear), and the first fragment ends inside the inner TCP header.
  ip -n "$P-u1" link set v1 mtu 96
  ip -n "$P-u2" link set v2 mtu 96
  start_server s42 echo --listen 192.168.77.2,8080
  local srv=${PIDS[-1]}
  nsx s42 iptables -A INPUT -p tcp --dport 8082 -j REJECT --reject-with icmp-host-prohibited
  cap_start "$name.pcap"
  client_bg c42 "$(res fr-a)" "$t42" --bind 192.168.77.1 \
    --attempt 40301,192.168.77.2,8080 --attempt 40302,192.168.77.2,9 --attempt 40303,192.168.77.2,8082 --send hello
  wait "$CLIENT_PID"
  cap_stop "$(res fr-a)"
  expected "$name" "VXLAN over an IPv4 underlay with a 96-byte MTU: every outer datagram fragmented" "$(res fr-a)" -- \
    null=established ECONNREFUSED=refused@server EHOSTUNREACH=rejected@server
  nsx s42 iptables -F
  kill "$srv" 2>/dev/null || true
  ip -n "$P-u1" link set v1 mtu 1500
  ip -n "$P-u2" link set v2 mtu 1500
  README_LINES+=("- \`$name.pcap\` — VXLAN VNI 42 over IPv4 with the underlay veths at MTU 96 and the VXLAN devices at 1400: the kernel fragments each outer UDP datagram (DF clear), the first fragment ending inside the inner TCP header; 192.168.77.1 → 192.168.77.2:8080 established, :9 refused, :8082 rejected (\`REJECT --reject-with icmp-host-prohibited\`); every frame of an attempt lists its fragments; tcpdump on the underlay veth; made by \`scripts/capture/make-tunnel-captures.sh\`.")
}

setup
sc_vxlan_ipv4
sc_vxlan_ipv6
sc_vxlan_fragmented
log "done; captures/README.md lines:"
printf '%s\n' "${README_LINES[@]}"
