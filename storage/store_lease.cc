// The lease half of the Store: grant, heartbeat, hand-back, expiry and cancellation.
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/input_checks.h"
#include "common/status.h"
#include "storage/fault_point.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "storage/transaction.h"

namespace sweep::storage {
namespace {

using internal::AddEvent;

struct Expired {
  int64_t job_id, sweep_id;
  int attempt, lost_attempts, max_attempts;
  std::string owner;
  bool cancel_requested;
  bool stop_requested;
  bool fail_fast;
};

absl::StatusOr<std::vector<Expired>> FindExpired(Connection& conn, TimePoint now) {
  SWEEP_ASSIGN_OR_RETURN(
      Statement * st,
      conn.Cached("SELECT j.job_id, j.sweep_id, j.attempt, j.lost_attempts, s.max_attempts,"
                  " coalesce(j.lease_owner, ''), s.cancel_requested, s.stop_requested,"
                  " s.fail_fast FROM jobs j JOIN sweeps s ON s.sweep_id = j.sweep_id"
                  " WHERE j.state = 'running' AND j.lease_expires_at <= ?"));
  st->Bind(1, ToUnixMillis(now));
  std::vector<Expired> out;
  for (;;) {
    SWEEP_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(Expired{st->Int(0), st->Int(1), static_cast<int>(st->Int(2)),
                          static_cast<int>(st->Int(3)), static_cast<int>(st->Int(4)), st->Text(5),
                          st->Int(6) != 0, st->Int(7) != 0, st->Int(8) != 0});
  }
  st->Reset();
  return out;
}

// Moves a job out of `running` into `state` and clears its lease (the owner is kept as
// the last holder).
absl::Status EndLease(Connection& conn, int64_t job_id, std::string_view state,
                      std::string_view failure_kind, const std::string& error,
                      std::optional<TimePoint> finished_at, int lost_attempts) {
  SWEEP_ASSIGN_OR_RETURN(
      Statement * st,
      conn.Cached("UPDATE jobs SET state = ?, failure_kind = ?, error = ?, finished_at = ?,"
                  " lost_attempts = ?, lease_expires_at = NULL WHERE job_id = ?"));
  st->Bind(1, state).Bind(2, failure_kind).Bind(3, error);
  if (finished_at) st->Bind(4, ToUnixMillis(*finished_at));
  st->Bind(5, lost_attempts).Bind(6, job_id);
  return st->Run();
}

// The worker's exec names as ",name1,name2," for instr() (docs/exec.md), after checking
// them: a name that could never match is the worker's mistake, said at once. (A plain
// string function keeps a virtual table such as json_each out of the lease statement.)
absl::StatusOr<std::string> ExecNamesList(const std::vector<std::string>& names) {
  SWEEP_RETURN_IF_ERROR(CheckExecNames(names));
  return internal::JoinExecNames(names);
}

}  // namespace

absl::Status Store::FinishAttempt(int64_t job_id, int attempt, std::string_view outcome,
                                  TimePoint now, const std::string& digest,
                                  const std::string& error) {
  SWEEP_ASSIGN_OR_RETURN(
      Statement * st,
      conn_->Cached("UPDATE attempts SET outcome = ?, ended_at = ?, digest = ?, error = ?"
                    " WHERE job_id = ? AND attempt = ?"));
  st->Bind(1, outcome).Bind(2, ToUnixMillis(now));
  if (!digest.empty()) st->Bind(3, digest);
  st->Bind(4, error).Bind(5, job_id).Bind(6, attempt);
  return st->Run();
}

absl::StatusOr<int64_t> Store::ReapLocked(TimePoint now, int64_t& refreshed) {
  refreshed = 0;
  SWEEP_ASSIGN_OR_RETURN(std::vector<Expired> candidates, FindExpired(*conn_, now));
  std::vector<Expired> expired;
  for (const Expired& e : candidates) {
    // The stored deadline passed, but a heartbeat kept only in memory may have moved it
    // (docs/design.md section 4.12): the live one wins, and is written now so that the
    // next check does not ask again.
    std::optional<TimePoint> live;
    if (live_deadline_) live = live_deadline_(e.job_id, e.attempt, now);
    if (!live) {
      expired.push_back(e);
      continue;
    }
    SWEEP_ASSIGN_OR_RETURN(Statement * st,
                           conn_->Cached("UPDATE jobs SET lease_expires_at = ? WHERE job_id = ?"));
    st->Bind(1, ToUnixMillis(*live)).Bind(2, e.job_id);
    SWEEP_RETURN_IF_ERROR(st->Run());
    ++refreshed;
  }
  for (const Expired& e : expired) {
    const int lost = e.lost_attempts + 1;
    const std::string error =
        absl::StrCat("lease of attempt ", e.attempt, " held by ", e.owner, " expired (", lost,
                     " of ", e.max_attempts, " attempts lost)");
    SWEEP_RETURN_IF_ERROR(FinishAttempt(e.job_id, e.attempt, "lost", now, "", error));
    std::string_view kind;
    // A stopped sweep lets its running jobs finish but starts none again.
    if (e.cancel_requested || e.stop_requested) {
      kind = "cancelled";
      SWEEP_RETURN_IF_ERROR(EndLease(*conn_, e.job_id, "cancelled", "none", "", now, lost));
    } else if (lost >= e.max_attempts) {
      kind = "failed";
      SWEEP_RETURN_IF_ERROR(EndLease(*conn_, e.job_id, "failed", "lost", error, now, lost));
    } else {
      kind = "requeued";
      SWEEP_RETURN_IF_ERROR(
          EndLease(*conn_, e.job_id, "queued", "none", error, std::nullopt, lost));
    }
    SWEEP_RETURN_IF_ERROR(
        AddEvent(*conn_, now, e.sweep_id, e.job_id, e.attempt, kind, e.owner, error));
    if (kind == "failed" && e.fail_fast) {
      SWEEP_RETURN_IF_ERROR(internal::CancelSweep(*conn_, e.sweep_id, now,
                                                  internal::FailFastReason(e.job_id, "lost"))
                                .status());
    }
    // A seed lost for good leaves its cell one value short: adaptive seeds may add one.
    if (kind == "failed") SWEEP_RETURN_IF_ERROR(GrowCellOfJob(e.job_id, e.sweep_id, now).status());
  }
  return static_cast<int64_t>(expired.size());
}

absl::StatusOr<int64_t> Store::ReapExpired(TimePoint now) {
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*conn_, Transaction::Mode::kWrite));
  int64_t refreshed = 0;
  SWEEP_ASSIGN_OR_RETURN(int64_t n, ReapLocked(now, refreshed));
  if (n + refreshed == 0) return n;  // nothing written; the rollback is free
  SWEEP_RETURN_IF_ERROR(txn.Commit());
  return n;
}

