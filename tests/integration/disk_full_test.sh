#!/usr/bin/env bash
# Disk full under a running sweep (ctest disk_full, label integration). Usage:
# disk_full_test.sh BIN_DIR (holding sweepd, sweep-worker, sweep, chaos_sweep). Needs root
# to mount a tmpfs; exit 77 (ctest: skipped) with the reason where it cannot (not root, or
# mount refused, as in a chroot or an unprivileged container).
#
# The database lives on a 6 MiB tmpfs. Once some jobs have succeeded the tmpfs is filled
# to the last byte, and then:
#   1. a submit that needs new pages is refused with a clear status ("storage full",
#      RESOURCE_EXHAUSTED) and sweepd stays up and answers queries;
#   2. nothing already stored is lost: PRAGMA quick_check is ok and every result row read
#      before the fill is still there, byte for byte;
#   3. once space returns the sweep resumes and every job succeeds exactly once
#      (chaos_sweep --check: the history check of tests/integration/history_check.h).
# Every process it starts and the mount are removed on exit (trap), within bounded waits.
set -euo pipefail

BIN="${1:?usage: disk_full_test.sh BIN_DIR}"
BIN="$(cd "$BIN" && pwd)"
SKIP=77
log() { echo "disk_full_test: $*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
  log "SKIP: needs root to mount a tmpfs (mount -t tmpfs); run as root"
  exit $SKIP
fi
WORK="$(mktemp -d /tmp/sweep-diskfull.XXXXXX)"
FS="$WORK/fs"
mkdir -p "$FS"
PIDS=()
MOUNTED=0
cleanup() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$MOUNTED" = 1 ]; then umount "$FS" 2>/dev/null || umount -l "$FS" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
if ! mount -t tmpfs -o size=6m tmpfs "$FS" 2>"$WORK/mount.err"; then
  log "SKIP: cannot mount a tmpfs here ($(cat "$WORK/mount.err")); a chroot or container?"
  exit $SKIP
fi
MOUNTED=1
DB="$FS/sweep.db"

# Waits up to $1 seconds for the command in the remaining arguments to succeed.
wait_for() {
  local limit=$1; shift
  for _ in $(seq 1 $((limit * 5))); do
    if "$@"; then return 0; fi
    sleep 0.2
  done
  return 1
}
succeeded() { sqlite3 -readonly "$DB" "SELECT count(*) FROM jobs WHERE state = 'succeeded'"; }

"$BIN/sweepd" --db "$DB" --listen 127.0.0.1:0 --lease-ttl-ms 3000 >"$WORK/sweepd.out" \
  2>"$WORK/sweepd.err" &
PIDS+=($!)
wait_for 20 grep -q "listening on" "$WORK/sweepd.out" || fail "sweepd did not start: $(cat "$WORK/sweepd.err")"
ADDR="$(sed -n 's/^listening on //p' "$WORK/sweepd.out" | head -1)"
SWEEP=("$BIN/sweep" --coordinator "$ADDR" --token-file "$DB.client-token")

cat >"$WORK/s.yaml" <<'YAML'
name: diskfull
base: {d: 6, r: 2, N: 32, K1: 100, T1: 64, T2: 512, m: 64, eval_tasks: 100}
grid: {model: [mamba-theory, krr]}
seeds: 8
max_attempts: 100
YAML
"${SWEEP[@]}" submit "$WORK/s.yaml" >/dev/null || fail "submit failed"
for i in 1 2; do
  "$BIN/sweep-worker" --coordinator "$ADDR" --slots 1 --token-file "$DB.worker-token" \
    >"$WORK/worker$i.out" 2>"$WORK/worker$i.err" &
  PIDS+=($!)
done
at_least() { [ "$(succeeded)" -ge "$1" ]; }
wait_for 120 at_least 3 || fail "no 3 jobs succeeded within 120 s"
sqlite3 -readonly "$DB" "SELECT job_id, attempt, digest, quote(mse), quote(nmse) FROM results ORDER BY job_id" |
  LC_ALL=C sort >"$WORK/before.txt"
log "$(wc -l <"$WORK/before.txt") results stored; filling the tmpfs"

# Fill to the last byte (dd stops at ENOSPC).
dd if=/dev/zero of="$FS/filler" bs=64k status=none 2>/dev/null || true
log "free on the tmpfs: $(df --output=avail -B1 "$FS" | tail -1) bytes"

# 1. A submit that needs new pages: a clear refusal, and sweepd stays up.
cat >"$WORK/big.yaml" <<'YAML'
name: big
base: {model: krr, d: 4, N: 8, eval_tasks: 10}
seeds: 3000
YAML
set +e
"${SWEEP[@]}" submit "$WORK/big.yaml" >"$WORK/big.out" 2>"$WORK/big.err"
code=$?
set -e
[ "$code" -ne 0 ] || fail "a submit on a full disk succeeded"
grep -qiE "storage full|RESOURCE_EXHAUSTED|UNAVAILABLE" "$WORK/big.err" ||
  fail "the refusal does not say the storage is full: $(cat "$WORK/big.err")"
log "refused as expected: $(head -1 "$WORK/big.err")"
kill -0 "${PIDS[0]}" || fail "sweepd died on a full disk: $(tail -5 "$WORK/sweepd.err")"
"${SWEEP[@]}" status 1 >/dev/null || fail "sweepd does not answer queries on a full disk"
sleep 3  # workers keep reporting and heartbeating into the full disk meanwhile
kill -0 "${PIDS[0]}" || fail "sweepd died on a full disk: $(tail -5 "$WORK/sweepd.err")"

# 2. Nothing stored is lost.
[ "$(sqlite3 -readonly "$DB" "PRAGMA quick_check")" = "ok" ] || fail "quick_check is not ok"
sqlite3 -readonly "$DB" "SELECT job_id, attempt, digest, quote(mse), quote(nmse) FROM results ORDER BY job_id" |
  LC_ALL=C sort >"$WORK/during.txt"
missing="$(LC_ALL=C comm -23 "$WORK/before.txt" "$WORK/during.txt" | wc -l)"
[ "$missing" -eq 0 ] || fail "$missing stored results changed or vanished on a full disk"

log "while full: $(cat "$WORK"/worker*.err | grep -c "storage full" || true) worker calls refused" \
  "with \"storage full\", $(grep -c "storage full" "$WORK/sweepd.err" || true) in sweepd's log"

# 3. Space returns: the sweep resumes and finishes, every job exactly once.
rm -f "$FS/filler"
log "space returned"
done_all() { [ "$(succeeded)" -ge 16 ]; }
wait_for 150 done_all || fail "the sweep did not finish after space returned ($(succeeded) of 16)"
kill -9 "${PIDS[@]}" 2>/dev/null || true
for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
PIDS=()
[ "$(sqlite3 -readonly "$DB" "PRAGMA quick_check")" = "ok" ] || fail "quick_check is not ok at the end"
sqlite3 -readonly "$DB" "SELECT job_id, attempt, digest, quote(mse), quote(nmse) FROM results ORDER BY job_id" |
  LC_ALL=C sort >"$WORK/after.txt"
[ "$(LC_ALL=C comm -23 "$WORK/before.txt" "$WORK/after.txt" | wc -l)" -eq 0 ] || fail "results stored before the fill changed"
"$BIN/chaos_sweep" --check "$DB" || fail "history check"
log "PASS: refused while full, nothing lost, resumed and finished exactly once"
