#!/usr/bin/env bash
# Renders a --chart SVG to PNG in headless Chromium, to check how a browser draws it:
#   scripts/docs/chart-png.sh timeline.svg timeline.png
# Needs chromium (apt-get install chromium). Runs as root too (--no-sandbox), with a throw-away profile
# and no network use of its own.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 <chart.svg> <out.png>" >&2
  exit 2
fi
svg=$(realpath "$1")
out=$(realpath -m "$2")
[ -f "$svg" ] || { echo "$0: $1: no such file" >&2; exit 2; }
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "$0: no chromium found (apt-get install chromium)" >&2; exit 2; }
# The picture's own size, from the SVG's width and height attributes.
w=$(sed -n 's/^<svg [^>]*width="\([0-9]*\)".*/\1/p' "$svg" | head -1)
h=$(sed -n 's/^<svg [^>]*height="\([0-9]*\)".*/\1/p' "$svg" | head -1)
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
rm -f "$out"
timeout 60 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
  --user-data-dir="$profile" --screenshot="$out" --window-size="${w:-960},${h:-420}" "file://$svg" >/dev/null 2>&1 || true
[ -s "$out" ] || { echo "$0: chromium wrote no $out" >&2; exit 1; }
echo "$out"
