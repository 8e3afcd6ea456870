// Plain records that storage returns and the coordinator, the RPC layer, the worker and
// the CLI pass around. The contract between storage/, server/, proto/, worker/ and
// client/, kept here below all of them so that none depends on another's insides: change
// with care.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/adaptive_seeds.h"
#include "common/clock.h"
#include "common/job_config.h"
#include "common/job_result.h"
#include "common/job_state.h"

namespace sweep {

// What a client submits: the sweep's name and source text (kept for provenance) and its
// jobs, already validated and resolved by common/spec.
struct NewSweep {
  std::string request_id;  // client-chosen idempotency key (UUID); unique
  std::string name;
  std::string spec_text;  // the sweep file as submitted
  std::vector<JobConfig> jobs;
  bool use_cache = true;  // satisfy jobs from earlier successful results with equal hash
  int max_attempts = 3;
  bool fail_fast = false;  // the first failed job cancels the rest of the sweep
  // `seeds: {min, max, ci, metric}`: the coordinator adds seeds per cell (docs/design.md
  // section 4.14); nullopt for a fixed number of seeds.
  std::optional<AdaptiveSeeds> adaptive_seeds = std::nullopt;
};

// What `sweep verify` started: the verification sweep and (original job, rerun job) pairs.
struct VerifyOutcome {
  int64_t sweep_id = 0;
  std::vector<std::pair<int64_t, int64_t>> pairs;
};

// One metric of a rerun that differs bit for bit from the original ("mse", "curve[n=16].nmse",
// "loss[step=200]", ...).
struct MetricDiff {
  std::string metric;
  double original = 0, rerun = 0;
  bool operator==(const MetricDiff&) const = default;
};

// One cell of a verification sweep: the original job and its rerun on another worker, the
// two workers' provenance (JSON objects) and every metric that differs.
struct VerifiedPair {
  int64_t original_job_id = 0, rerun_job_id = 0;
  JobState rerun_state = JobState::kQueued;  // compared only once succeeded
  std::string original_worker, rerun_worker;
  std::string original_provenance, rerun_provenance;
  std::vector<MetricDiff> diffs;  // a coordinator's reply lists the first 100
  int64_t diffs_total = 0;        // all of them
};

// The lifecycle verbs of a sweep besides cancel (docs/design.md section 4.7).
enum class SweepAction : uint8_t { kPause, kResume, kStop };

struct SubmitOutcome {
  int64_t sweep_id = 0;
  int64_t jobs_total = 0;
  int64_t jobs_cached = 0;
  bool existing = false;  // the request_id was seen before; nothing new was written
  bool operator==(const SubmitOutcome&) const = default;
};

// What `sweep extend` added to a sweep.
struct ExtendOutcome {
  int64_t added = 0;   // cells of the file the sweep lacked, now queued or cached
  int64_t cached = 0;  // of those, satisfied from earlier results
};

// Counts per state for one sweep, plus the timing needed for rate and ETA.
struct SweepSummary {
  int64_t sweep_id = 0;
  std::string name;
  TimePoint created_at;
  bool cancel_requested = false;
  bool paused = false;          // `sweep pause`: no new leases until `sweep resume`
  bool stop_requested = false;  // `sweep stop`: running jobs finish, no new ones start
  bool fail_fast = false;       // submitted with --fail-fast
  int64_t total = 0, queued = 0, running = 0, succeeded = 0, failed = 0, cancelled = 0;
  int64_t cached = 0;  // succeeded jobs satisfied from the cache (subset of succeeded)
  std::optional<TimePoint> first_finished_at, last_finished_at;
  // The sweep's first failed job (by finish time), shown by `sweep status` at once.
  std::optional<int64_t> first_failed_job_id;
  FailureKind first_failure = FailureKind::kNone;
  std::string first_failure_error;
  std::optional<AdaptiveSeeds> adaptive_seeds = std::nullopt;  // as submitted; nullopt: fixed seeds
  bool operator==(const SweepSummary&) const = default;
};


struct JobRecord {
  int64_t job_id = 0;
  int64_t sweep_id = 0;
  JobState state = JobState::kQueued;
  FailureKind failure = FailureKind::kNone;
  int attempt = 0;  // attempts started so far
  bool cached = false;
  std::string config_hash;
  std::string config_json;  // canonical JSON (common/job_keys.h)
  std::string worker_id;    // current or last holder
  std::string error;        // last error, for failed jobs
  int64_t progress_step = 0, progress_total = 0;
  std::optional<TimePoint> lease_expires_at;
  std::optional<TimePoint> leased_at;  // when the current attempt was leased (running jobs)
  bool operator==(const JobRecord&) const = default;
};

// Which jobs a worker's lease request can take, by the `threads` key of their config: a
// worker with `total_cores` cores, `free_cores` of them not used by its running jobs, takes
// a job with threads <= free_cores; when it is idle (free == total) it takes any job, and
// runs one that asks for more threads than it has on all its cores (the metrics do not
// depend on the thread count, docs/science.md section 5). total_cores 0: any job.
//
// `exec_names`: the exec programs the worker allows (docs/exec.md); a job of model `exec`
// is granted only when its `exec` key is one of them, so a worker without the program
// never leases its jobs. Empty: no exec job.
struct LeaseFit {
  int free_cores = 0;
  int total_cores = 0;
  std::vector<std::string> exec_names = {};  // = {}: LeaseFit{free, total} stays warning-free
};

// A job handed to a worker: the attempt number is the fencing token.
struct Lease {
  int64_t job_id = 0;
  int64_t sweep_id = 0;
  int attempt = 0;
  std::string config_json;
  TimePoint expires_at;
  std::string training_hash;          // TrainingHash of the config: its checkpoint's key
  bool checkpoint_available = false;  // a checkpoint is stored under training_hash at grant
                                      // time: fetch it and evaluate instead of training
  bool operator==(const Lease&) const = default;
};

// Where a worker runs when a cluster manager started it: the SLURM job (and array task)
// read from the worker's environment at start-up, so that `sweep workers` tells which
// worker is which array task (README, "Running distributed"). Empty outside SLURM.
struct SlurmTask {
  std::string job_id;         // SLURM_JOB_ID: this task's own job id
  std::string array_job_id;   // SLURM_ARRAY_JOB_ID: the array's id (what sbatch printed)
  std::string array_task_id;  // SLURM_ARRAY_TASK_ID
  bool empty() const { return job_id.empty() && array_job_id.empty(); }
  // "ARRAY_TASK" as squeue and scancel write an array task (e.g. "1234_2"), or the job id.
  std::string Label() const {
    if (array_job_id.empty()) return job_id;
    return array_job_id + "_" + array_task_id;
  }
  bool operator==(const SlurmTask&) const = default;
};

// What a worker says when it registers.
struct WorkerHello {
  std::string worker_id;  // chosen by the worker (host-pid-random); re-registering is OK
  std::string host;
  int slots = 1;
  std::string build_version;
  SlurmTask slurm{};  // empty unless started by SLURM
  std::vector<std::string> exec_names = {};  // the exec programs it allows (docs/exec.md)
};

// The coordinator's answer to a heartbeat on a lease.
struct HeartbeatReply {
  bool cancel_requested = false;  // the job's sweep was cancelled: stop and drop the job
  TimePoint lease_expires_at;
};

// How a result of a trained model (mamba, transformer) got its weights (docs/design.md
// section 4.10).
enum class CheckpointUse {
  kNone,     // no checkpoint: krr, mamba-theory, or a job that failed before training
  kTrained,  // the job trained the model (and stored the checkpoint)
  kReused,   // the job loaded the checkpoint stored under its training hash
};
// "none", "trained", "reused": the values of results.checkpoint_use.
inline const char* CheckpointUseName(CheckpointUse u) {
  switch (u) {
    case CheckpointUse::kTrained:
      return "trained";
    case CheckpointUse::kReused:
      return "reused";
    case CheckpointUse::kNone:
      break;
  }
  return "none";
}
inline std::optional<CheckpointUse> ParseCheckpointUse(const std::string& name) {
  if (name == "none") return CheckpointUse::kNone;
  if (name == "trained") return CheckpointUse::kTrained;
  if (name == "reused") return CheckpointUse::kReused;
  return std::nullopt;
}

// A trained model's weights, stored once per training hash so that a job whose config
// differs only in evaluation keys (eval_tasks, eval_lengths, eps) loads it instead of
// training again. docs/schema.md, table checkpoints.
struct CheckpointRecord {
  std::string training_hash;  // TrainingHash(config) (common/job_keys.h): the key
  std::string model;          // "mamba", "transformer"
  std::string config_json;    // canonical JSON of the job that trained it
  std::string format = "safetensors";
  std::string bytes;              // the checkpoint file (binary); empty in listings
  int64_t size_bytes = 0;         // set by storage; if non-zero on a put, must match
  std::string sha256;             // hex SHA-256 of bytes; set by storage; if set on a put,
                                  // must match (a transfer check)
  std::optional<int64_t> job_id;  // the job that produced it, if any
  TimePoint created_at;           // set by storage
};

// What a worker reports at the end of an attempt.
struct JobReport {
  bool ok = true;     // false: the job failed deterministically (error)
  std::string error;  // set when !ok
  JobResult result;   // set when ok (a diverged run is ok=true + divergence)
  std::string worker_id;
  std::string build_version;
  double wall_seconds = 0;
  CheckpointUse checkpoint_use = CheckpointUse::kNone;
  std::string checkpoint_sha256;  // of the checkpoint bytes used; empty: storage takes the
                                  // sha256 stored under the job's training hash
  std::string provenance = {};  // JSON object (common/provenance.h); empty from older workers
  bool operator==(const JobReport&) const = default;
};

struct WorkerRecord {
  std::string worker_id;
  std::string host;
  int slots = 0;
  std::string build_version;
  TimePoint registered_at, last_seen_at;
  int64_t running = 0;    // jobs it holds now
  int64_t completed = 0;  // results it reported
  SlurmTask slurm{};      // as the worker registered it; empty outside SLURM
  std::vector<std::string> exec_names = {};  // as registered, in its order (docs/exec.md)
  bool operator==(const WorkerRecord&) const = default;

