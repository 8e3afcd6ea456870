// Coordinator's private state, shared by coordinator.cc (setup, submit, reads, drain)
// and coordinator_lease.cc (the lease state machine). Not part of the API.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "server/coordinator.h"
#include "storage/reader.h"
#include "storage/store.h"

namespace sweep::server {

// Locking: mu guards the writer Store and the wake-up generation; reader_mu guards the
// read-only connection, so long queries never hold up leases and reports.
struct Coordinator::Impl {
  Impl(const CoordinatorOptions& o, const Clock& c) : options(o), clock(c) {}

  const CoordinatorOptions options;
  const Clock& clock;

  std::mutex mu;
  std::unique_ptr<storage::Store> store ABSL_GUARDED_BY(mu);
  // Bumped (and work_cv notified) whenever a lease may have become grantable or the
  // coordinator starts draining: Submit, Release, a reap that requeued, BeginDrain.
  uint64_t generation ABSL_GUARDED_BY(mu) = 0;
  std::condition_variable work_cv;
  std::atomic<bool> draining{false};

  std::mutex reader_mu;
  std::unique_ptr<storage::Reader> reader ABSL_GUARDED_BY(reader_mu);

  std::condition_variable_any reaper_cv;
  std::jthread reaper;  // last member: stopped and joined first on destruction

  void WakeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    ++generation;
    work_cv.notify_all();
  }
  absl::Status ReapLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void ReaperLoop(std::stop_token stop);
};

}  // namespace sweep::server
