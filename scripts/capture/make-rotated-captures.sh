#!/usr/bin/env bash
# Record multi-file captures of the Linux kernel's own handshakes: sets rotated by tcpdump's own
# -G (time) and -C (size), a dumpcap ring buffer (pcapng), and two files of one router captured on
# its two interfaces at once.
# Each set is a folder under captures/ (read as one capture: `synscope read captures/rotated-G`)
# with captures/<set>.expected.json built from what the real clients' connect() returned.
# Leaves every other capture alone (scripts/capture/make-captures.sh rebuilds those).
#
#   sudo bash scripts/capture/make-rotated-captures.sh [rotated-G|rotated-C|two-interfaces|ring-dumpcap]   (all by default)
#
# Topology (namespaces this script creates and deletes; no route to the outside):
#   ss11a-client c-r 10.77.1.2/24 — ss11a-router r-c 10.77.1.1/24, r-s 10.77.2.1/24 — ss11a-server s-r 10.77.2.2/24
# Client tcp_syn_retries=2: an unanswered SYN is retransmitted about every second (tcp_syn_linear_timeouts=4,
# the kernel default), connect() gives up with ETIMEDOUT after ~7 s. Every background process runs under
# `timeout` and is ended by its pid.
set -euo pipefail
export LC_ALL=C

C=ss11a-client
R=ss11a-router
S=ss11a-server
FILTER='tcp or icmp'
SETTLE=4.5

# shellcheck source=lib/capture-run.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/capture-run.sh"
capture_run make-rotated-captures ip iptables tcpdump dumpcap gzip timeout

setup() {
  three_namespaces "$C" "$R" "$S"
  nsx "$C" sysctl -qw net.ipv4.tcp_syn_retries=2
  nsx "$S" sysctl -qw net.ipv4.tcp_synack_retries=2
  # Fixed firewall rules, one port per story:
  #   8084 dropped by the server's INPUT chain (seen on both router interfaces)
  #   8085 accepted, but the router drops the SYN/ACKs toward the client (timed-out: the client's
  #        application gives up after 0.5 s; its kernel never saw a SYN/ACK, so nothing answers them)
  #   8086 rejected by the router with ICMP admin prohibited (seen on r-c only)
  nsx "$S" iptables -A INPUT -p tcp --dport 8084 -j DROP
  nsx "$S" iptables -A INPUT -p udp --dport 9999 -j DROP
  nsx "$R" iptables -A FORWARD -p tcp -s 10.77.2.2 --sport 8085 --tcp-flags SYN,ACK SYN,ACK -j DROP
  nsx "$R" iptables -A FORWARD -p tcp -d 10.77.2.2 --dport 8086 -j REJECT --reject-with icmp-admin-prohibited
  start_server echo --listen 10.77.2.2,8080 --listen 10.77.2.2,8084 --listen 10.77.2.2,8085
  start_server rst --listen 10.77.2.2,8081
  sleep 0.5
  nsx "$C" timeout 10 "$PY" -c 'import socket; socket.create_connection(("10.77.2.2", 8080), 3).close()' \
    || { echo "setup: no connection to 10.77.2.2:8080" >&2; return 1; }
  log "topology up"
}

start_server() {
  local mode=$1; shift
  local ready=$WORK/ready.$mode
  ip netns exec "$S" timeout 600 "$PY" "$PYCLIENT" serve --mode "$mode" --ready "$ready" --duration 580 "$@" &
  PIDS+=($!)
  local i
  for ((i = 0; i < 50; i++)); do [[ -e $ready ]] && return 0; sleep 0.1; done
  echo "server $mode did not start" >&2
  return 1
}

# attempt RESULT ARGS... : one connect() in the background (its errno lands in $WORK/RESULT.json)
ATTEMPT_PIDS=()
attempt() {
  local res=$WORK/$1.json; shift
  ip netns exec "$C" timeout 60 "$PY" "$PYCLIENT" connect --out "$res" "$@" &
  ATTEMPT_PIDS+=($!)
  PIDS+=($!)
}

