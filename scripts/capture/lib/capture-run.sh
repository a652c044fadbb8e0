# The start every capture-recording script shares: paths, the python client, root and tool checks, a
# work folder, the pids of background helpers, and a cleanup that ends those and deletes the
# namespaces "$C" "$R" "$S" however the script ends. Set C, R and S, source this file, then call
#   capture_run NAME TOOL...      (NAME prefixes messages; each TOOL must be on PATH)
# OUT (where captures go) defaults to captures/.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
OUT=${OUT:-$ROOT/captures}
PYCLIENT=$ROOT/scripts/capture/capture-client.py
if [[ -z ${PYTHON:-} && -x /usr/bin/python3 ]]; then PY=/usr/bin/python3; else PY=${PYTHON:-python3}; fi
RUN_NAME=capture
WORK=
PIDS=()

log() { printf '[%s %s] %s\n' "$RUN_NAME" "$(date +%T)" "$*" >&2; }

nsx() { local n=$1; shift; ip netns exec "$n" "$@"; }

cleanup() {
  local rc=$? p n
  set +e
  for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  for n in "$C" "$R" "$S"; do ip netns del "$n" 2>/dev/null; done
  [[ -n $WORK ]] && rm -rf "$WORK"
  [[ $rc -ne 0 ]] && log "FAILED (exit $rc); namespaces and helpers cleaned up"
  exit $rc
}

capture_run() {
  RUN_NAME=$1
  shift
  [[ $(id -u) -eq 0 ]] || { echo "$RUN_NAME: must run as root" >&2; exit 2; }
  local t
  for t in "$@" "$PY"; do
    command -v "$t" >/dev/null || { echo "$RUN_NAME: missing $t" >&2; exit 2; }
  done
  WORK=$(mktemp -d "/tmp/$RUN_NAME.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT TERM HUP
}

# serve_echo NS ARG... : the python echo server in namespace NS (listeners and options in ARG...), bounded
# by `timeout`; returns once it listens.
serve_echo() {
  local ns=$1 ready=$WORK/ready.$1 i
  shift
  ip netns exec "$ns" timeout 120 "$PY" "$PYCLIENT" serve --mode echo --ready "$ready" --duration 100 "$@" &
  PIDS+=($!)
  for ((i = 0; i < 50; i++)); do [[ -e $ready ]] && return 0; sleep 0.1; done
  echo "server did not start" >&2
  exit 1
}

# capture_start NS IFACE FILE : tcpdump on IFACE in namespace NS into FILE ('tcp or icmp'), bounded by
# `timeout`; returns once it listens. capture_stop ends it and waits for the file to be complete.
CAP=
capture_start() {
  local i
  rm -f "$3"
  ip netns exec "$1" timeout -s INT 60 tcpdump -Z root -n -U -i "$2" -w "$3" 'tcp or icmp' 2>"$WORK/cap.log" &
  CAP=$!
  PIDS+=("$CAP")
  for ((i = 0; i < 100; i++)); do grep -q "listening on" "$WORK/cap.log" && break; sleep 0.1; done
  sleep 0.5
}
capture_stop() {
  kill -INT "$CAP" 2>/dev/null || true
  wait "$CAP" || true
}

# shellcheck source=three-namespaces.sh
source "$ROOT/scripts/capture/lib/three-namespaces.sh"