absl::StatusOr<std::optional<Lease>> Store::LeaseNext(const std::string& worker_id, TimePoint now,
                                                      std::chrono::milliseconds ttl, LeaseFit fit) {
  if (worker_id.empty()) return absl::InvalidArgumentError("worker_id: empty");
  SWEEP_ASSIGN_OR_RETURN(const std::string exec_names, ExecNamesList(fit.exec_names));
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*conn_, Transaction::Mode::kWrite));
  int64_t refreshed = 0;
  SWEEP_ASSIGN_OR_RETURN(int64_t reaped, ReapLocked(now, refreshed));
  SWEEP_ASSIGN_OR_RETURN(
      Statement * pick,
      conn_->Cached("UPDATE jobs SET state = 'running', attempt = attempt + 1,"
                    " lease_owner = ?1, lease_expires_at = ?2, progress_step = 0,"
                    " progress_total = 0 WHERE job_id = (SELECT job_id FROM jobs"
                    " WHERE state = 'queued' AND sweep_id NOT IN"
                    " (SELECT sweep_id FROM sweeps WHERE paused = 1) AND (?4 <= 0 OR ?3 >= ?4 OR"
                    " coalesce(json_extract(config_json, '$.threads'), 1) <= ?3)"
                    " AND (avoid_worker IS NULL OR avoid_worker <> ?1)"
                    // docs/exec.md: only a worker that allows a job's program leases it.
                    // The canonical JSON of no other model holds this text, so the
                    // cheap instr() spares the other jobs a JSON parse.
                    // ?5 is ",name1,name2," (names hold no comma, common/exec_keys.h).
                    " AND (instr(config_json, '\"model\":\"exec\"') = 0 OR"
                    " instr(?5, ',' || json_extract(config_json, '$.exec') || ',') > 0)"
                    " ORDER BY priority, job_id LIMIT 1)"
                    " RETURNING job_id, sweep_id, attempt, config_json, training_hash"));
  const TimePoint expires = now + ttl;
  // LeaseFit (common/records.h): no filter without a core count, none for an idle worker.
  pick->Bind(1, worker_id).Bind(2, ToUnixMillis(expires));
  pick->Bind(3, int64_t{fit.free_cores}).Bind(4, int64_t{fit.total_cores});
  pick->Bind(5, exec_names);
  SWEEP_ASSIGN_OR_RETURN(bool got, pick->Step());
  if (!got) {
    pick->Reset();
    if (reaped + refreshed > 0) SWEEP_RETURN_IF_ERROR(txn.Commit());
    return std::optional<Lease>();
  }
  Lease lease{pick->Int(0),  pick->Int(1), static_cast<int>(pick->Int(2)),
              pick->Text(3), expires,      pick->Text(4)};
  SWEEP_RETURN_IF_ERROR(pick->Run());  // finish the RETURNING statement
  SWEEP_ASSIGN_OR_RETURN(lease.checkpoint_available,
                         internal::HasCheckpoint(*conn_, lease.training_hash));
  SWEEP_ASSIGN_OR_RETURN(Statement * att,
                         conn_->Cached("INSERT INTO attempts(job_id, attempt, worker_id,"
                                       " leased_at) VALUES (?, ?, ?, ?)"));
  att->Bind(1, lease.job_id).Bind(2, lease.attempt).Bind(3, worker_id);
  att->Bind(4, ToUnixMillis(now));
  SWEEP_RETURN_IF_ERROR(att->Run());
  SWEEP_RETURN_IF_ERROR(
      AddEvent(*conn_, now, lease.sweep_id, lease.job_id, lease.attempt, "leased", worker_id, ""));
  SWEEP_FAULT_POINT("lease.before_commit");
  SWEEP_RETURN_IF_ERROR(txn.Commit());
  return std::optional<Lease>(std::move(lease));
}

