// The life of one leased job (see worker.h): parse its config, run it on a job thread
// while this slot thread heartbeats, then report, drop or hand it back.
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/build_info.h"
#include "common/provenance.h"
#include "common/job_keys.h"
#include "rpc/retry.h"
#include "spdlog/spdlog.h"
#include "worker/numerics/cost_model.h"
#include "worker/worker.h"

namespace sweep::worker {
namespace {

using Clock = std::chrono::steady_clock;

absl::StatusOr<JobConfig> ParseConfig(const std::string& config_json) {
  nlohmann::json json = nlohmann::json::parse(config_json, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return absl::InvalidArgumentError("config_json: not valid JSON");
  return ResolveJobConfig(json);
}

// A heartbeat answer that means "this attempt is no longer yours".
bool LostLease(const absl::Status& s) {
  return absl::IsAborted(s) || absl::IsFailedPrecondition(s) || absl::IsNotFound(s);
}

// The coordinator is down or draining: it runs no lease clock (see ReportWithRetry).
bool CoordinatorAway(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsCancelled(s);
}

JobReport MakeReport(const absl::StatusOr<JobResult>& outcome, const std::string& worker_id,
                     double wall_seconds) {
  JobReport report;
  report.ok = outcome.ok();
  if (outcome.ok()) {
    report.result = *outcome;  // a diverged run is ok=true with `divergence` set
  } else {
    report.error = outcome.status().ToString();
  }
  report.worker_id = worker_id;
  report.build_version = BuildVersion();
  report.wall_seconds = wall_seconds;
  return report;
}

// Refuses a job the worker cannot hold in memory: a clear error with the numbers beats
// being killed by the kernel halfway through.
absl::Status CheckMemory(const JobConfig& config, int64_t limit_bytes) {
  if (limit_bytes <= 0) return absl::OkStatus();
  absl::StatusOr<int64_t> need = numerics::EstimateJobBytes(config);
  if (!need.ok() || *need <= limit_bytes) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      absl::StrCat("job needs about ", *need >> 20,
                   " MB (EstimateJobBytes, docs/performance.md) but this "
                   "worker allows ",
                   limit_bytes >> 20, " MB per job (sweep-worker --memory-mb)"));
}

}  // namespace

int JobThreads(const std::string& config_json) {
  absl::StatusOr<JobConfig> config = ParseConfig(config_json);
  return config.ok() ? config->threads : 1;
}

std::optional<Worker::Handed> Worker::RunLease(const sweep::Lease& lease, int cores) {
  const auto start = Clock::now();
  absl::StatusOr<JobConfig> config = ParseConfig(lease.config_json);
  if (config.ok()) {
    // Fewer threads than asked changes no metric (docs/science.md section 5).
    if (cores > 0) config->threads = std::min(config->threads, cores);
    if (absl::Status fits = CheckMemory(*config, memory_limit_bytes_); !fits.ok()) config = fits;
  }
  std::optional<absl::StatusOr<JobResult>> outcome;
  ModelOutcome models;
  Progress progress;
  Outcome what = Outcome::kReport;
  if (!config.ok()) {
    outcome = config.status();
  } else {
    what = RunSupervised(lease, *config, models, outcome, progress);
  }
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  // The job's thread has ended: its cores are free for the next job, which the report
  // may already ask for.
  cores_.Give(cores);
  if (what == Outcome::kDrop) return std::nullopt;
  if (what == Outcome::kRelease && absl::IsCancelled(outcome->status())) {
    absl::Status s = client_.Release(lease.job_id, lease.attempt, worker_id_);
    spdlog::info("job {} attempt {} handed back: {}", lease.job_id, lease.attempt, s.ToString());
    return std::nullopt;
  }
  JobReport report = MakeReport(*outcome, worker_id_, wall);
  report.provenance = JobProvenance(config.ok() ? config->threads : 1);
  if (config.ok()) ApplyCheckpoint(client_, lease, *config, models, report);
  return ReportWithRetry(lease, report, progress);
}

Worker::Outcome Worker::RunSupervised(const sweep::Lease& lease, const JobConfig& config,
                                      ModelOutcome& models,
                                      std::optional<absl::StatusOr<JobResult>>& outcome,
                                      Progress& progress) {
  // Fetched before the job thread starts: the job only ever sees complete bytes.
  const std::optional<CheckpointRecord> input = FetchCheckpoint(client_, lease);
  std::mutex mu;
  std::stop_source job_stop;
  std::atomic<int64_t> step{0}, total{0};
  std::jthread job([&] {
    numerics::RunHooks hooks;
    hooks.stop = job_stop.get_token();
    hooks.on_progress = [&](int64_t s, int64_t t) {
      step = s;
      total = t;
    };
    WireCheckpoints(input, models, hooks);
    absl::StatusOr<JobResult> r = runner_->Run(config, hooks);
    std::lock_guard<std::mutex> lock(mu);
    outcome = std::move(r);
  });
  const Outcome what = Supervise(
      lease, job_stop,
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        return outcome.has_value();
      },
      step, total);
  job.join();
  progress = Progress{step.load(), total.load()};
  return what;
}