wait_attempts() {
  local p
  for p in "${ATTEMPT_PIDS[@]}"; do wait "$p"; done
  ATTEMPT_PIDS=()
}

# fill: ~1 MB of capture (18 000 one-byte UDP datagrams, which the server's firewall drops) so that -C 1 rotates
fill() {
  nsx "$C" timeout 30 "$PY" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(18000): s.sendto(b"x", ("10.77.2.2", 9999))'
}

# capture NAME IFACE TCPDUMP-ARGS... : tcpdump into $OUT/NAME/, in the router, in the background
# (dumpcap instead when TOOL=dumpcap is set in front)
CAP_PIDS=()
capture() {
  local name=$1 iface=$2; shift 2
  local logf=$WORK/cap.$name.$iface.log ready="listening on"
  mkdir -p "$OUT/$name"
  if [[ ${TOOL:-tcpdump} == dumpcap ]]; then
    ip netns exec "$R" timeout -s INT 120 dumpcap -i "$iface" "$@" 2>"$logf" &
    ready="Capturing on"
  else
    ip netns exec "$R" timeout -s INT 120 tcpdump -Z root -n -U -i "$iface" "$@" 2>"$logf" &
  fi
  CAP_PIDS+=($!)
  PIDS+=($!)
  local i
  for ((i = 0; i < 100; i++)); do grep -q "$ready" "$logf" && { sleep 0.5; return 0; }; sleep 0.1; done
  cat "$logf" >&2
  return 1
}

stop_captures() {
  local p
  sleep "$SETTLE"
  for p in "${CAP_PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${CAP_PIDS[@]}"; do wait "$p" || true; done
  CAP_PIDS=()
}

# The five stories of a rotated set, started in turn; `between` runs between two of them.
stories() {
  local tag=$1 between=$2
  attempt "$tag-dropped" --attempt "41${tag}01,10.77.2.2,8084"
  sleep 0.3; $between
  attempt "$tag-established" --send hello --attempt "41${tag}02,10.77.2.2,8080"
  sleep 1.2; $between
  attempt "$tag-timed-out" --app-timeout 0.5 --attempt "41${tag}03,10.77.2.2,8085"
  sleep 1.0; $between
  attempt "$tag-refused" --attempt "41${tag}04,10.77.2.2,9"
  sleep 1.0
  attempt "$tag-reset" --expect-reset --attempt "41${tag}05,10.77.2.2,8081"
  wait_attempts
}

# expected NAME STORY CAPTURED MIN_FILES RESULTS... : writes captures/NAME.expected.json (FORMAT=pcapng in front for dumpcap's)
expected() {
  local name=$1 story=$2 captured=$3 minfiles=$4; shift 4
  local args=() r
  for r in "$@"; do args+=(--results "$WORK/$r.json"); done
  "$PY" "$PYCLIENT" expected --out "$OUT/$name.expected.json" --scenario "$name" --format "${FORMAT:-pcap}" --link ETHERNET \
    --story "$story" --captured "$captured" "${args[@]}" \
    --on null=established@server --on ECONNREFUSED=refused@server --on EHOSTUNREACH=rejected@10.77.1.1 \
    --on ETIMEDOUT=dropped
  # The sets' own facts: how many files tcpdump wrote, and the attempt whose SYNs (a second apart)
  # necessarily fall into more than one of them.
  "$PY" - "$OUT/$name.expected.json" "$OUT/$name" "$minfiles" <<'EOF'
import json, os, sys
path, folder, minfiles = sys.argv[1], sys.argv[2], int(sys.argv[3])
doc = json.load(open(path))
doc["files"] = len(os.listdir(folder))
for h in doc["handshakes"]:
    if h["server"]["port"] == 8085:
        # the application's own 0.5 s timer (ETIMEDOUT): the server's SYN/ACKs never reached it
        h["outcome"], h["errno"] = "timed-out", "ETIMEDOUT"
    if h["outcome"] == "dropped" and minfiles > 1:
        h["minFiles"] = minfiles
json.dump(doc, open(path, "w"), indent=2)
open(path, "a").write("\n")
EOF
}