absl::StatusOr<LeaseRenewal> Store::Heartbeat(int64_t job_id, int attempt,
                                              const std::string& worker_id, int64_t step,
                                              int64_t total, TimePoint now,
                                              std::chrono::milliseconds ttl) {
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*conn_, Transaction::Mode::kWrite));
  SWEEP_ASSIGN_OR_RETURN(internal::LeaseRow row, internal::LoadLeaseRow(*conn_, job_id));
  SWEEP_RETURN_IF_ERROR(internal::CheckCurrent(row, attempt, worker_id));
  const TimePoint expires = now + ttl;
  SWEEP_ASSIGN_OR_RETURN(Statement * st,
                         conn_->Cached("UPDATE jobs SET lease_expires_at = ?, progress_step = ?,"
                                       " progress_total = ? WHERE job_id = ?"));
  st->Bind(1, ToUnixMillis(expires)).Bind(2, step).Bind(3, total).Bind(4, job_id);
  SWEEP_RETURN_IF_ERROR(st->Run());
  SWEEP_ASSIGN_OR_RETURN(Statement * seen,
                         conn_->Cached("UPDATE workers SET last_seen_at = ? WHERE worker_id = ?"));
  seen->Bind(1, ToUnixMillis(now)).Bind(2, worker_id);
  SWEEP_RETURN_IF_ERROR(seen->Run());
  SWEEP_RETURN_IF_ERROR(txn.Commit());
  return LeaseRenewal{row.cancel_requested, expires, row.sweep_id};
}

absl::Status Store::Release(int64_t job_id, int attempt, const std::string& worker_id,
                            TimePoint now) {
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*conn_, Transaction::Mode::kWrite));
  SWEEP_ASSIGN_OR_RETURN(internal::LeaseRow row, internal::LoadLeaseRow(*conn_, job_id));
  SWEEP_RETURN_IF_ERROR(internal::CheckCurrent(row, attempt, worker_id));
  SWEEP_RETURN_IF_ERROR(FinishAttempt(job_id, attempt, "released", now, "", ""));
  const bool end = row.cancel_requested || row.stop_requested;  // never requeued
  const char* state = end ? "cancelled" : "queued";
  std::optional<TimePoint> finished;
  if (end) finished = now;
  // lost_attempts is unchanged: a hand-back is not a lost attempt.
  SWEEP_RETURN_IF_ERROR(EndLease(*conn_, job_id, state, "none", "", finished, row.lost_attempts));
  SWEEP_RETURN_IF_ERROR(AddEvent(*conn_, now, row.sweep_id, job_id, attempt,
                                 end ? "cancelled" : "released", worker_id, ""));
  return txn.Commit();
}

absl::StatusOr<int64_t> Store::GraceRunningLeases(TimePoint now, std::chrono::milliseconds ttl) {
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*conn_, Transaction::Mode::kWrite));
  SWEEP_ASSIGN_OR_RETURN(Statement * st,
                         conn_->Cached("UPDATE jobs SET lease_expires_at = ?1 WHERE"
                                       " state = 'running' AND lease_expires_at < ?1"));
  st->Bind(1, ToUnixMillis(now + ttl));
  SWEEP_RETURN_IF_ERROR(st->Run());
  const int64_t touched = conn_->Changes();
  SWEEP_RETURN_IF_ERROR(txn.Commit());
  return touched;
}

absl::StatusOr<int64_t> Store::Cancel(int64_t sweep_id, TimePoint now) {
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*conn_, Transaction::Mode::kWrite));
  SWEEP_ASSIGN_OR_RETURN(int64_t cancelled, internal::CancelSweep(*conn_, sweep_id, now, ""));
  SWEEP_RETURN_IF_ERROR(txn.Commit());
  return cancelled;
}

