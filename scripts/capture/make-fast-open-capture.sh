#!/usr/bin/env bash
# Record captures/fast-open.pcap: TCP Fast Open (RFC 7413) as the Linux kernel does it. The client
# connects with sendto(MSG_FASTOPEN):
#   1. to :8080 (a Fast Open listener) without a cookie yet: its SYN asks for one, the SYN/ACK brings it;
#   2. to :8080 again: the data rides in the SYN and the SYN/ACK acknowledges it (ISN + 1 + length);
#   3. to :8081, a listener without Fast Open: the SYN carries data and the cookie, the SYN/ACK
#      acknowledges the SYN alone (ISN + 1) and the client sends the data again after the handshake;
#   4. to :8082, where nothing listens: the reset acknowledges the SYN's data too (ISN + 1 + length).
# Writes captures/fast-open.expected.json from what the real client's sendto() returned. Leaves
# every other capture alone.
#
#   sudo bash scripts/capture/make-fast-open-capture.sh
#
# Topology (namespaces this script creates and deletes; no route to the outside):
#   ss16-client c-r 10.77.1.2/24 — ss16-router r-c 10.77.1.1/24, r-s 10.77.2.1/24 — ss16-server s-r 10.77.2.2/24
# Every background process runs under `timeout` and is ended by its pid.
set -euo pipefail
export LC_ALL=C

C=ss16-client
R=ss16-router
S=ss16-server
NAME=fast-open

# shellcheck source=lib/capture-run.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/capture-run.sh"
capture_run make-fast-open-capture ip sysctl tcpdump timeout

three_namespaces "$C" "$R" "$S"
# Fast Open: the client side in the client's namespace (bit 1), the server side in the server's (bit 2).
nsx "$C" sysctl -qw net.ipv4.tcp_fastopen=1
nsx "$S" sysctl -qw net.ipv4.tcp_fastopen=2

serve_echo "$S" --listen 10.77.2.2,8080 --listen 10.77.2.2,8081 --fastopen-port 8080
log "topology up"

capture_start "$R" r-c "$OUT/$NAME.pcap"

n=0
for port in 8080 8080 8081 8082; do
  n=$((n + 1))
  nsx "$C" timeout 30 "$PY" "$PYCLIENT" connect --out "$WORK/r$n.json" --fastopen --send "hello over fast open" \
    --attempt "$((40200 + n)),10.77.2.2,$port"
  sleep 0.2
done
sleep 1
capture_stop

args=()
for ((k = 1; k <= n; k++)); do args+=(--results "$WORK/r$k.json"); done
"$PY" "$PYCLIENT" expected --out "$OUT/$NAME.expected.json" --scenario "$NAME" --format pcap --link ETHERNET \
  --story "TCP Fast Open: a SYN asking for a cookie, a SYN carrying data that the SYN/ACK acknowledges, a SYN carrying data that a listener without Fast Open ignores (the client sends it again), and a SYN carrying data to a closed port, refused by a reset that acknowledges the data." \
  --captured "router, client-side veth r-c" "${args[@]}" --on null=established@server --on ECONNREFUSED=refused@server
log "wrote $OUT/$NAME.pcap and $OUT/$NAME.expected.json"
