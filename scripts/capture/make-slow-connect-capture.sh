#!/usr/bin/env bash
# Record captures/slow-connect.pcap: connects that succeed, but only after the client retransmitted
# its SYN, beside connects to the same server that are answered at once. The router drops every
# other SYN to port 8087 (an iptables `statistic` rule standing in for loss or a listen queue that
# is full for a moment), so each connect to 8087 needs one retransmission, ~1 s in. Writes
# captures/slow-connect.expected.json from what the real clients' connect() returned and how long
# it took. Leaves every other capture alone.
#
#   sudo bash scripts/capture/make-slow-connect-capture.sh
#
# Topology (namespaces this script creates and deletes; no route to the outside):
#   ss15-client c-r 10.77.1.2/24 — ss15-router r-c 10.77.1.1/24, r-s 10.77.2.1/24 — ss15-server s-r 10.77.2.2/24
# Every background process runs under `timeout` and is ended by its pid.
set -euo pipefail
export LC_ALL=C

C=ss15-client
R=ss15-router
S=ss15-server
NAME=slow-connect

# shellcheck source=lib/capture-run.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/capture-run.sh"
capture_run make-slow-connect-capture ip iptables tcpdump timeout

three_namespaces "$C" "$R" "$S"
# Every other SYN to 8087 dropped by the router, after the capture point (tcpdump on r-c sees them all).
nsx "$R" iptables -A FORWARD -p tcp -d 10.77.2.2 --dport 8087 --tcp-flags SYN,ACK,RST SYN \
  -m statistic --mode nth --every 2 --packet 0 -j DROP

serve_echo "$S" --listen 10.77.2.2,8080 --listen 10.77.2.2,8087
log "topology up"

capture_start "$R" r-c "$OUT/$NAME.pcap"

# One client at a time: fast, slow, slow, fast, slow, slow, fast, slow.
n=0
for port in 8080 8087 8087 8080 8087 8087 8080 8087; do
  n=$((n + 1))
  nsx "$C" timeout 30 "$PY" "$PYCLIENT" connect --out "$WORK/r$n.json" --send hello --attempt "$((40100 + n)),10.77.2.2,$port"
  sleep 0.2
done
sleep 1
capture_stop

args=()
for ((k = 1; k <= n; k++)); do args+=(--results "$WORK/r$k.json"); done
"$PY" "$PYCLIENT" expected --out "$OUT/$NAME.expected.json" --scenario "$NAME" --format pcap --link ETHERNET \
  --story "Every connect succeeds; the router drops every other SYN to 10.77.2.2:8087, so each connect there waits for the client's SYN retransmission (~1 s); 8080 answers at once. connectSeconds: how long the client's connect() took." \
  --captured "router, client-side veth r-c" "${args[@]}" --on null=established@server
# The clients' own connect() durations, beside their verdicts.
"$PY" - "$OUT/$NAME.expected.json" "$WORK" "$n" <<'PYEOF'
import json, sys
path, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
doc = json.load(open(path))
took = {}
for k in range(1, n + 1):
    for r in json.load(open(f"{work}/r{k}.json")):
        took[r["client"]["port"]] = r["elapsed"]
for h in doc["handshakes"]:
    h["connectSeconds"] = took[h["client"]["port"]]
json.dump(doc, open(path, "w"), indent=2)
open(path, "a").write("\n")
PYEOF
log "wrote $OUT/$NAME.pcap and $OUT/$NAME.expected.json"
