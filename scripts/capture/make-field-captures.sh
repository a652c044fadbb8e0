#!/usr/bin/env bash
# Record the captures of what a capture cannot show: one direction only, packets missing from the
# capture, answers stamped before their SYN, timestamps going backwards. One run of real clients
# in three network namespaces (six connects: three echoes, a refused, a rejected and a dropped one) is
# captured twice at once:
#
#   - on the client, `tcpdump -i c-r 'src host 10.77.1.2'`: one direction only, as captured;
#   - on the router's client-side veth, both directions: the base a capture is cut from with
#     editcap / mergecap (not shipped itself: every handshake in it is a clean case already).
#
# Four runs, one per shipped capture, from different client ports, so that no two captures share a
# 4-tuple (test/live-replay.test.ts replays them all at once).
#
# Only these captures are written (the shipped ones of make-captures.sh are left alone):
#   captures/one-sided-client.pcap      captures/lossy-edited.pcap
#   captures/reordered-answers.pcap     captures/clock-step-back.pcap
# each with its .expected.json: the verdicts from what the real clients' connect() returned, plus
# what the capture can honestly say (the `doubt`, the findings, the capture-loss counts).
#
#   sudo bash scripts/capture/make-field-captures.sh
#
# Topology (same addresses as make-captures.sh, in namespaces of their own, ss11c-*; no route out):
#   ss11c-client c-r 10.77.1.2/24 — ss11c-router r-c 10.77.1.1/24, r-s 10.77.2.1/24 — ss11c-server s-r 10.77.2.2/24
# (scripts/capture/lib/three-namespaces.sh)
# Every background process runs under `timeout` and is ended by its pid; the namespaces are
# deleted on exit, even on failure.
set -euo pipefail
export LC_ALL=C

C=ss11c-client
R=ss11c-router
S=ss11c-server
FILTER='tcp or icmp'

# shellcheck source=lib/capture-run.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/capture-run.sh"
capture_run make-field-captures ip iptables tcpdump tshark editcap mergecap timeout

three_namespaces "$C" "$R" "$S"
# unanswered connects give up within ~7 s (SYN at 0, 1, 3 s)
nsx "$C" sysctl -qw net.ipv4.tcp_syn_retries=2
nsx "$S" sysctl -qw net.ipv4.tcp_synack_retries=2
# the router drops SYNs to :8083 and rejects those to :8084 (ICMP host prohibited)
nsx "$R" iptables -A FORWARD -p tcp -d 10.77.2.2 --dport 8083 -j DROP
nsx "$R" iptables -A FORWARD -p tcp -d 10.77.2.2 --dport 8084 -j REJECT --reject-with icmp-host-prohibited

ready=$WORK/ready
ip netns exec "$S" timeout 120 "$PY" "$PYCLIENT" serve --mode echo --ready "$ready" --duration 100 --listen 10.77.2.2,8080 &
PIDS+=($!)
for ((i = 0; i < 50; i++)); do [[ -e $ready ]] && break; sleep 0.1; done
[[ -e $ready ]] || { echo "server did not start" >&2; exit 1; }

# cap NS FILE LOG TCPDUMP-ARGS... -> waits until tcpdump listens
cap() {
  local n=$1 file=$2 logf=$3; shift 3
  : >"$logf"
  ip netns exec "$n" timeout -s INT 60 tcpdump -Z root -n -U -w "$file" "$@" 2>"$logf" &
  PIDS+=($!)
  CAP_PIDS+=($!)
  for ((i = 0; i < 100; i++)); do grep -q "listening on" "$logf" && return 0; sleep 0.1; done
  cat "$logf" >&2
  return 1
}
# run NAME BASE: six connects from client ports BASE+1..BASE+6 (three echo a line to :8080, then :9
# refused, :8084 rejected by the router, :8083 dropped by the router), captured on the client with
# `src host` (WORK/NAME-client.pcap) and on the router's client-side veth (WORK/NAME-router.pcap);
# what connect() returned in WORK/NAME.json. Each capture gets its own run, so their 4-tuples differ.
run() {
  local name=$1 base=$2 p
  CAP_PIDS=()
  cap "$C" "$WORK/$name-client.pcap" "$WORK/c.log" -i c-r "src host 10.77.1.2 and ($FILTER)"
  cap "$R" "$WORK/$name-router.pcap" "$WORK/r.log" -i r-c "$FILTER"
  sleep 0.5
  nsx "$C" timeout 60 "$PY" "$PYCLIENT" connect --out "$WORK/$name.json" --stagger 0.3 --send hello \
    --attempt $((base + 1)),10.77.2.2,8080 --attempt $((base + 2)),10.77.2.2,8080 --attempt $((base + 3)),10.77.2.2,8080 \
    --attempt $((base + 4)),10.77.2.2,9 --attempt $((base + 5)),10.77.2.2,8084 --attempt $((base + 6)),10.77.2.2,8083
  sleep 1
  for p in "${CAP_PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${CAP_PIDS[@]}"; do wait "$p" || true; done
  log "recorded $name"
}
run one-sided-client 41100
run lossy-edited 41110
run reordered-answers 41120
run clock-step-back 41130
cp "$WORK/one-sided-client-client.pcap" "$OUT/one-sided-client.pcap"