  // The row a registration stores (times and counters are the store's).
  static WorkerRecord FromHello(const WorkerHello& hello) {
    WorkerRecord w;
    w.worker_id = hello.worker_id;
    w.host = hello.host;
    w.slots = hello.slots;
    w.build_version = hello.build_version;
    w.slurm = hello.slurm;
    w.exec_names = hello.exec_names;
    return w;
  }
};

// One aggregated row of `sweep results`: a group (values of the group-by keys) and the
// mean / std / count over its succeeded jobs (typically over seeds).
struct ResultGroup {
  std::map<std::string, std::string> key;  // group-by key -> value (canonical JSON text)
  int64_t count = 0;
  double mse_mean = 0, mse_std = 0;
  double nmse_mean = 0, nmse_std = 0;
  int64_t diverged = 0;  // failed as diverged in this group (counted, not averaged)
  // Standard errors (std / sqrt(count)) and two-sided 95% Student t intervals for the
  // means (storage/student_t.h); NaN below two values.
  double mse_se = 0, mse_ci_lo = 0, mse_ci_hi = 0;
  double nmse_se = 0, nmse_ci_lo = 0, nmse_ci_hi = 0;
  bool operator==(const ResultGroup&) const = default;
};

struct ResultsQuery {
  int64_t sweep_id = 0;
  std::map<std::string, std::string> where;  // key=value filters on config keys
  std::vector<std::string> group_by;         // empty: every config key except seed
};

// The curve of a group: nmse/mse at each n averaged over the group's jobs.
struct CurvePoint {
  int n = 0;
  int64_t count = 0;
  double mse_mean = 0, mse_se = 0, nmse_mean = 0, nmse_se = 0;
  // Sample standard deviations and 95% intervals, as in ResultGroup.
  double mse_std = 0, mse_ci_lo = 0, mse_ci_hi = 0;
  double nmse_std = 0, nmse_ci_lo = 0, nmse_ci_hi = 0;
  bool operator==(const CurvePoint&) const = default;
};
struct CurveGroup {
  std::map<std::string, std::string> key;
  std::vector<CurvePoint> points;
  bool operator==(const CurveGroup&) const = default;
};

}  // namespace sweep
