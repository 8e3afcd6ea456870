// A report that also takes the worker's next lease (ReportResultRequest.next): one
// transaction, so a worker's cycle costs one commit instead of two (docs/design.md
// section 4.3).
#include <sqlite3.h>

#include "common/status.h"
#include "storage/fault_point.h"
#include "storage/store.h"
#include "storage/transaction.h"

namespace sweep::storage {

absl::StatusOr<ReportLease> Store::ReportThenLease(int64_t job_id, int attempt,
                                                   const JobReport& report, TimePoint now,
                                                   const LeaseAsk& ask) {
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*conn_, Transaction::Mode::kWrite));
  // Report and LeaseUpTo each run in a savepoint of this transaction (storage/transaction.h).
  absl::StatusOr<bool> stored = Report(job_id, attempt, report, now);
  if (!stored.ok()) {
    // What the refused report wrote stays (FAILED_PRECONDITION cancels the job); its own
    // savepoint already undid anything else. Nothing is leased.
    if (sqlite3_get_autocommit(conn_->raw())) return stored.status();  // SQLite rolled back
    SWEEP_RETURN_IF_ERROR(txn.Commit());
    return stored.status();
  }
  ReportLease out;
  out.stored = *stored;
  if (ask.max_jobs > 0) {
    absl::StatusOr<std::vector<Lease>> leases =
        LeaseUpTo(report.worker_id, now, ask.ttl, ask.fit, ask.max_jobs, ask.max_running);
    // A failure that SQLite answered by rolling back the whole transaction took the
    // report with it: the call fails as a whole.
    if (sqlite3_get_autocommit(conn_->raw())) {
      return leases.ok() ? absl::InternalError("report and lease rolled back by SQLite")
                         : leases.status();
    }
    if (leases.ok()) {
      out.leases = *std::move(leases);
    } else {
      out.lease_refused = leases.status();
    }
  }
  SWEEP_FAULT_POINT("report_lease.before_commit");
  SWEEP_RETURN_IF_ERROR(txn.Commit());
  return out;
}

}  // namespace sweep::storage