# frame NAME FILTER: the first frame of the router capture of run NAME that FILTER matches
frame() { tshark -r "$WORK/$1-router.pcap" -Y "$2" -T fields -e frame.number | head -1; }

# lossy: E1's SYN, E2's SYN/ACK and R's RST taken out, as a capture that missed them would hold
E1_SYN=$(frame lossy-edited 'tcp.srcport==41111 && tcp.flags.syn==1 && tcp.flags.ack==0')
E2_SYNACK=$(frame lossy-edited 'tcp.dstport==41112 && tcp.flags.syn==1 && tcp.flags.ack==1')
R_RST=$(frame lossy-edited 'tcp.dstport==41114 && tcp.flags.reset==1')
[[ -n $E1_SYN && -n $E2_SYNACK && -n $R_RST ]] || { echo "lossy base capture lacks a packet" >&2; exit 1; }
editcap -F pcap "$WORK/lossy-edited-router.pcap" "$OUT/lossy-edited.pcap" "$E1_SYN" "$E2_SYNACK" "$R_RST"

# reordered: every answer to a SYN stamped 1 ms earlier (two queues or interfaces whose clocks
# differ), then merged by time as mergecap does: each answer lands before its SYN
ANSWERS='(tcp.flags.syn==1 && tcp.flags.ack==1) || (tcp.flags.reset==1 && tcp.seq_raw==0) || icmp'
tshark -r "$WORK/reordered-answers-router.pcap" -Y "$ANSWERS" -F pcap -w "$WORK/answers.pcap"
tshark -r "$WORK/reordered-answers-router.pcap" -Y "!($ANSWERS)" -F pcap -w "$WORK/rest.pcap"
editcap -F pcap -t -0.001 "$WORK/answers.pcap" "$WORK/answers-early.pcap"
mergecap -F pcap -w "$OUT/reordered-answers.pcap" "$WORK/rest.pcap" "$WORK/answers-early.pcap"

# clock step: after D's first SYN, every timestamp 20 s earlier (a clock stepped back while D waits
# for an answer; a clock that follows the stamps would end the capture 0 s after D began)
D_SYN=$(frame clock-step-back 'tcp.srcport==41136 && tcp.flags.syn==1 && tcp.flags.ack==0')
LAST=$(tshark -r "$WORK/clock-step-back-router.pcap" -T fields -e frame.number | tail -1)
[[ -n $D_SYN ]] || { echo "clock-step base capture lacks a packet" >&2; exit 1; }
editcap -F pcap -r "$WORK/clock-step-back-router.pcap" "$WORK/part1.pcap" "1-$D_SYN"
editcap -F pcap -r "$WORK/clock-step-back-router.pcap" "$WORK/part2.pcap" "$((D_SYN + 1))-$LAST"
editcap -F pcap -t -20 "$WORK/part2.pcap" "$WORK/part2-back.pcap"
mergecap -F pcap -a -w "$OUT/clock-step-back.pcap" "$WORK/part1.pcap" "$WORK/part2-back.pcap"

