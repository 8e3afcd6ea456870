// Worker: the lease loop of `sweep-worker` (and of the in-process workers of `sweep
// local`). It registers with the coordinator, then each of its K slots long-polls for a
// lease, runs the job through a JobRunner on its own thread, heartbeats every ttl/3 with
// progress, and reports the outcome (docs/design.md sections 4.2-4.4, 4.8 and 6):
//   - a heartbeat answered cancel_requested or ABORTED stops the job and drops it;
//   - a slot's report also asks for its next job (ReportResultRequest.next); when none
//     comes back it long-polls LeaseJob as usual;
//   - a report is retried with the same (job, attempt) key on UNAVAILABLE, CANCELLED (a
//     coordinator draining), RESOURCE_EXHAUSTED or DEADLINE_EXCEEDED, with exponential
//     backoff and full jitter, heartbeating the lease meanwhile, until the lease would
//     have expired (lease ttl after the last acknowledged heartbeat, not counting time
//     the coordinator was down or draining); ABORTED drops it;
//   - while the coordinator is away the slots back off and reconnect;
//   - Stop() (SIGTERM) stops leasing; a running job may finish within drain_grace,
//     otherwise it is stopped and handed back with ReleaseJob;
//   - with exit_when_idle set, a worker none of whose slots has held a job for that long
//     stops by itself and Run() returns OK, so that a batch allocation (a SLURM array
//     task) ends with the sweep instead of at its time limit (section 4.11).
//
// Thread-safe: Stop() may be called from any thread while Run() runs.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "common/records.h"
#include "rpc/backoff.h"
#include "rpc/channel.h"
#include "rpc/deadline.h"
#include "worker/checkpoints.h"
#include "worker/coordinator_client.h"
#include "worker/core_budget.h"
#include "worker/exec_runner.h"
#include "worker/job_runner.h"

namespace sweep::worker {

struct WorkerOptions {
  std::string coordinator = "127.0.0.1:7070";  // HOST:PORT of sweepd
  int slots = 1;                               // jobs run at once
  // Cores the slots share: a job takes its `threads` of them (worker/core_budget.h).
  // 0: every core of the machine.
  int cores = 0;
  // A job whose memory estimate (EstimateJobBytes, docs/performance.md) exceeds this
  // fails at once with RESOURCE_EXHAUSTED instead of being killed for memory. 0: the
  // machine's physical memory.
  int64_t memory_mb = 0;
  // Heartbeat period; 0 means lease ttl / 3 as told by the coordinator at registration.
  std::chrono::milliseconds heartbeat{0};
  // After Stop(), how long a running job may still finish before it is handed back.
  std::chrono::milliseconds drain_grace{0};
  std::string worker_id;  // empty: "host-pid-random"
  // Stop after this long with no job running in any slot (no lease granted, or the
  // coordinator unreachable); 0: never.
  std::chrono::milliseconds exit_when_idle{0};
  SlurmTask slurm{};  // sent at registration (main.cc reads it from the environment)
  // The programs `exec` jobs may run here, name -> absolute path (--allow-exec,
  // docs/exec.md). The names go with every lease request: the coordinator grants an
  // exec job only to a worker that allows its program.
  ExecAllowlist allow_exec;
  ExecRunnerOptions exec;
  // Ask for the next job with each report (ReportResultRequest.next: one call and one
  // commit per job instead of two); false: report, then LeaseJob, as before.
  bool lease_with_report = true;
  // The worker token and TLS files (docs/design.md section 6.5).
  rpc::ChannelAuth auth;
  rpc::BackoffOptions backoff;
  absl::Status Validate() const;
};

class Worker {
 public:
  Worker(const WorkerOptions& options, std::unique_ptr<JobRunner> runner);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Runs until Stop(); returns once every slot has finished or handed back its job.
  // Errors only for invalid options.
  absl::Status Run();
  void Stop() { stop_.request_stop(); }

  const std::string& worker_id() const { return worker_id_; }
  int64_t jobs_reported() const { return reported_.load(); }
  // True when Run() ended because of exit_when_idle (not Stop()).
  bool stopped_idle() const { return stopped_idle_.load(); }

