// Worker: registration and the per-slot lease loop (see worker.h). The life of one
// leased job is in worker_job.cc.
#include "worker/worker.h"

#include <unistd.h>

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
  if (heartbeat.count() < 0) return absl::InvalidArgumentError("heartbeat: negative");
  if (drain_grace.count() < 0) return absl::InvalidArgumentError("drain_grace: negative");
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
      runner_(std::move(runner)),
      client_(rpc::MakeChannel(options.coordinator)),
      worker_id_(options.worker_id.empty() ? MakeWorkerId() : options.worker_id) {}

bool Worker::RegisterUntilOk() {
  rpc::Backoff backoff(options_.backoff);
  while (!stop_.stop_requested()) {
    auto ttl =
        client_.Register(WorkerHello{worker_id_, HostName(), options_.slots, BuildVersion()});
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
  if (!RegisterUntilOk()) return absl::OkStatus();
  spdlog::info("worker {} registered with {} ({} slots, heartbeat {} ms)", worker_id_,
               options_.coordinator, options_.slots, heartbeat_ms_.load());
  {
    std::vector<std::jthread> slots;
    for (int i = 0; i < options_.slots; ++i) slots.emplace_back([this] { SlotLoop(); });
  }  // jthreads join here
  spdlog::info("worker {} stopped ({} results reported)", worker_id_, reported_.load());
  return absl::OkStatus();
}

void Worker::SlotLoop() {
  rpc::Backoff backoff(options_.backoff);
  bool reconnecting = false;
  while (!stop_.stop_requested()) {
    if (reconnecting) RegisterUntilOk();  // the coordinator may have lost nothing, but be sure
    auto lease = client_.Lease(worker_id_, rpc::kLeaseWait, stop_.get_token());
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
      break;
    }
    RunLease(**lease);
  }
}

}  // namespace sweep::worker