# expected files: the outcome each client's errno means in each capture, then what can be said
exp() {  # NAME STORY CAPTURED RULES...
  local name=$1 story=$2 captured=$3; shift 3
  local args=()
  for r in "$@"; do args+=(--on "$r"); done
  "$PY" "$PYCLIENT" expected --out "$OUT/$name.expected.json" --scenario "$name" --format pcap --link ETHERNET \
    --story "$story" --captured "$captured" --results "$WORK/$name.json" "${args[@]}"
}
exp one-sided-client \
  "Six connects (three echo a line, one refused, one rejected by the router with ICMP host prohibited, one dropped by the router) captured on the client with a filter on its own address: no answer is in the capture. The established ones show by the client's ACKs; the others all look unanswered." \
  "client veth c-r, tcpdump 'src host 10.77.1.2'" \
  null=established ECONNREFUSED=dropped EHOSTUNREACH=dropped ETIMEDOUT=dropped
exp lossy-edited \
  "The same six connects (ports 41111-41116) captured on the router (both directions), then three packets taken out with editcap: 41111's SYN, 41112's SYN/ACK and 41114's RST. 41111 is no attempt any more (an answer without its SYN), 41112 is established by its client's ACK of a SYN/ACK not captured, 41114 (refused for the client) looks dropped." \
  "router veth r-c, then three frames deleted by number with editcap" \
  null=established@server ECONNREFUSED=dropped EHOSTUNREACH=rejected@10.77.1.1 ETIMEDOUT=dropped
exp reordered-answers \
  "The same six connects (ports 41121-41126) captured on the router (both directions); every SYN/ACK, RST and ICMP answering a SYN is stamped 1 ms earlier and merged back by time, so each lands before its SYN." \
  "router veth r-c, answers shifted with editcap -t -0.001 and merged with mergecap" \
  null=established@server ECONNREFUSED=refused@server EHOSTUNREACH=rejected@10.77.1.1 ETIMEDOUT=dropped
exp clock-step-back \
  "The same six connects (ports 41131-41136) captured on the router (both directions); after the dropped attempt's first SYN, every timestamp is 20 s earlier (a clock stepped back), concatenated with mergecap -a." \
  "router veth r-c, the tail shifted with editcap -t -20 and appended" \
  null=established@server ECONNREFUSED=refused@server EHOSTUNREACH=rejected@10.77.1.1 ETIMEDOUT=dropped

"$PY" - "$OUT" "$E1_SYN" "$E2_SYNACK" "$R_RST" "$D_SYN" <<'EOF'
import json, sys
out = sys.argv[1]
def patch(name, fn):
    p = f"{out}/{name}.expected.json"
    d = json.load(open(p))
    fn(d)
    json.dump(d, open(p, "w"), indent=2)
    open(p, "a").write("\n")
def one_sided(d):
    for h in d["handshakes"]:
        if h["outcome"] == "dropped":
            h["doubt"] = "client-only"
    d["findings"] = ["one-direction"]
    # the clients' ACKs of the SYN/ACKs, echoed lines and FINs the capture does not hold
    d["captureLoss"] = {"answersWithoutSyn": 0, "minGaps": 3}
def lossy(d):
    d["handshakes"] = [h for h in d["handshakes"] if h["client"]["port"] != 41111]
    for h in d["handshakes"]:
        if h["client"]["port"] == 41112:
            del h["answerFrom"]  # its SYN/ACK is not in the capture
    for h in d["handshakes"]:
        if h["outcome"] == "dropped":
            h["doubt"] = "capture-loss"
    d["findings"] = ["capture-loss"]
    d["captureLoss"] = {"answersWithoutSyn": 1, "minGaps": 1}
    d["edited"] = {"removedFrames": [int(x) for x in sys.argv[2:5]]}
def reordered(d):
    d["answersBeforeSyn"] = 5
def step(d):
    d["findings"] = ["clock-backwards"]
    d["timestampsBackwards"] = {"count": 1, "firstFrame": int(sys.argv[5]) + 1}
patch("one-sided-client", one_sided)
patch("lossy-edited", lossy)
patch("reordered-answers", reordered)
patch("clock-step-back", step)
EOF
log "done: $(cd "$OUT" && ls -1 one-sided-client.pcap lossy-edited.pcap reordered-answers.pcap clock-step-back.pcap | tr '\n' ' ')"
