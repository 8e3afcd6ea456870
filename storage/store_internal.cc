#include "storage/store_internal.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status.h"

namespace sweep::storage::internal {

absl::Status AddEvent(Connection& conn, TimePoint at, std::optional<int64_t> sweep_id,
                      std::optional<int64_t> job_id, std::optional<int> attempt,
                      std::string_view kind, std::string_view worker_id, std::string_view detail) {
  SWEEP_ASSIGN_OR_RETURN(
      Statement * st,
      conn.Cached("INSERT INTO events(at, sweep_id, job_id, attempt, kind, worker_id, detail)"
                  " VALUES (?, ?, ?, ?, ?, ?, ?)"));
  st->Bind(1, ToUnixMillis(at)).Bind(2, sweep_id).Bind(3, job_id);
  st->Bind(4, attempt).Bind(5, kind).Bind(6, worker_id).Bind(7, detail);
  return st->Run();
}

absl::StatusOr<bool> HasCheckpoint(Connection& conn, const std::string& training_hash) {
  SWEEP_ASSIGN_OR_RETURN(Statement * st,
                         conn.Cached("SELECT 1 FROM checkpoints WHERE training_hash = ?"));
  st->Bind(1, training_hash);
  SWEEP_ASSIGN_OR_RETURN(bool found, st->Step());
  st->Reset();
  return found;
}

absl::StatusOr<LeaseRow> LoadLeaseRow(Connection& conn, int64_t job_id) {
  SWEEP_ASSIGN_OR_RETURN(
      Statement * st,
      conn.Cached("SELECT j.sweep_id, j.state, j.attempt, j.lost_attempts, s.max_attempts,"
                  " coalesce(j.lease_owner, ''), s.cancel_requested, s.stop_requested,"
                  " s.fail_fast, s.adaptive_seeds IS NOT NULL"
                  " FROM jobs j JOIN sweeps s ON s.sweep_id = j.sweep_id WHERE j.job_id = ?"));
  st->Bind(1, job_id);
  SWEEP_ASSIGN_OR_RETURN(bool found, st->Step());
  if (!found) return absl::NotFoundError(absl::StrCat("job ", job_id, ": no such job"));
  LeaseRow row;
  row.job_id = job_id;
  row.sweep_id = st->Int(0);
  const std::string state = st->Text(1);
  std::optional<JobState> parsed = ParseJobState(state);
  if (!parsed) {
    return absl::DataLossError(absl::StrCat("job ", job_id, ": unknown state \"", state, "\""));
  }
  row.state = *parsed;
  row.attempt = static_cast<int>(st->Int(2));
  row.lost_attempts = static_cast<int>(st->Int(3));
  row.max_attempts = static_cast<int>(st->Int(4));
  row.owner = st->Text(5);
  row.cancel_requested = st->Int(6) != 0;
  row.stop_requested = st->Int(7) != 0;
  row.fail_fast = st->Int(8) != 0;
  row.adaptive = st->Int(9) != 0;
  st->Reset();  // release the read cursor before the caller writes
  return row;
}

absl::Status CheckCurrent(const LeaseRow& row, int attempt, const std::string& worker_id) {
  // The owner check below is half of the fencing: an anonymous caller must not keep,
  // hand back or complete a lease it does not hold.
  if (worker_id.empty()) return absl::InvalidArgumentError("worker_id: empty");
  if (attempt < row.attempt) {
    return absl::AbortedError(
        absl::StrCat("job ", row.job_id, ": attempt ", attempt, " superseded by ", row.attempt));
  }
  if (attempt > row.attempt) {
    return absl::AbortedError(absl::StrCat("job ", row.job_id, ": attempt ", attempt,
                                           " was never granted (current ", row.attempt, ")"));
  }
  if (row.state == JobState::kQueued) {
    return absl::AbortedError(absl::StrCat("job ", row.job_id, ": attempt ", attempt,
                                           " is no longer leased (job requeued)"));
  }
  if (row.state != JobState::kRunning) {
    return absl::AbortedError(
        absl::StrCat("job ", row.job_id, " finished (", std::string(JobStateName(row.state)), ")"));
  }
  if (worker_id != row.owner) {
    return absl::AbortedError(absl::StrCat("job ", row.job_id, ": attempt ", attempt,
                                           " is held by ", row.owner, ", not ", worker_id));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CancelQueued(Connection& conn, int64_t sweep_id, TimePoint now) {
  SWEEP_ASSIGN_OR_RETURN(
      Statement * ev,
      conn.Cached("INSERT INTO events(at, sweep_id, job_id, attempt, kind) SELECT ?, sweep_id,"
                  " job_id, attempt, 'cancelled' FROM jobs WHERE sweep_id = ?"
                  " AND state = 'queued'"));
  ev->Bind(1, ToUnixMillis(now)).Bind(2, sweep_id);
  SWEEP_RETURN_IF_ERROR(ev->Run());
  SWEEP_ASSIGN_OR_RETURN(
      Statement * jobs,
      conn.Cached("UPDATE jobs SET state = 'cancelled', finished_at = ? WHERE sweep_id = ?"
                  " AND state = 'queued'"));
  jobs->Bind(1, ToUnixMillis(now)).Bind(2, sweep_id);
  SWEEP_RETURN_IF_ERROR(jobs->Run());
  return conn.Changes();
}

std::string FailFastReason(int64_t job_id, std::string_view kind) {
  return absl::StrCat("fail-fast: job ", job_id, " failed (", std::string(kind), "); ");
}

absl::StatusOr<int64_t> CancelSweep(Connection& conn, int64_t sweep_id, TimePoint now,
                                    std::string_view why) {
  SWEEP_ASSIGN_OR_RETURN(
      Statement * flag, conn.Cached("UPDATE sweeps SET cancel_requested = 1 WHERE sweep_id = ?"));
  flag->Bind(1, sweep_id);
  SWEEP_RETURN_IF_ERROR(flag->Run());
  if (conn.Changes() == 0) {
    return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, ": no such sweep"));
  }
  SWEEP_ASSIGN_OR_RETURN(int64_t cancelled, CancelQueued(conn, sweep_id, now));
  SWEEP_RETURN_IF_ERROR(AddEvent(conn, now, sweep_id, std::nullopt, std::nullopt,
                                 "cancel_requested", "",
                                 absl::StrCat(std::string(why), cancelled, " queued jobs cancelled")));
  return cancelled;
}

std::string JoinExecNames(const std::vector<std::string>& names) {
  if (names.empty()) return "";
  return absl::StrCat(",", absl::StrJoin(names, ","), ",");
}

std::vector<std::string> SplitExecNames(const std::string& stored) {
  return absl::StrSplit(stored, ',', absl::SkipEmpty());
}

}  // namespace sweep::storage::internal
