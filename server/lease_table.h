// LeaseTable: the coordinator's in-memory view of running leases, so that a heartbeat
// costs no SQLite write (docs/design.md section 4.12). A heartbeat for the current
// (job, attempt, worker) extends the deadline here and marks the entry dirty; the
// coordinator writes dirty entries to SQLite in one transaction every
// heartbeat_flush_interval (Flush). SQLite stays the truth for everything but a lease's
// deadline and progress since the last flush, and the deadline here is never earlier
// than the one in the file: a heartbeat only moves it later. So the expiry check asks
// this table (ClaimExpired) before requeueing a job whose stored deadline passed, and a
// lease never expires because its last heartbeat was only in memory.
//
// The table is a cache of current leases: a heartbeat that finds no matching entry goes
// the slow way (Store::Heartbeat, in a transaction) and gets the exact refusal, or puts
// the entry back. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/clock.h"
#include "common/records.h"
#include "storage/store.h"

namespace sweep::server {

// One running lease as the table keeps it.
using LiveLease = storage::RunningLease;

// What one flush writes: dirty leases and when each worker was last heard from.
struct LeaseFlush {
  std::vector<LiveLease> leases;
  std::vector<std::pair<std::string, TimePoint>> workers_seen;
  bool empty() const { return leases.empty() && workers_seen.empty(); }
};

class LeaseTable {
 public:
  // A granted, loaded or slow-path-renewed lease (replaces the job's entry). `dirty`: the
  // file does not hold this state yet.
  void Put(const LiveLease& lease, bool dirty);
  // Forgets the job's entry if it is of `attempt` (a report, a hand-back).
  void Erase(int64_t job_id, int attempt);
  // Erase, returning the entry it removed: a report that also leases takes its own lease
  // out before the quota is counted, and puts it back (Put, dirty) if the report fails.
  std::optional<LiveLease> Take(int64_t job_id, int attempt);

  // The fast path of a heartbeat: when (job_id, attempt, worker_id) is the entry,
  // extends it to now + ttl, records progress and returns the reply (the new deadline,
  // whether the job's sweep was cancelled); nullopt otherwise (the caller then asks the
  // store).
  std::optional<HeartbeatReply> Renew(int64_t job_id, int attempt, const std::string& worker_id,
                                      int64_t step, int64_t total, TimePoint now,
                                      std::chrono::milliseconds ttl);

  // Asked by the expiry check for each lease whose stored deadline is <= now: the
  // deadline here when it is later than now (the lease lives; the file is behind), else
  // nullopt, and the entry is dropped in the same step, so a heartbeat that comes after
  // this answer takes the slow path and meets the requeued job.
  std::optional<TimePoint> ClaimExpired(int64_t job_id, int attempt, TimePoint now);

  // Cancellation reaches running jobs through heartbeat replies (docs/design.md 4.7).
  void SetCancelled(int64_t sweep_id, bool cancelled);
  // Replaces the set of cancelled sweeps (after the file cancelled one on its own: a
  // --fail-fast sweep's first failure, docs/design.md section 4.7).
  void ReplaceCancelled(const std::vector<int64_t>& sweep_ids);
  bool Cancelled(int64_t sweep_id) const;

  // Takes what changed since the last call (dirty entries, workers seen) and marks it
  // clean. `Restore` puts back what a failed flush did not write.
  LeaseFlush TakeDirty();
  void Restore(const LeaseFlush& flush);

  size_t size() const;
  // Leases held by `worker_id`, and in all: the quota of a grant (docs/design.md 6.5),
  // counted here rather than by scanning every running job in SQLite.
  storage::LeaseCount Count(const std::string& worker_id) const;

 private:
  struct Entry {
    LiveLease lease;
    bool dirty = false;
  };
  // Drops an entry and its owner's count.
  void RemoveLocked(std::unordered_map<int64_t, Entry>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable std::mutex mu_;
  std::unordered_map<int64_t, Entry> leases_ ABSL_GUARDED_BY(mu_);
  std::unordered_map<std::string, int64_t> held_ ABSL_GUARDED_BY(mu_);  // owner -> entries
  std::unordered_set<int64_t> dirty_ ABSL_GUARDED_BY(mu_);              // job ids
  std::unordered_map<std::string, TimePoint> seen_ ABSL_GUARDED_BY(mu_);
  std::unordered_set<int64_t> cancelled_sweeps_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sweep::server
