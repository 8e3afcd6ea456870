// Coordinator's private state, shared by coordinator.cc (setup, submit, reads, drain)
// and coordinator_lease.cc (the lease state machine). Not part of the API.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "server/coordinator.h"
#include "server/lease_table.h"
#include "storage/reader.h"
#include "storage/store.h"

namespace sweep::server {

// Locking. mu guards the wake-up generation and the queue of pending writes. The Store
// is used only by the current write leader (see Write), with mu released, so a batch of
// writes shares one transaction and one fsync (group commit). reader_mu guards the
// read-only connection, so long queries never hold up leases and reports.
struct Coordinator::Impl {
  Impl(const CoordinatorOptions& o, const Clock& c) : options(o), clock(c) {}

  // One queued write: `body` runs on the leader's thread inside the batch transaction.
  // Shared, so that the leader may signal it after releasing mu: the waiting caller may
  // return (and drop its reference) as soon as it sees `done`.
  struct Writer {
    const std::function<absl::Status()>* body = nullptr;
    absl::Status status;
    bool done = false;
    std::condition_variable cv;
  };
  static constexpr size_t kMaxBatch = 128;

  const CoordinatorOptions options;
  const Clock& clock;

  std::mutex mu;
  // Used by the write leader only, inside a Write body, never merely under mu.
  std::unique_ptr<storage::Store> store;
  std::deque<std::shared_ptr<Writer>> writers ABSL_GUARDED_BY(mu);
  // Bumped (and work_cv notified) whenever a lease may have become grantable or the
  // coordinator starts draining: Submit, Release, a reap that requeued, BeginDrain.
  uint64_t generation ABSL_GUARDED_BY(mu) = 0;
  std::condition_variable work_cv;
  std::atomic<bool> draining{false};

  // Session secret hash -> worker id (docs/design.md section 6.5): every worker call
  // resolves its session, so the answers are kept here; SQLite stays the truth and a
  // miss reads it. An entry is dropped when its worker gets a new session.
  std::mutex session_mu;
  std::unordered_map<std::string, std::string> sessions ABSL_GUARDED_BY(session_mu);

  std::mutex reader_mu;
  std::unique_ptr<storage::Reader> reader ABSL_GUARDED_BY(reader_mu);

  // Running leases with their in-memory deadlines (docs/design.md section 4.12).
  LeaseTable table;
  // CoordinatorStats, counted where they happen.
  std::atomic<int64_t> write_batches{0}, write_ops{0}, write_busy_us{0}, leases{0}, reports{0}, heartbeats{0},
      heartbeats_in_memory{0}, flushes{0}, flushed_leases{0};

  std::condition_variable_any reaper_cv;
  std::jthread reaper;  // stopped and joined first on destruction

  void WakeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    ++generation;
    work_cv.notify_all();
  }
  // Queues `body` and returns its status once its batch has committed (LevelDB's
  // DBImpl::Write: the writer at the front of the queue commits everyone queued behind
  // it). `lock` holds mu on entry and on return; it is released while a batch runs.
  absl::Status Write(std::unique_lock<std::mutex>& lock, const std::function<absl::Status()>& body);
  absl::Status ReapLocked(std::unique_lock<std::mutex>& lock);
  // Reloads the lease table's cancelled sweeps from the file. Only inside a Write body:
  // the writer connection is opened without SQLite's mutex (storage/sqlite.cc), so any
  // other thread using it while a leader runs a batch corrupts the file ("database disk
  // image is malformed" under load). Run there, the list is read in the order of the
  // batch, so a Cancel or Retry committed before it is in it and one after it sets the
  // table itself once its own batch has committed.
  absl::Status SyncCancelled();
  // Writes what the lease table learned since the last flush (one transaction).
  absl::Status FlushLocked(std::unique_lock<std::mutex>& lock);
  void ReaperLoop(std::stop_token stop);
};

}  // namespace sweep::server
