#!/usr/bin/env bash
# Peak memory of sweepd while it refuses hostile sweep files (docs/limits.md): starts a
# sweepd on a scratch database, sends each kind of hostile request with bench_hostile,
# once alone and four at once, and prints sweepd's peak RSS growth. Needs a build with
# -DSWEEP_BUILD_BENCH=ON. Usage: scripts/bench-hostile.sh [BYTES] (default 4 MiB).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${BIN:-$ROOT/build/bin}"
BYTES="${1:-4194304}"
DIR="$(mktemp -d)"
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DIR"' EXIT
for kind in ${KINDS:-deep-flow deep-map wide-flow wide-block trailing-json report-curve}; do
  for n in 1 4; do
    OUT="$DIR/$kind-$n.out"  # one per run: a reused file could still show the last address
    "$BIN/sweepd" --listen 127.0.0.1:0 --db "$DIR/$kind-$n.db" >"$OUT" 2>"$DIR/log" &
    PID=$!
    for _ in $(seq 100); do grep -q listening "$OUT" 2>/dev/null && break; sleep 0.1; done
    ADDR="$(sed -n 's/^listening on //p' "$OUT")"
    "$BIN/bench_hostile" --coordinator "$ADDR" --pid "$PID" --kind "$kind" --bytes "$BYTES" \
      --concurrent "$n"
    kill "$PID"; wait "$PID" || true
  done
done
