// The Store's side of heartbeats kept in memory (docs/design.md section 4.12): what the
// coordinator loads into its lease table at start, and the batched write of what the
// table learned since the last flush.
#include "common/status.h"
#include "storage/store.h"
#include "storage/transaction.h"

namespace sweep::storage {

absl::StatusOr<std::vector<RunningLease>> Store::ListRunningLeases() {
  SWEEP_ASSIGN_OR_RETURN(
      Statement * st, conn_->Cached("SELECT job_id, sweep_id, attempt, coalesce(lease_owner, ''),"
                                    " coalesce(lease_expires_at, 0), progress_step, progress_total"
                                    " FROM jobs WHERE state = 'running'"));
  std::vector<RunningLease> out;
  for (;;) {
    SWEEP_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(RunningLease{st->Int(0), st->Int(1), static_cast<int>(st->Int(2)), st->Text(3),
                               FromUnixMillis(st->Int(4)), st->Int(5), st->Int(6)});
  }
  st->Reset();
  return out;
}

absl::StatusOr<std::vector<int64_t>> Store::CancelledSweeps() {
  SWEEP_ASSIGN_OR_RETURN(Statement * st,
                         conn_->Cached("SELECT sweep_id FROM sweeps WHERE cancel_requested = 1"));
  std::vector<int64_t> out;
  for (;;) {
    SWEEP_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(st->Int(0));
  }
  st->Reset();
  return out;
}

absl::StatusOr<std::vector<int64_t>> Store::FlushLeases(
    const std::vector<RunningLease>& leases,
    const std::vector<std::pair<std::string, TimePoint>>& workers_seen) {
  std::vector<int64_t> gone;
  if (leases.empty() && workers_seen.empty()) return gone;
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*conn_, Transaction::Mode::kWrite));
  // The attempt and state guard keeps a late flush off a job that was reported, handed
  // back or requeued since: that attempt's lease is over, whatever memory says.
  SWEEP_ASSIGN_OR_RETURN(
      Statement * st,
      conn_->Cached("UPDATE jobs SET lease_expires_at = max(coalesce(lease_expires_at, 0), ?1),"
                    " progress_step = ?2, progress_total = ?3"
                    " WHERE job_id = ?4 AND attempt = ?5 AND state = 'running'"));
  for (const RunningLease& l : leases) {
    st->Reset();
    st->Bind(1, ToUnixMillis(l.expires_at)).Bind(2, l.step).Bind(3, l.total);
    st->Bind(4, l.job_id).Bind(5, l.attempt);
    SWEEP_RETURN_IF_ERROR(st->Run());
    if (conn_->Changes() == 0) gone.push_back(l.job_id);
  }
  SWEEP_ASSIGN_OR_RETURN(
      Statement * seen,
      conn_->Cached("UPDATE workers SET last_seen_at = max(last_seen_at, ?) WHERE worker_id = ?"));
  for (const auto& [worker, at] : workers_seen) {
    seen->Reset();
    seen->Bind(1, ToUnixMillis(at)).Bind(2, worker);
    SWEEP_RETURN_IF_ERROR(seen->Run());
  }
  SWEEP_RETURN_IF_ERROR(txn.Commit());
  return gone;
}

}  // namespace sweep::storage