Worker::Outcome Worker::Supervise(const sweep::Lease& lease, std::stop_source& job_stop,
                                  const std::function<bool()>& done, std::atomic<int64_t>& step,
                                  std::atomic<int64_t>& total) {
  // Polls `done` at a short tick so that a finished job is reported at once; heartbeats
  // at heartbeat_ period.
  const std::chrono::milliseconds period(heartbeat_ms_.load());
  const auto tick = std::min(period, std::chrono::milliseconds(50));
  auto next_beat = Clock::now() + period;
  std::optional<Clock::time_point> drain_deadline;
  Outcome what = Outcome::kReport;
  while (!done()) {
    std::this_thread::sleep_for(tick);
    if (stop_.stop_requested() && !drain_deadline)
      drain_deadline = Clock::now() + options_.drain_grace;
    if (drain_deadline && Clock::now() >= *drain_deadline && what == Outcome::kReport) {
      job_stop.request_stop();  // out of grace: stop and hand back
      what = Outcome::kRelease;
    }
    if (Clock::now() < next_beat || what == Outcome::kDrop) continue;
    next_beat = Clock::now() + period;
    auto reply = client_.Heartbeat(lease.job_id, lease.attempt, worker_id_, step, total);
    if ((reply.ok() && reply->cancel_requested) || LostLease(reply.status())) {
      spdlog::info("job {} attempt {}: stopping ({})", lease.job_id, lease.attempt,
                   reply.ok() ? "sweep cancelled" : reply.status().ToString());
      job_stop.request_stop();
      what = Outcome::kDrop;
    } else if (!reply.ok()) {
      spdlog::warn("job {}: heartbeat failed: {}", lease.job_id, reply.status().ToString());
    }
  }
  return what;
}

absl::Status Worker::ReportAsking(const sweep::Lease& lease, const JobReport& report,
                                  std::optional<Handed>& next) {
  // Never waits for the lock: a slot in a LeaseJob long poll holds it, and this report
  // must not wait behind that poll.
  std::unique_lock<std::mutex> lock(lease_mu_, std::try_to_lock);
  const int free = cores_.free();
  if (!options_.lease_with_report || !lock.owns_lock() || !handed_.empty() || free <= 0 ||
      stop_.stop_requested()) {
    return client_.Report(lease.job_id, lease.attempt, report);
  }
  LeaseFit fit{free, cores_.total(), ExecNames(options_.allow_exec)};
  // This slot and every slot queued for the lock, as LeaseWithinCores asks.
  const int want = std::min(options_.slots, 1 + waiting_to_lease_.load());
  auto leases = client_.ReportAndLease(lease.job_id, lease.attempt, report, want, fit);
  if (!leases.ok()) return leases.status();
  for (size_t i = 0; i < leases->size(); ++i) {
    Handed h{std::move((*leases)[i]), 0};
    h.cores = cores_.Take(JobThreads(h.lease.config_json));
    if (i == 0) {
      next = std::move(h);
    } else {
      handed_.push_back(std::move(h));
    }
  }
  return absl::OkStatus();
}

