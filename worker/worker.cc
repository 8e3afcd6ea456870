// Worker: registration and the per-slot lease loop (see worker.h). The life of one
// leased job is in worker_job.cc.
#include "worker/worker.h"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/build_info.h"
#include "common/status.h"
#include "rpc/channel.h"
#include "rpc/retry.h"
#include "spdlog/spdlog.h"

namespace sweep::worker {

absl::Status WorkerOptions::Validate() const {
  if (coordinator.empty()) return absl::InvalidArgumentError("coordinator: empty");
  if (slots < 1 || slots > 1024) {
    return absl::InvalidArgumentError(absl::StrCat("slots: ", slots, " (must be 1..1024)"));
  }
  if (cores < 0 || cores > 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("cores: ", cores, " (must be 1..4096, or 0 for all)"));
  }
  if (memory_mb < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("memory_mb: ", memory_mb, " (must be >= 1, or 0 for all)"));
  }
  if (heartbeat.count() < 0) return absl::InvalidArgumentError("heartbeat: negative");
  if (drain_grace.count() < 0) return absl::InvalidArgumentError("drain_grace: negative");
  if (exit_when_idle.count() < 0) return absl::InvalidArgumentError("exit_when_idle: negative");
  return absl::OkStatus();
}

std::string HostName() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) return "unknown";
  return host;
}

std::string MakeWorkerId() {
  std::random_device rd;
  return absl::StrCat(HostName(), "-", getpid(), "-", absl::Hex(rd() & 0xffffff, absl::kZeroPad6));
}

bool SleepUnlessStopped(std::chrono::milliseconds d, std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock<std::mutex> lock(mu);
  cv.wait_for(lock, stop, d, [] { return false; });
  return !stop.stop_requested();
}

Worker::Worker(const WorkerOptions& options, std::unique_ptr<JobRunner> runner)
    : options_(options),
      // Exec jobs run through their own runner, every other job through `runner`.
      runner_(options.allow_exec.empty()
                  ? std::move(runner)
                  : MakeExecRunner(options.allow_exec, std::move(runner), options.exec)),
      client_(rpc::MakeChannel(options.coordinator, options.auth)),
      worker_id_(options.worker_id.empty() ? MakeWorkerId() : options.worker_id),
      cores_(options.cores > 0 ? options.cores
                               : static_cast<int>(std::thread::hardware_concurrency())),
      memory_limit_bytes_(options.memory_mb > 0 ? options.memory_mb << 20 : PhysicalMemoryBytes()) {
}

int64_t PhysicalMemoryBytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? int64_t{pages} * page : 0;
}

absl::StatusOr<std::optional<sweep::Lease>> Worker::LeaseWithinCores(int& cores) {
  cores = 0;
  ++waiting_to_lease_;
  std::lock_guard<std::mutex> one_slot_at_a_time(lease_mu_);
  --waiting_to_lease_;
  if (!handed_.empty()) {
    Handed h = std::move(handed_.front());
    handed_.pop_front();
    cores = h.cores;
    return std::optional<sweep::Lease>(std::move(h.lease));
  }
  std::optional<LeaseFit> fit = cores_.WaitForFree(stop_.get_token());
  if (!fit) return std::optional<sweep::Lease>();
  fit->exec_names = ExecNames(options_.allow_exec);
  // This slot and every slot queued behind it: one call and one commit for all of them.
  const int want = std::min(options_.slots, 1 + waiting_to_lease_.load());
  auto leases = client_.LeaseMany(worker_id_, rpc::kLeaseWait, want, stop_.get_token(), *fit);
  if (!leases.ok()) return leases.status();
  if (leases->empty()) return std::optional<sweep::Lease>();
  for (size_t i = 1; i < leases->size(); ++i) {
    const int taken = cores_.Take(JobThreads((*leases)[i].config_json));
    handed_.push_back(Handed{std::move((*leases)[i]), taken});
  }
  cores = cores_.Take(JobThreads(leases->front().config_json));
  return std::optional<sweep::Lease>(std::move(leases->front()));
}

void Worker::ReleaseHanded() {
  std::lock_guard<std::mutex> lock(lease_mu_);
  for (const Handed& h : handed_) {
    (void)client_.Release(h.lease.job_id, h.lease.attempt, worker_id_);
    cores_.Give(h.cores);
  }
  handed_.clear();
}

