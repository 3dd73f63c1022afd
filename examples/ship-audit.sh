#!/bin/sh
# Ships new audit events as NDJSON with a seq cursor: nothing missed, nothing shipped twice,
# whatever the events' timestamps. Run it from cron (see examples/crontab).
#   STATE: the last seq shipped;  OUT: the append-only NDJSON log (or pipe it to your shipper).
set -eu
STATE=${STATE:-/var/lib/accessctl/shipped-seq}
OUT=${OUT:-/var/log/accessctl-audit.ndjson}
ACCESSCTL=${ACCESSCTL:-accessctl}
last=$(cat "$STATE" 2>/dev/null || echo 0)
batch=$(mktemp)
trap 'rm -f "$batch"' EXIT
# Pages of 10,000 events until caught up.
while :; do
  $ACCESSCTL -f ndjson audit list --after-seq "$last" --limit 10000 > "$batch"
  [ -s "$batch" ] || break
  cat "$batch" >> "$OUT"
  # The cursor moves only after the batch is written: a crash in between can ship a page twice
  # (the receiver dedupes by seq), never skip one.
  last=$(tail -n 1 "$batch" | sed -n 's/^{"seq":\([0-9]*\),.*/\1/p')
  echo "$last" > "$STATE.tmp" && mv "$STATE.tmp" "$STATE"
done
[ -f "$STATE" ] || echo "$last" > "$STATE"