absl::Status Store::SetPaused(int64_t sweep_id, bool paused, TimePoint now) {
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*conn_, Transaction::Mode::kWrite));
  SWEEP_ASSIGN_OR_RETURN(Statement * flag,
                         conn_->Cached("UPDATE sweeps SET paused = ? WHERE sweep_id = ?"));
  flag->Bind(1, paused ? 1 : 0).Bind(2, sweep_id);
  SWEEP_RETURN_IF_ERROR(flag->Run());
  if (conn_->Changes() == 0) {
    return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, ": no such sweep"));
  }
  SWEEP_RETURN_IF_ERROR(AddEvent(*conn_, now, sweep_id, std::nullopt, std::nullopt,
                                 paused ? "paused" : "resumed", "", ""));
  return txn.Commit();
}

absl::StatusOr<int64_t> Store::Stop(int64_t sweep_id, TimePoint now) {
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*conn_, Transaction::Mode::kWrite));
  SWEEP_ASSIGN_OR_RETURN(Statement * flag,
                         conn_->Cached("UPDATE sweeps SET stop_requested = 1 WHERE sweep_id = ?"));
  flag->Bind(1, sweep_id);
  SWEEP_RETURN_IF_ERROR(flag->Run());
  if (conn_->Changes() == 0) {
    return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, ": no such sweep"));
  }
  SWEEP_ASSIGN_OR_RETURN(int64_t cancelled, internal::CancelQueued(*conn_, sweep_id, now));
  SWEEP_RETURN_IF_ERROR(AddEvent(*conn_, now, sweep_id, std::nullopt, std::nullopt,
                                 "stop_requested", "",
                                 absl::StrCat(cancelled, " queued jobs cancelled")));
  SWEEP_RETURN_IF_ERROR(txn.Commit());
  return cancelled;
}

absl::StatusOr<int64_t> Store::Retry(int64_t sweep_id, const std::vector<FailureKind>& kinds,
                                     TimePoint now) {
  bool error = false, lost = false;
  for (FailureKind k : kinds) {
    if (k == FailureKind::kError) {
      error = true;
    } else if (k == FailureKind::kLost) {
      lost = true;
    } else {
      // A diverged run is deterministic (same config, seed and build: same divergence),
      // and its result row is kept as evidence: change lr or clip and submit instead.
      return absl::InvalidArgumentError(
          absl::StrCat("kind: \"", std::string(FailureKindName(k)),
                       "\" cannot be retried (only error and lost; a "
                       "diverged run diverges again with the same config and seed)"));
    }
  }
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*conn_, Transaction::Mode::kWrite));
  SWEEP_ASSIGN_OR_RETURN(
      Statement * flag, conn_->Cached("UPDATE sweeps SET cancel_requested = 0, stop_requested = 0"
                                   " WHERE sweep_id = ?"));
  flag->Bind(1, sweep_id);
  SWEEP_RETURN_IF_ERROR(flag->Run());
  if (conn_->Changes() == 0) {
    return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, ": no such sweep"));
  }
  constexpr const char* kWhere =
      " WHERE sweep_id = ?2 AND state = 'failed' AND"
      " ((?3 = 1 AND failure_kind = 'error') OR (?4 = 1 AND failure_kind = 'lost'))";
  SWEEP_ASSIGN_OR_RETURN(
      Statement * ev,
      conn_->Cached(absl::StrCat("INSERT INTO events(at, sweep_id, job_id, attempt, kind, detail)"
                                 " SELECT ?1, sweep_id, job_id, attempt, 'retried', failure_kind"
                                 " FROM jobs",
                                 kWhere)));
  ev->Bind(1, ToUnixMillis(now)).Bind(2, sweep_id).Bind(3, error ? 1 : 0).Bind(4, lost ? 1 : 0);
  SWEEP_RETURN_IF_ERROR(ev->Run());
  SWEEP_ASSIGN_OR_RETURN(
      Statement * jobs,
      conn_->Cached(absl::StrCat("UPDATE jobs SET state = 'queued', failure_kind = 'none',"
                                 " error = '', finished_at = NULL, lease_owner = NULL,"
                                 " lease_expires_at = NULL, lost_attempts = 0",
                                 kWhere)));
  jobs->Bind(2, sweep_id).Bind(3, error ? 1 : 0).Bind(4, lost ? 1 : 0);
  SWEEP_RETURN_IF_ERROR(jobs->Run());
  const int64_t requeued = conn_->Changes();
  SWEEP_RETURN_IF_ERROR(AddEvent(*conn_, now, sweep_id, std::nullopt, std::nullopt,
                                 "retry_requested", "",
                                 absl::StrCat(requeued, " failed jobs requeued")));
  SWEEP_RETURN_IF_ERROR(txn.Commit());
  return requeued;
}

}  // namespace sweep::storage
