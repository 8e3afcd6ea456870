// Worker: the lease loop of `sweep-worker` (and of the in-process workers of `sweep
// local`). It registers with the coordinator, then each of its K slots long-polls for a
// lease, runs the job through a JobRunner on its own thread, heartbeats every ttl/3 with
// progress, and reports the outcome (docs/design.md sections 4.2-4.4, 4.8 and 6):
//   - a heartbeat answered cancel_requested or ABORTED stops the job and drops it;
//   - a report is retried with the same (job, attempt) key on UNAVAILABLE, CANCELLED (a
//     coordinator draining), RESOURCE_EXHAUSTED or DEADLINE_EXCEEDED, with exponential
//     backoff and full jitter, heartbeating the lease meanwhile, until the lease would
//     have expired (lease ttl after the last acknowledged heartbeat, not counting time
//     the coordinator was down or draining); ABORTED drops it;
//   - while the coordinator is away the slots back off and reconnect;
//   - Stop() (SIGTERM) stops leasing; a running job may finish within drain_grace,
//     otherwise it is stopped and handed back with ReleaseJob.
//
// Thread-safe: Stop() may be called from any thread while Run() runs.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "absl/status/status.h"
#include "common/records.h"
#include "rpc/backoff.h"
#include "rpc/deadline.h"
#include "worker/checkpoints.h"
#include "worker/coordinator_client.h"
#include "worker/job_runner.h"

namespace sweep::worker {

struct WorkerOptions {
  std::string coordinator = "127.0.0.1:7070";  // HOST:PORT of sweepd
  int slots = 1;                               // jobs run at once
  // Heartbeat period; 0 means lease ttl / 3 as told by the coordinator at registration.
  std::chrono::milliseconds heartbeat{0};
  // After Stop(), how long a running job may still finish before it is handed back.
  std::chrono::milliseconds drain_grace{0};
  std::string worker_id;  // empty: "host-pid-random"
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

 private:
  enum class Outcome { kReport, kDrop, kRelease };
  void SlotLoop();
  bool RegisterUntilOk();
  void RunLease(const sweep::Lease& lease);
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
  void ReportWithRetry(const sweep::Lease& lease, const JobReport& report,
                       const Progress& progress);

  WorkerOptions options_;
  std::unique_ptr<JobRunner> runner_;
  CoordinatorClient client_;
  std::string worker_id_;
  // Set at (re-)registration by any slot thread, read by all: atomic.
  std::atomic<int64_t> heartbeat_ms_{10'000};
  std::atomic<int64_t> lease_ttl_ms_{30'000};  // as told at registration
  std::stop_source stop_;
  std::atomic<int64_t> reported_{0};
};

// "host-pid-xxxxxx": unique enough across machines and restarts.
std::string MakeWorkerId();
std::string HostName();

// Sleeps for `d` unless `stop` fires first; returns false when stopped.
bool SleepUnlessStopped(std::chrono::milliseconds d, std::stop_token stop);

}  // namespace sweep::worker