# rotated NAME TAG BETWEEN STORY CAPTURED TCPDUMP-ARGS... : the five stories into a rotated set on r-s
rotated() {
  local name=$1 tag=$2 between=$3 story=$4 captured=$5; shift 5
  rm -rf "${OUT:?}/$name"
  capture "$name" r-s "$@"
  stories "$tag" "$between"
  stop_captures
  expected "$name" "$story" "$captured" 2 "$tag-dropped" "$tag-established" "$tag-timed-out" "$tag-refused" "$tag-reset"
}

rotated_G() {
  rotated rotated-G 1 true \
    "tcpdump -G 1 on the router's server-side veth: a new file every second. A SYN dropped by the server's firewall (retransmitted about every second, ETIMEDOUT after ~7 s), an established echo, a timed-out attempt (the router drops the server's SYN/ACK and its retransmissions on their way to the client, whose application gives up after 0.5 s), a refused port and a connection the server resets after accept." \
    "router, server-side veth r-s, tcpdump -G 1" -G 1 -w "$OUT/rotated-G/rot-%Y%m%d-%H%M%S.pcap" "$FILTER"
}

rotated_C() {
  rotated rotated-C 2 fill \
    "tcpdump -C 1 -z gzip on the router's server-side veth: a new file after every 1 MB (bursts of UDP datagrams fill them), each finished file gzipped. The same five stories as rotated-G, with the dropped SYN's retransmissions in later files." \
    "router, server-side veth r-s, tcpdump -C 1 -z gzip" -C 1 -z gzip -w "$OUT/rotated-C/ring.pcap" "$FILTER or udp"
}

ring_dumpcap() {
  TOOL=dumpcap FORMAT=pcapng rotated ring-dumpcap 4 true \
    "dumpcap -b duration:1 on the router's server-side veth: a pcapng ring buffer, a new file every second. The same five stories as rotated-G." \
    "router, server-side veth r-s, dumpcap -b duration:1" -f "$FILTER" -b duration:1 -w "$OUT/ring-dumpcap/ring.pcapng"
}

two_interfaces() {
  local name=two-interfaces
  rm -rf "${OUT:?}/$name"
  capture "$name" r-c -w "$OUT/$name/router-r-c.pcap" "$FILTER"
  capture "$name" r-s -w "$OUT/$name/router-r-s.pcap" "$FILTER"
  attempt 3-dropped --attempt "41301,10.77.2.2,8084"
  sleep 0.2
  attempt 3-established --send hello --attempt "41302,10.77.2.2,8080"
  sleep 0.2
  attempt 3-refused --attempt "41304,10.77.2.2,9"
  sleep 0.2
  attempt 3-rejected --attempt "41306,10.77.2.2,8086"
  wait_attempts
  stop_captures
  expected "$name" \
    "Two tcpdumps in the router at once, one on each veth (r-c toward the client, r-s toward the server): their files overlap in time and hold the same packets on either side of the router. A SYN dropped by the server's firewall, an established echo, a refused port, and a SYN the router itself rejects with ICMP admin prohibited (seen on r-c only)." \
    "router, r-c and r-s, one tcpdump each" 1 3-dropped 3-established 3-refused 3-rejected
}

main() {
  setup
  local only=${1:-all}
  [[ $only == all || $only == rotated-G ]] && rotated_G
  [[ $only == all || $only == rotated-C ]] && rotated_C
  [[ $only == all || $only == two-interfaces ]] && two_interfaces
  [[ $only == all || $only == ring-dumpcap ]] && ring_dumpcap
  log "done"
}

main "$@"
