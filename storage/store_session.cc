// The identity half of the Store: worker sessions and the limits on who may hold a lease
// (docs/design.md section 6.5). Each check runs in the same transaction as its write.
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "storage/transaction.h"

namespace sweep::storage {
namespace {

struct WorkerRow {
  bool exists = false;
  std::string session_hash;  // "" when none (registered before sessions existed)
  int64_t slots = 0;
};

absl::StatusOr<WorkerRow> ReadWorker(Connection& conn, const std::string& worker_id) {
  SWEEP_ASSIGN_OR_RETURN(
      Statement * st,
      conn.Cached("SELECT COALESCE(session_hash, ''), slots FROM workers WHERE worker_id = ?"));
  st->Bind(1, worker_id);
  SWEEP_ASSIGN_OR_RETURN(bool found, st->Step());
  WorkerRow row;
  if (found) row = WorkerRow{true, st->Text(0), st->Int(1)};
  st->Reset();
  return row;
}

// Unexpired leases held by `worker_id` ("" for all workers).
absl::StatusOr<int64_t> RunningLeases(Connection& conn, const std::string& worker_id,
                                      TimePoint now) {
  SWEEP_ASSIGN_OR_RETURN(
      Statement * st,
      conn.Cached("SELECT COUNT(*) FROM jobs WHERE state = 'running' AND lease_expires_at > ?1"
                  " AND (?2 = '' OR lease_owner = ?2)"));
  st->Bind(1, ToUnixMillis(now)).Bind(2, worker_id);
  SWEEP_ASSIGN_OR_RETURN(bool found, st->Step());
  const int64_t n = found ? st->Int(0) : 0;
  st->Reset();
  return n;
}

}  // namespace

absl::StatusOr<bool> Store::RegisterSession(const WorkerRecord& worker,
                                            const std::string& presented_hash,
                                            const std::string& new_hash, TimePoint now) {
  if (worker.worker_id.empty()) return absl::InvalidArgumentError("worker_id: empty");
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*conn_, Transaction::Mode::kWrite));
  SWEEP_ASSIGN_OR_RETURN(WorkerRow row, ReadWorker(*conn_, worker.worker_id));
  const bool keep = row.exists && !row.session_hash.empty() && presented_hash == row.session_hash;
  if (row.exists && !row.session_hash.empty() && !keep) {
    SWEEP_ASSIGN_OR_RETURN(int64_t held, RunningLeases(*conn_, worker.worker_id, now));
    if (held > 0) {
      return absl::PermissionDeniedError(absl::StrCat(
          "worker_id: \"", worker.worker_id, "\" is registered by another process that holds ",
          held, " running lease(s); choose another --worker-id, or wait until they expire"));
    }
  }
  SWEEP_ASSIGN_OR_RETURN(
      Statement * st,
      conn_->Cached("INSERT INTO workers(worker_id, host, slots, build_version, registered_at,"
                    " last_seen_at, session_hash, slurm_job_id, slurm_array_job_id,"
                    " slurm_array_task_id, exec_names)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8, ?9, ?10)"
                    " ON CONFLICT(worker_id) DO UPDATE SET host = ?2, slots = ?3,"
                    " build_version = ?4, last_seen_at = ?5, session_hash = ?6,"
                    " slurm_job_id = ?7, slurm_array_job_id = ?8, slurm_array_task_id = ?9,"
                    " exec_names = ?10"));
  st->Bind(1, worker.worker_id).Bind(2, worker.host).Bind(3, worker.slots);
  st->Bind(4, worker.build_version).Bind(5, ToUnixMillis(now));
  st->Bind(6, keep ? row.session_hash : new_hash);
  st->Bind(7, worker.slurm.job_id).Bind(8, worker.slurm.array_job_id);
  st->Bind(9, worker.slurm.array_task_id).Bind(10, internal::JoinExecNames(worker.exec_names));
  SWEEP_RETURN_IF_ERROR(st->Run());
  SWEEP_RETURN_IF_ERROR(txn.Commit());
  return !keep;
}

absl::StatusOr<std::optional<std::string>> Store::WorkerForSession(
    const std::string& session_hash) {
  SWEEP_ASSIGN_OR_RETURN(Statement * st,
                         conn_->Cached("SELECT worker_id FROM workers WHERE session_hash = ?"));
  st->Bind(1, session_hash);
  SWEEP_ASSIGN_OR_RETURN(bool found, st->Step());
  std::optional<std::string> worker;
  if (found) worker = st->Text(0);
  st->Reset();
  return worker;
}

absl::StatusOr<bool> Store::HoldsTrainingLease(const std::string& worker_id,
                                               const std::string& training_hash) {
  SWEEP_ASSIGN_OR_RETURN(
      Statement * st,
      conn_->Cached("SELECT 1 FROM jobs WHERE state = 'running' AND lease_owner = ?1"
                    " AND training_hash = ?2 LIMIT 1"));
  st->Bind(1, worker_id).Bind(2, training_hash);
  SWEEP_ASSIGN_OR_RETURN(bool found, st->Step());
  st->Reset();
  return found;
}

absl::Status Store::CheckLeaseQuota(const std::string& worker_id, TimePoint now,
                                    int64_t max_running) {
  return QuotaLocked(worker_id, now, max_running, 0);
}

absl::Status Store::QuotaLocked(const std::string& worker_id, TimePoint now, int64_t max_running,
                                int64_t granted) {
  SWEEP_ASSIGN_OR_RETURN(WorkerRow row, ReadWorker(*conn_, worker_id));
  if (!row.exists) {
    return absl::PermissionDeniedError(absl::StrCat(
        "worker \"", worker_id, "\": not registered (call RegisterWorker before LeaseJob)"));
  }
  LeaseCount count;
  if (lease_counter_) {
    count = lease_counter_(worker_id);
    count.held += granted;
    count.total += granted;
  } else {  // the file counts this transaction's grants already
    SWEEP_ASSIGN_OR_RETURN(count.held, RunningLeases(*conn_, worker_id, now));
    SWEEP_ASSIGN_OR_RETURN(count.total, RunningLeases(*conn_, "", now));
  }
  const int64_t held = count.held;
  if (held >= row.slots) {
    return absl::ResourceExhaustedError(absl::StrCat("worker \"", worker_id, "\": holds ", held,
                                                     " lease(s), its registered slots"));
  }
  const int64_t total = count.total;
  if (total >= max_running) {
    return absl::ResourceExhaustedError(
        absl::StrCat("running leases: ", total, " (max_running_leases ", max_running, ")"));
  }
  return absl::OkStatus();
}

}  // namespace sweep::storage