bool Worker::RegisterUntilOk() {
  rpc::Backoff backoff(options_.backoff);
  while (!stop_.stop_requested()) {
    auto ttl = client_.Register(
        WorkerHello{worker_id_, HostName(), options_.slots, BuildVersion(), options_.slurm,
                    ExecNames(options_.allow_exec)});
    if (ttl.ok()) {
      lease_ttl_ms_ = ttl->count();
      heartbeat_ms_ = options_.heartbeat.count() > 0 ? options_.heartbeat.count()
                                                     : std::max<int64_t>(50, ttl->count() / 3);
      return true;
    }
    spdlog::warn("worker {}: register failed: {}", worker_id_, ttl.status().ToString());
    SleepUnlessStopped(backoff.Next(), stop_.get_token());
  }
  return false;
}

absl::Status Worker::Run() {
  SWEEP_RETURN_IF_ERROR(options_.Validate());
  idle_since_ = std::chrono::steady_clock::now().time_since_epoch().count();
  // The idle clock runs from the start: a coordinator that never answers also ends an
  // allocation. The watcher's stop token is its own; stop_ ends the worker.
  std::jthread idle_watch;
  if (options_.exit_when_idle.count() > 0) idle_watch = std::jthread([this] { WatchIdle(); });
  if (RegisterUntilOk()) {
    spdlog::info("worker {} registered with {} ({} slots, {} cores, heartbeat {} ms)", worker_id_,
                 options_.coordinator, options_.slots, cores_.total(), heartbeat_ms_.load());
    std::vector<std::jthread> slots;
    for (int i = 0; i < options_.slots; ++i) slots.emplace_back([this] { SlotLoop(); });
  }                 // jthreads join here
  ReleaseHanded();  // leased for a slot that stopped first: another worker runs them now
  spdlog::info("worker {} stopped ({} results reported)", worker_id_, reported_.load());
  return absl::OkStatus();
}

void Worker::WatchIdle() {
  using std::chrono::steady_clock;
  const auto limit = options_.exit_when_idle;
  // Checking four times per period bounds the overshoot at a quarter of it (and 1 s).
  const auto tick = std::clamp<std::chrono::milliseconds>(limit / 4, std::chrono::milliseconds(10),
                                                          std::chrono::milliseconds(1000));
  while (SleepUnlessStopped(tick, stop_.get_token())) {
    if (busy_slots_.load() > 0) continue;
    const steady_clock::time_point since{steady_clock::duration(idle_since_.load())};
    if (steady_clock::now() - since < limit) continue;
    spdlog::info("worker {}: no job for {} ms (--exit-when-idle): exiting", worker_id_,
                 limit.count());
    stopped_idle_ = true;
    stop_.request_stop();
  }
}

void Worker::SlotLoop() {
  rpc::Backoff backoff(options_.backoff);
  bool reconnecting = false;
  std::optional<Handed> next;  // leased with the slot's last report
  while (!stop_.stop_requested()) {
    int cores = 0;
    absl::StatusOr<std::optional<sweep::Lease>> lease = std::optional<sweep::Lease>();
    if (next) {
      cores = next->cores;
      lease = std::optional<sweep::Lease>(std::move(next->lease));
      next.reset();
    } else {
      if (reconnecting) RegisterUntilOk();  // the coordinator may have lost nothing, but be sure
      lease = LeaseWithinCores(cores);
    }
    if (!lease.ok()) {
      if (stop_.stop_requested()) break;
      spdlog::warn("worker {}: lease failed: {}", worker_id_, lease.status().ToString());
      reconnecting = true;
      SleepUnlessStopped(backoff.Next(), stop_.get_token());
      continue;
    }
    reconnecting = false;
    backoff.Reset();
    if (!lease->has_value()) continue;
    if (stop_.stop_requested()) {  // granted while we were stopping: hand it straight back
      (void)client_.Release((*lease)->job_id, (*lease)->attempt, worker_id_);
      cores_.Give(cores);
      break;
    }
    ++busy_slots_;
    next = RunLease(**lease, cores);  // gives the cores back itself
    // Restart the idle clock before leaving the busy count, so that the watcher never
    // sees no busy slot with a stale clock; while other slots run it does not look.
    idle_since_ = std::chrono::steady_clock::now().time_since_epoch().count();
    --busy_slots_;
  }
  if (next) {  // leased with the last report as the worker stopped: hand it back
    (void)client_.Release(next->lease.job_id, next->lease.attempt, worker_id_);
    cores_.Give(next->cores);
  }
}

}  // namespace sweep::worker