 private:
  enum class Outcome { kReport, kDrop, kRelease };
  void SlotLoop();
  // Stops the worker once no slot has run a job for options_.exit_when_idle.
  void WatchIdle();
  bool RegisterUntilOk();
  // Leases one job that fits the free cores; `cores` gets the cores it took (0 if none).
  // Takes a job an earlier call leased for this slot if there is one; otherwise asks for
  // one job per slot waiting to lease, in one call.
  absl::StatusOr<std::optional<sweep::Lease>> LeaseWithinCores(int& cores);
  // Hands back the leases no slot took before the worker stopped.
  void ReleaseHanded();
  // One LeaseJob call asks for a job for every slot waiting to ask (max_jobs); the leases
  // beyond the asking slot's own wait here, with the cores each took, for the next slots.
  struct Handed {
    sweep::Lease lease;
    int cores = 0;
  };
  // Runs a leased job on `cores` threads at most (its `threads` key capped) and gives the
  // cores back once it ended. Returns the job its report leased for this slot, if any.
  std::optional<Handed> RunLease(const sweep::Lease& lease, int cores);
  // Runs the job on its own thread (with the stored checkpoint when the lease has one)
  // while this thread heartbeats; `outcome` holds what the job returned.
  // The job's last progress (sent with heartbeats while a report is retried).
  struct Progress {
    int64_t step = 0;
    int64_t total = 0;
  };
  Outcome RunSupervised(const sweep::Lease& lease, const JobConfig& config, ModelOutcome& models,
                        std::optional<absl::StatusOr<JobResult>>& outcome, Progress& progress);
  Outcome Supervise(const sweep::Lease& lease, std::stop_source& job_stop,
                    const std::function<bool()>& done, std::atomic<int64_t>& step,
                    std::atomic<int64_t>& total);
  // Reports until it lands or the lease is lost; the first try also asks for the next
  // job (ReportAsking), which it returns.
  std::optional<Handed> ReportWithRetry(const sweep::Lease& lease, const JobReport& report,
                                        const Progress& progress);
  // One report that asks for this slot's next job when it can without waiting: the lease
  // lock is free, no job waits in handed_, a core is free. More jobs than this slot's go to
  // the slots waiting to lease, through handed_.
  absl::Status ReportAsking(const sweep::Lease& lease, const JobReport& report,
                            std::optional<Handed>& next);

  WorkerOptions options_;
  std::unique_ptr<JobRunner> runner_;
  CoordinatorClient client_;
  std::string worker_id_;
  // Set at (re-)registration by any slot thread, read by all: atomic.
  std::atomic<int64_t> heartbeat_ms_{10'000};
  std::atomic<int64_t> lease_ttl_ms_{30'000};  // as told at registration
  std::stop_source stop_;
  std::atomic<int64_t> reported_{0};
  CoreBudget cores_;
  std::mutex lease_mu_;  // one slot asks at a time, so two never count the same free cores
  std::deque<Handed> handed_ ABSL_GUARDED_BY(lease_mu_);
  std::atomic<int> waiting_to_lease_{0};  // slots blocked on lease_mu_
  int64_t memory_limit_bytes_ = 0;
  // Slots running a job now, and since when (steady clock) none has: read by WatchIdle.
  std::atomic<int> busy_slots_{0};
  std::atomic<std::chrono::steady_clock::rep> idle_since_{0};
  std::atomic<bool> stopped_idle_{false};
};

// The machine's physical memory in bytes (0 if unknown): the default of --memory-mb.
int64_t PhysicalMemoryBytes();

// The `threads` key of a leased job's config (1 when it cannot be read: the job then
// fails on its config anyway).
int JobThreads(const std::string& config_json);

// "host-pid-xxxxxx": unique enough across machines and restarts.
std::string MakeWorkerId();
std::string HostName();

// Sleeps for `d` unless `stop` fires first; returns false when stopped.
bool SleepUnlessStopped(std::chrono::milliseconds d, std::stop_token stop);

}  // namespace sweep::worker
