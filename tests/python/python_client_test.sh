#!/usr/bin/env bash
# The Python example of docs/python.md against a real sweepd: examples/python/sweep_client.py
# submits and follows a sweep and loads its results; they must equal what `sweep results`
# prints, and examples/python/read_db.py must read every job from the SQLite file.
# Usage: python_client_test.sh BIN_DIR. Exit 77 (a skip, with the reason) where no Python
# has the grpc and protobuf modules (Debian: python3-grpcio python3-protobuf).
set -euo pipefail
BIN="$1"
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"

PY=""
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
    "$candidate" -c 'import grpc, google.protobuf' 2>/dev/null; then
    PY="$candidate"
    break
  fi
done
if [ -z "$PY" ]; then
  echo "SKIP: no python3 with the grpc and protobuf modules (apt-get install python3-grpcio python3-protobuf)"
  exit 77
fi

W="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$W"/*.log; do echo "--- $f" >&2; tail -n 20 "$f" >&2; done
  exit 1
}
wait_for() {  # wait_for SECONDS CONDITION
  local end=$((SECONDS + $1))
  until eval "$2"; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.2
  done
}

"$BIN/sweepd" --listen 127.0.0.1:0 --db "$W/sweep.db" >"$W/sweepd.out.log" 2>"$W/sweepd.log" &
PIDS+=($!)
wait_for 20 'grep -qs "^listening on " "$W/sweepd.out.log"' || fail "sweepd did not start"
COORD="$(sed -n 's/^listening on //p' "$W/sweepd.out.log")"
"$BIN/sweep-worker" --coordinator "$COORD" --token-file "$W/sweep.db.worker-token" \
  --slots 2 >"$W/worker.log" 2>&1 &
PIDS+=($!)

# Submit, follow and load the results from Python (stubs generated at run time).
timeout 120 "$PY" "$REPO/examples/python/sweep_client.py" --coordinator "$COORD" \
  --token-file "$W/sweep.db.client-token" --group-by link,features --json \
  "$REPO/examples/python/small.yaml" >"$W/python.json" 2>"$W/python.log" ||
  fail "sweep_client.py failed"

# The same results through the C++ CLI; Python's must match them number for number.
SWEEP_ID="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["sweep_id"])' "$W/python.json")"
SWEEP_COORDINATOR="$COORD" SWEEP_TOKEN_FILE="$W/sweep.db.client-token" \
  timeout 60 "$BIN/sweep" results "$SWEEP_ID" --group-by link,features --format json \
  >"$W/cli.json" 2>"$W/cli.log" || fail "sweep results failed"

timeout 60 "$PY" "$REPO/examples/python/read_db.py" "$W/sweep.db" "$SWEEP_ID" \
  >"$W/db.jsonl" 2>"$W/read_db.log" || fail "read_db.py failed"

"$PY" - "$W/python.json" "$W/cli.json" "$W/db.jsonl" <<'PYEOF' || fail "results differ"
import json, math, sys
py = json.load(open(sys.argv[1]))["results"]
cli = json.load(open(sys.argv[2]))
db = [json.loads(line) for line in open(sys.argv[3])]
cli_rows = [{**r["key"], **r} for r in cli]
assert len(py) == 4, f"python: {len(py)} groups, expected 4 (link x features)"
assert len(cli_rows) == 4, f"cli: {len(cli_rows)} groups"
def key(r):
    return (str(r["link"]).strip('"'), str(r["features"]).strip('"'))
cli_by_key = {key(r): r for r in cli_rows}
for r in py:
    c = cli_by_key[key(r)]
    assert r["count"] == 2, r
    for stat in ("nmse_mean", "mse_mean"):
        a, b = r[stat], float(c[stat])
        assert math.isclose(a, b, rel_tol=1e-12), (key(r), stat, a, b)
assert len(db) == 8, f"read_db: {len(db)} jobs, expected 8"
for k, group in cli_by_key.items():
    mean = sum(j["nmse"] for j in db if (j["link"], j["features"]) == k) / 2
    assert math.isclose(mean, float(group["nmse_mean"]), rel_tol=1e-12), (k, mean)
print("python client: 4 groups match `sweep results`; read_db.py read 8 jobs")
PYEOF
