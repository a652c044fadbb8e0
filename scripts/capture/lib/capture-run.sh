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

# shellcheck source=three-namespaces.sh
source "$ROOT/scripts/capture/lib/three-namespaces.sh"
