#!/usr/bin/env bash
# `sweep launch slurm` against a real one-node SLURM cluster (ctest slurm_launch, label
# slurm: `ctest -L slurm`). Usage: slurm_test.sh BIN_DIR (holding sweepd, sweep-worker,
# sweep). Needs root: it installs Debian's slurm-wlm and munge when they are missing and
# runs munged, slurmctld and slurmd in the foreground from a private folder, with a
# generated munge key and a minimal slurm.conf naming this host (cons_tres, linuxproc, no
# accounting). Exit 77 (ctest: skipped) with the reason when it cannot run here.
#
#   1. 3 workers launched through the launcher run a small sweep to completion, each
#      registered with its array task, and the array tasks then exit by themselves
#      (--exit-when-idle) with exit code 0.
#   2. An array killed mid-sweep (sweep launch cancel --kill, as a lost node): the leases
#      expire, the jobs are requeued and finish on a relaunched array, one result each.
#
# Every daemon it starts is stopped on exit (trap), each within a bounded wait.
set -euo pipefail

BIN="${1:?usage: slurm_test.sh BIN_DIR}"
BIN="$(cd "$BIN" && pwd)"
SWEEP="$BIN/sweep"
SKIP=77

log() { echo "slurm_test: $*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
  log "SKIP: needs root (it installs slurm-wlm and munge and runs slurmd); run as root"
  exit $SKIP
fi
# slurmd 22.05 initialises its cgroup plugin whatever slurm.conf says and refuses to start
# without a mounted cgroup filesystem (a chroot without /sys, some containers).
if ! grep -qs " /sys/fs/cgroup " /proc/mounts; then
  log "SKIP: /sys/fs/cgroup is not mounted here; slurmd cannot start without it"
  exit $SKIP
fi
for tool in munged slurmctld slurmd sbatch scancel squeue scontrol sinfo; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    log "installing slurm-wlm and munge (Debian packages; $tool is missing)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        slurm-wlm munge </dev/null >&2; then
      log "SKIP: apt-get install slurm-wlm munge failed (no package mirror reachable?)"
      exit $SKIP
    fi
    break
  fi
done
for tool in python3 sqlite3; do
  command -v "$tool" >/dev/null 2>&1 || { log "SKIP: $tool is missing"; exit $SKIP; }
done

W="$(mktemp -d /tmp/sweep-slurm.XXXXXX)"
chmod 755 "$W"
mkdir -p "$W/munge" "$W/state" "$W/spool" "$W/logs"
chmod 700 "$W/munge"
PIDS=()

# Stops a process: SIGTERM, then SIGKILL after 10 s; never waits longer.
stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  set +e
  if [ -n "${SLURM_CONF:-}" ] && [ -S "$W/munge/munge.sock" ]; then
    timeout 10 scancel --batch --signal=KILL --user=root >/dev/null 2>&1
    timeout 10 scancel --user=root >/dev/null 2>&1
  fi
  # Reverse start order: sweepd, slurmd, slurmctld, munged.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}"; done
  wait 2>/dev/null
  if [ "$rc" -ne 0 ] && [ "$rc" -ne $SKIP ]; then
    for f in "$W"/*.log "$W"/logs/*.log; do
      [ -f "$f" ] && { echo "---- $f (last 30 lines)" >&2; tail -n 30 "$f" >&2; }
    done
  fi
  rm -rf "$W"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Polls `cond` (a shell command) every 0.2 s for at most `secs`; returns 1 on timeout.
wait_for() {
  local secs=$1
  shift
  local deadline=$((SECONDS + secs))
  until eval "$1"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- the cluster ------------------------------------------------------------------------
dd if=/dev/urandom of="$W/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$W/munge/munge.key"
munged -F -f --socket="$W/munge/munge.sock" --key-file="$W/munge/munge.key" \
  --pid-file="$W/munge/munged.pid" --seed-file="$W/munge/munged.seed" \
  --log-file="$W/munged.log" >"$W/munged.out.log" 2>&1 &
PIDS+=($!)
wait_for 10 '[ -S "$W/munge/munge.sock" ]' || fail "munged did not create its socket"

NODE="$(hostname -s)"
cat >"$W/slurm.conf" <<EOF
# A one-node cluster for this test only (private ports, state and socket).
ClusterName=sweeptest
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$W/munge/munge.sock
StateSaveLocation=$W/state
SlurmdSpoolDir=$W/spool
SlurmctldPidFile=$W/slurmctld.pid
SlurmdPidFile=$W/slurmd.pid
SlurmctldLogFile=$W/slurmctld.log
SlurmdLogFile=$W/slurmd.log
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
# Four one-CPU workers fit at once even on a 2-core machine (tiny jobs).
SlurmdParameters=config_overrides
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=4 State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$W/slurm.conf"
slurmctld -D -f "$SLURM_CONF" >"$W/slurmctld.out.log" 2>&1 &
PIDS+=($!)
slurmd -D -f "$SLURM_CONF" -N "$NODE" >"$W/slurmd.out.log" 2>&1 &
PIDS+=($!)
wait_for 30 '[ "$(sinfo -h -o %t 2>/dev/null)" = idle ]' || fail "the node did not become idle"
out="$(timeout 20 srun hostname)" || fail "srun hostname failed"
[ "$out" = "$(hostname)" ] || fail "srun hostname printed '$out'"
log "one-node cluster up (srun hostname: $out)"

# --- the coordinator --------------------------------------------------------------------
# Short leases so that killed workers' jobs come back within seconds.
"$BIN/sweepd" --listen 127.0.0.1:0 --db "$W/sweep.db" --lease-ttl-ms 2000 \
  >"$W/sweepd.out.log" 2>"$W/sweepd.log" &
PIDS+=($!)
wait_for 20 'grep -q "^listening on " "$W/sweepd.out.log"' || fail "sweepd did not start"
COORD="$(sed -n 's/^listening on //p' "$W/sweepd.out.log")"
export SWEEP_COORDINATOR="$COORD"
# Auth is on by default: sweepd made both tokens next to its database (README, Security).
export SWEEP_TOKEN_FILE="$W/sweep.db.client-token"
log "sweepd on $COORD"

launch() {  # launch K IDLE_SECONDS: prints the job id
  "$SWEEP" launch slurm --workers "$1" --cpus-per-worker 1 --time 10 \
    --exit-when-idle "$2" --output "$W/logs/worker-%A_%a.log" \
    --worker-token-file "$W/sweep.db.worker-token" 2>>"$W/launch.log"
}
job_state() {  # job_state JOBID_TASK: JobState=... of a finished or running task
  scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -n 1
}
tasks_left() {  # tasks of array $1 still pending or running
  squeue -h -j "$1" 2>/dev/null | wc -l
}
sql() { sqlite3 -readonly "$W/sweep.db" "$1"; }

# --- bad input: nothing is submitted ----------------------------------------------------
if "$SWEEP" launch slurm --workers 0 >/dev/null 2>"$W/err.txt"; then fail "--workers 0 accepted"; fi
grep -q -- "--workers: 0 (must be 1..10000)" "$W/err.txt" || fail "workers 0: $(cat "$W/err.txt")"
if "$SWEEP" launch slurm --workers 2 --partition nope >/dev/null 2>"$W/err.txt"; then
  fail "partition nope accepted"
fi
grep -q "invalid partition" "$W/err.txt" || fail "partition error lacks sbatch's: $(cat "$W/err.txt")"
[ "$(squeue -h | wc -l)" -eq 0 ] || fail "a bad launch left a job behind"
log "bad input refused: $(tr '\n' ' ' <"$W/err.txt")"

# --- case 1: a small sweep to completion, then the tasks exit by themselves --------------
cat >"$W/small.yaml" <<'EOF'
name: slurm-small
base: {model: krr, d: 8, r: 2, N: 32, eval_tasks: 200, eval_lengths: [8, 16, 32]}
grid:
  link: [h2, h3]
  features: [ambient, intrinsic]
seeds: 3
EOF
"$SWEEP" submit "$W/small.yaml" >/dev/null
JOB1="$(launch 3 4)" || fail "launch failed: $(cat "$W/launch.log")"
log "case 1: array $JOB1 launched"
timeout 120 "$SWEEP" status 1 --wait >"$W/status1.txt" 2>&1 || fail "sweep 1 did not finish"
[ "$(sql "SELECT count(*) FROM results r JOIN jobs j USING(job_id) WHERE j.sweep_id = 1")" -eq 12 ] ||
  fail "sweep 1 does not have 12 results"
# Every task registered its worker with its array task (1234_0, 1234_1, 1234_2).
wait_for 30 '[ "$(sql "SELECT count(*) FROM workers WHERE slurm_array_job_id = '"'$JOB1'"'")" -eq 3 ]' ||
  fail "the 3 workers of $JOB1 did not all register"
"$SWEEP" workers >"$W/workers1.txt"
for t in 0 1 2; do
  grep -q " ${JOB1}_$t " "$W/workers1.txt" || fail "sweep workers lacks ${JOB1}_$t: $(cat "$W/workers1.txt")"
done
wait_for 60 '[ "$(tasks_left "$JOB1")" -eq 0 ]' || fail "array $JOB1 did not end by itself"
for t in 0 1 2; do
  s="$(job_state "${JOB1}_$t")"
  [ "$s" = COMPLETED ] || fail "task ${JOB1}_$t ended $s, not COMPLETED"
done
log "case 1: 12 results; 3 tasks registered and exited by themselves (COMPLETED)"
if [ -n "${SLURM_TEST_TRANSCRIPT:-}" ]; then  # what the README's example shows
  {
    echo "\$ sweep launch slurm --workers 3 --cpus-per-worker 1 --time 10 --exit-when-idle 4 ..."
    echo "$JOB1"
    cat "$W/launch.log"
    echo "\$ sweep workers"
    cat "$W/workers1.txt"
    echo "\$ scontrol show job ${JOB1}_0 | grep -o 'JobState=[A-Z]* Reason=[A-Za-z]*'"
    scontrol show job "${JOB1}_0" | grep -o 'JobState=[A-Z]* Reason=[A-Za-z]*'
  } >"$SLURM_TEST_TRANSCRIPT"
fi

# --- case 2: kill the array mid-sweep, relaunch, every job once --------------------------
cat >"$W/slow.yaml" <<'EOF'
name: slurm-requeue
base: {model: krr, d: 16, r: 2, N: 256, eval_tasks: 400, eval_lengths: [256]}
grid:
  link: [h2, h3]
seeds: 4
EOF
"$SWEEP" submit "$W/slow.yaml" >/dev/null
JOB2="$(launch 2 4)" || fail "launch failed: $(cat "$W/launch.log")"
wait_for 60 '[ "$(sql "SELECT count(*) FROM jobs WHERE sweep_id = 2 AND state = '"'running'"'")" -ge 2 ]' ||
  fail "array $JOB2 never ran two jobs at once"
"$SWEEP" launch cancel "$JOB2" --kill 2>>"$W/launch.log" || fail "launch cancel --kill failed"
wait_for 30 '[ "$(tasks_left "$JOB2")" -eq 0 ]' || fail "array $JOB2 did not end when killed"
# Nobody hands the leases back: they expire (2 s) and the jobs are requeued.
wait_for 30 '[ "$(sql "SELECT count(*) FROM attempts a JOIN jobs j USING(job_id) WHERE j.sweep_id = 2 AND a.outcome = '"'lost'"'")" -ge 1 ]' ||
  fail "no lease of the killed array expired"
lost="$(sql "SELECT count(*) FROM attempts a JOIN jobs j USING(job_id) WHERE j.sweep_id = 2 AND a.outcome = 'lost'")"
JOB3="$(launch 2 4)" || fail "relaunch failed: $(cat "$W/launch.log")"
timeout 180 "$SWEEP" status 2 --wait >"$W/status2.txt" 2>&1 || fail "sweep 2 did not finish"
[ "$(sql "SELECT count(*) FROM results r JOIN jobs j USING(job_id) WHERE j.sweep_id = 2")" -eq 8 ] ||
  fail "sweep 2 does not have exactly 8 results"
[ "$(sql "SELECT count(*) FROM jobs WHERE sweep_id = 2 AND state = 'succeeded' AND attempt >= 2")" -ge 1 ] ||
  fail "no job of sweep 2 finished on a later attempt"
[ "$(sql "SELECT count(DISTINCT r.worker_id) FROM results r JOIN jobs j USING(job_id) JOIN workers w USING(worker_id) WHERE j.sweep_id = 2 AND w.slurm_array_job_id = '$JOB3'")" -ge 1 ] ||
  fail "the relaunched array $JOB3 stored no result"
wait_for 60 '[ "$(tasks_left "$JOB3")" -eq 0 ]' || fail "array $JOB3 did not end by itself"
log "case 2: $lost lease(s) expired after the kill; 8 results, one per job, after relaunch $JOB3"
log "PASS"
