// `sweep launch slurm`: start workers as one SLURM job array. Each array task runs one
// `sweep-worker --slots C` that dials the coordinator and exits once no job is left
// (--exit-when-idle), so the allocation ends with the sweep. The batch script is plain
// sbatch (#SBATCH lines and comments): `--dry-run` prints it for a person to read, edit
// and submit by hand. Each worker sends its SLURM_ARRAY_JOB_ID / SLURM_ARRAY_TASK_ID /
// SLURM_JOB_ID at registration, so `sweep workers` shows which worker is which task.
// README, "Running distributed"; docs/design.md section 4.11.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sweep::client {

// The largest array `sweep launch slurm` submits (SLURM's own default MaxArraySize is
// 1001; sites raise it). More workers than this belong in several launches.
inline constexpr int kMaxSlurmWorkers = 10000;

struct SlurmLaunchOptions {
  int workers = 0;          // array tasks, one worker each: 1..kMaxSlurmWorkers
  int cpus_per_worker = 1;  // #SBATCH --cpus-per-task and the worker's --slots
  std::string time;         // #SBATCH --time (sbatch's syntax); empty: the partition default
  std::string partition;    // empty: the cluster's default partition
  std::string account;      // empty: the user's default account
  std::vector<std::string> sbatch_args;  // extra #SBATCH lines, each "--flag[=value]"
  std::string coordinator;               // HOST:PORT the workers dial
  std::string worker_binary;             // sweep-worker on the compute nodes
  double exit_when_idle_s = 60;          // the worker's --exit-when-idle
  std::string worker_token_file;         // passed to each worker as --token-file
  std::string tls_ca;                    // passed to each worker as --tls-ca
  std::string job_name = "sweep-worker";
  std::string output = "sweep-worker-%A_%a.log";  // per task, in the submission folder
  // The programs run (found on PATH); tests point them at fakes.
  std::string sbatch = "sbatch";
  std::string scancel = "scancel";

  // INVALID_ARGUMENT naming the flag and the rule.
  absl::Status Validate() const;
};

// The batch script for `options` (which must be valid).
std::string SlurmBatchScript(const SlurmLaunchOptions& options);

// The job id in `sbatch --parsable`'s output ("1234" or "1234;cluster").
absl::StatusOr<std::string> ParseSbatchJobId(const std::string& output);

// Validates, then prints the script (dry run) or submits it with `sbatch --parsable`
// and prints the job id on `out`, with what to do next on `err`. FAILED_PRECONDITION
// when sbatch is missing or refuses the job (with sbatch's message); nothing is
// submitted on any error.
absl::Status LaunchSlurm(const SlurmLaunchOptions& options, bool dry_run, std::ostream& out,
                         std::ostream& err);

// Ends a launched array with `scancel JOBID`: each worker gets SIGTERM and hands its
// jobs back at once. `kill` sends SIGKILL to every task instead, as a lost node would:
// the jobs come back when their leases expire. JOBID is what `sweep launch slurm`
// printed (or an array task, "1234_2").
absl::Status CancelSlurmJob(const std::string& job_id, bool kill, const std::string& scancel,
                            std::ostream& err);

// sweep-worker next to the running `sweep` binary if it is there (a shared install),
// otherwise "sweep-worker" (looked up on the compute nodes' PATH).
std::string DefaultWorkerBinary();

}  // namespace sweep::client