std::optional<Worker::Handed> Worker::ReportWithRetry(const sweep::Lease& lease,
                                                      const JobReport& report,
                                                      const Progress& progress) {
  // The lease is ours until lease ttl after its last acknowledged heartbeat (the job's
  // heartbeats stopped at most a period ago); while reports fail, heartbeats keep it, so a
  // coordinator that drains and restarts meanwhile neither expires the lease (a lost
  // attempt) nor hands the job to another worker (computed twice). Time while the
  // coordinator answers UNAVAILABLE or CANCELLED (down or draining) does not count: a
  // draining coordinator expires no lease and a starting one grants each a ttl of grace
  // (docs/design.md sections 4.8, 4.9).
  const std::chrono::milliseconds ttl(lease_ttl_ms_.load());
  const std::chrono::milliseconds period(heartbeat_ms_.load());
  auto lease_until = Clock::now() + ttl;
  auto next_beat = Clock::now() + period;
  rpc::Backoff backoff(options_.backoff);
  std::optional<Clock::time_point> give_up;
  std::optional<Handed> next;
  // Only the first try asks for a next job: a retry after an unknown outcome
  // (DEADLINE_EXCEEDED) would lease again while the first grant may stand.
  bool first = true;
  while (true) {
    absl::Status s = first ? ReportAsking(lease, report, next)
                           : client_.Report(lease.job_id, lease.attempt, report);
    first = false;
    if (s.ok()) {
      ++reported_;
      spdlog::info("job {} attempt {} reported ({}){}", lease.job_id, lease.attempt,
                   report.ok ? "ok" : report.error,
                   next ? absl::StrCat("; next: job ", next->lease.job_id) : "");
      return next;
    }
    if (!rpc::IsRetryable(s)) {  // ABORTED: stale attempt; the coordinator keeps another
      spdlog::warn("job {} attempt {}: report refused: {}", lease.job_id, lease.attempt,
                   s.ToString());
      return std::nullopt;
    }
    if (CoordinatorAway(s)) lease_until = Clock::now() + ttl;
    // While the worker drains, keep trying a little longer than the coordinator's own drain.
    if (stop_.stop_requested() && !give_up) give_up = Clock::now() + std::chrono::seconds(10);
    if (Clock::now() >= lease_until || (give_up && Clock::now() > *give_up)) {
      spdlog::warn("job {} attempt {}: giving up the report ({}): {}", lease.job_id, lease.attempt,
                   Clock::now() >= lease_until ? "lease expired" : "stopping", s.ToString());
      return std::nullopt;
    }
    spdlog::warn("job {}: report failed, retrying: {}", lease.job_id, s.ToString());
    // Sleep the backoff, but wake for each heartbeat that falls inside it.
    const auto wake = Clock::now() + backoff.Next();
    while (Clock::now() < wake) {
      std::this_thread::sleep_until(std::min(wake, next_beat));
      if (Clock::now() < next_beat) continue;
      next_beat = Clock::now() + period;
      auto reply =
          client_.Heartbeat(lease.job_id, lease.attempt, worker_id_, progress.step, progress.total);
      if (reply.ok() || CoordinatorAway(reply.status())) {
        lease_until = Clock::now() + ttl;
      } else if (LostLease(reply.status())) {
        spdlog::warn("job {} attempt {}: lease lost while reporting: {}", lease.job_id,
                     lease.attempt, reply.status().ToString());
        return std::nullopt;
      }
    }
  }
}

}  // namespace sweep::worker
