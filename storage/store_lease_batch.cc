// A worker's lease call in one transaction: expiry, the quota and up to max_jobs grants
// (docs/design.md section 4.1). One commit, so one fsync, serves all of a worker's free
// slots.
#include <algorithm>

#include "common/status.h"
#include "storage/store.h"
#include "storage/transaction.h"

namespace sweep::storage {
namespace {

// The threads a granted job takes from its worker's cores (LeaseFit, common/records.h).
absl::StatusOr<int> JobThreads(Connection& conn, int64_t job_id) {
  SWEEP_ASSIGN_OR_RETURN(
      Statement * st,
      conn.Cached("SELECT coalesce(json_extract(config_json, '$.threads'), 1) FROM jobs"
                  " WHERE job_id = ?"));
  st->Bind(1, job_id);
  SWEEP_ASSIGN_OR_RETURN(bool found, st->Step());
  const int64_t threads = found ? st->Int(0) : 1;
  st->Reset();
  return static_cast<int>(std::clamp<int64_t>(threads, 1, 1 << 20));
}

}  // namespace

absl::StatusOr<std::vector<Lease>> Store::LeaseUpTo(const std::string& worker_id, TimePoint now,
                                                    std::chrono::milliseconds ttl, LeaseFit fit,
                                                    int max_jobs, int64_t max_running) {
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*conn_, Transaction::Mode::kWrite));
  // Expired leases first: the quota counts unexpired leases from the file, whose
  // deadlines the expiry check brings up to date (docs/design.md section 4.12).
  int64_t refreshed = 0;
  SWEEP_ASSIGN_OR_RETURN(int64_t reaped, ReapLocked(now, refreshed));
  std::vector<Lease> out;
  while (static_cast<int>(out.size()) < max_jobs) {
    if (absl::Status quota =
            QuotaLocked(worker_id, now, max_running, static_cast<int64_t>(out.size()));
        !quota.ok()) {
      if (!out.empty()) break;
      // Refused: the reap's requeues stay (the worker's quota does not undo them).
      if (reaped + refreshed > 0) SWEEP_RETURN_IF_ERROR(txn.Commit());
      return quota;
    }
    if (fit.total_cores > 0 && fit.free_cores <= 0) break;
    SWEEP_ASSIGN_OR_RETURN(std::optional<Lease> lease, LeaseNext(worker_id, now, ttl, fit));
    if (!lease) break;
    if (fit.total_cores > 0) {
      SWEEP_ASSIGN_OR_RETURN(int threads, JobThreads(*conn_, lease->job_id));
      fit.free_cores -= std::min(threads, fit.total_cores);
    }
    out.push_back(*std::move(lease));
  }
  if (out.empty() && reaped + refreshed == 0) return out;  // nothing written
  SWEEP_RETURN_IF_ERROR(txn.Commit());
  return out;
}

}  // namespace sweep::storage
