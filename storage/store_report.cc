// The report half of the Store: idempotent, fenced storage of an attempt's outcome
// (docs/design.md section 4.3).
#include "absl/strings/str_cat.h"
#include "common/input_checks.h"
#include "common/status.h"
#include "storage/fault_point.h"
#include "storage/nonfinite.h"
#include "storage/report_digest.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "storage/transaction.h"

namespace sweep::storage {
namespace {

// The digest an earlier accepted report left on (job_id, attempt), if any.
absl::StatusOr<std::optional<std::string>> AcceptedDigest(Connection& conn, int64_t job_id,
                                                          int attempt) {
  SWEEP_ASSIGN_OR_RETURN(Statement * st, conn.Cached("SELECT digest FROM attempts WHERE job_id = ?"
                                                     " AND attempt = ? AND digest IS NOT NULL"));
  st->Bind(1, job_id).Bind(2, attempt);
  SWEEP_ASSIGN_OR_RETURN(bool found, st->Step());
  std::optional<std::string> digest;
  if (found) digest = st->Text(0);
  st->Reset();
  return digest;
}

// The job's N (from its stored config): the curve's n must lie in 0..N. nullopt for a
// config without N (only hand-made rows of tests lack it: every resolved job has one).
absl::StatusOr<std::optional<int64_t>> JobContextLength(Connection& conn, int64_t job_id) {
  SWEEP_ASSIGN_OR_RETURN(Statement * st,
                         conn.Cached("SELECT json_extract(config_json, '$.N') FROM jobs"
                                     " WHERE job_id = ?"));
  st->Bind(1, job_id);
  SWEEP_ASSIGN_OR_RETURN(bool found, st->Step());
  if (!found) return absl::NotFoundError(absl::StrCat("job ", job_id, ": no such job"));
  std::optional<int64_t> n;
  if (!st->IsNull(0)) n = st->Int(0);
  st->Reset();
  return n;
}

absl::Status InsertCurves(Connection& conn, int64_t job_id, const JobResult& r) {
  SWEEP_ASSIGN_OR_RETURN(Statement * eval,
                         conn.Cached("INSERT INTO eval_curves(job_id, n, mse, se, nmse, nan_mask)"
                                     " VALUES (?, ?, ?, ?, ?, ?)"));
  for (const EvalPoint& p : r.curve) {
    eval->Reset();
    int64_t mask = 0;
    eval->Bind(1, job_id).Bind(2, p.n);
    BindMetric(*eval, 3, p.mse, kCurveMse, mask);
    BindMetric(*eval, 4, p.se, kCurveSe, mask);
    BindMetric(*eval, 5, p.nmse, kCurveNmse, mask);
    eval->Bind(6, mask);
    SWEEP_RETURN_IF_ERROR(eval->Run());
  }
  SWEEP_ASSIGN_OR_RETURN(Statement * loss,
                         conn.Cached("INSERT INTO loss_curves(job_id, step, loss, nan_mask)"
                                     " VALUES (?, ?, ?, ?)"));
  for (const LossPoint& p : r.loss_curve) {
    loss->Reset();
    int64_t mask = 0;
    loss->Bind(1, job_id).Bind(2, p.step);
    BindMetric(*loss, 3, p.loss, kLoss, mask);
    loss->Bind(4, mask);
    SWEEP_RETURN_IF_ERROR(loss->Run());
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Store::InsertResult(int64_t job_id, int attempt, const std::string& digest,
                                 const JobReport& report, TimePoint now) {
  SWEEP_ASSIGN_OR_RETURN(
      Statement * st,
      conn_->Cached("INSERT INTO results(job_id, attempt, digest, mse, nmse, n_at_eps, ey2, ie,"
                    " ge, wall_seconds, train_seconds, eval_seconds, divergence, worker_id,"
                    " build_version, training_hash, nan_mask, created_at, checkpoint_use,"
                    " checkpoint_sha256, provenance) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                    " ?10, ?11, ?12, ?13, ?14, ?15, training_hash, ?16, ?17, ?18, coalesce(?19,"
                    " CASE WHEN ?18 <> 'none' THEN (SELECT c.sha256 FROM checkpoints c WHERE"
                    " c.training_hash = jobs.training_hash) END), ?20 FROM jobs"
                    " WHERE job_id = ?1"));
  const JobResult& r = report.result;
  int64_t mask = 0;
  st->Bind(1, job_id).Bind(2, attempt).Bind(3, digest);
  BindMetric(*st, 4, r.mse, kResMse, mask);
  BindMetric(*st, 5, r.nmse, kResNmse, mask);
  st->Bind(6, r.n_at_eps);
  BindMetric(*st, 7, r.ey2, kResEy2, mask);
  st->Bind(8, r.ie).Bind(9, r.ge);
  BindMetric(*st, 10, report.wall_seconds, kResWall, mask);
  BindMetric(*st, 11, r.train_seconds, kResTrain, mask);
  BindMetric(*st, 12, r.eval_seconds, kResEval, mask);
  st->Bind(13, r.divergence).Bind(14, report.worker_id).Bind(15, report.build_version);
  st->Bind(16, mask).Bind(17, ToUnixMillis(now));
  // The checkpoint the worker used; without its sha256, the one stored under the job's
  // training hash (the worker loaded or stored exactly those bytes).
  st->Bind(18, CheckpointUseName(report.checkpoint_use));
  if (!report.checkpoint_sha256.empty()) st->Bind(19, report.checkpoint_sha256);
  st->Bind(20, report.provenance.empty() ? std::string("{}") : report.provenance);
  SWEEP_RETURN_IF_ERROR(st->Run());
  return InsertCurves(*conn_, job_id, r);
}

absl::Status Store::CancelOnReport(int64_t job_id, int attempt, int64_t sweep_id,
                                   const std::string& worker, TimePoint now) {
  SWEEP_RETURN_IF_ERROR(FinishAttempt(job_id, attempt, "cancelled", now, "", ""));
  SWEEP_ASSIGN_OR_RETURN(Statement * st,
                         conn_->Cached("UPDATE jobs SET state = 'cancelled', finished_at = ?,"
                                       " lease_expires_at = NULL WHERE job_id = ?"));
  st->Bind(1, ToUnixMillis(now)).Bind(2, job_id);
  SWEEP_RETURN_IF_ERROR(st->Run());
  return internal::AddEvent(*conn_, now, sweep_id, job_id, attempt, "cancelled", worker,
                            "report after cancel");
}

absl::Status Store::RecordOutcome(int64_t job_id, int64_t sweep_id, int attempt,
                                  const JobReport& report, const std::string& digest,
                                  const std::string& worker, TimePoint now) {
  // Outcome: ok -> succeeded; ok + divergence -> failed/diverged (result and its loss
  // curve kept, never retried); !ok -> failed/error (deterministic, never retried).
  const bool diverged = report.ok && !report.result.divergence.empty();
  const char* state = report.ok && !diverged ? "succeeded" : "failed";
  const char* kind = diverged ? "diverged" : (report.ok ? "none" : "error");
  const std::string error = diverged ? report.result.divergence : report.error;
  if (report.ok) SWEEP_RETURN_IF_ERROR(InsertResult(job_id, attempt, digest, report, now));
  const char* outcome = report.ok && !diverged ? "succeeded" : kind;
  SWEEP_RETURN_IF_ERROR(FinishAttempt(job_id, attempt, outcome, now, digest, error));
  SWEEP_ASSIGN_OR_RETURN(
      Statement * job,
      conn_->Cached("UPDATE jobs SET state = ?, failure_kind = ?, error = ?, finished_at = ?,"
                    " lease_expires_at = NULL, result_job_id = ? WHERE job_id = ?"));
  job->Bind(1, state).Bind(2, kind).Bind(3, error).Bind(4, ToUnixMillis(now));
  if (report.ok) job->Bind(5, job_id);
  job->Bind(6, job_id);
  SWEEP_RETURN_IF_ERROR(job->Run());
  SWEEP_ASSIGN_OR_RETURN(
      Statement * w, conn_->Cached("UPDATE workers SET completed = completed + 1, last_seen_at = ?"
                                   " WHERE worker_id = ?"));
  w->Bind(1, ToUnixMillis(now)).Bind(2, worker);
  SWEEP_RETURN_IF_ERROR(w->Run());
  return internal::AddEvent(*conn_, now, sweep_id, job_id, attempt, diverged ? "diverged" : state,
                            worker, error);
}

absl::StatusOr<bool> Store::Report(int64_t job_id, int attempt, const JobReport& report,
                                   TimePoint now) {
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*conn_, Transaction::Mode::kWrite));
  SWEEP_ASSIGN_OR_RETURN(internal::LeaseRow row, internal::LoadLeaseRow(*conn_, job_id));
  const std::string digest = ReportDigest(report);
  SWEEP_ASSIGN_OR_RETURN(std::optional<std::string> accepted,
                         AcceptedDigest(*conn_, job_id, attempt));
  if (accepted) {
    if (*accepted == digest) return false;  // exact replay: already durable
    return absl::AbortedError(absl::StrCat("job ", job_id, ": attempt ", attempt,
                                           " already reported a different result"));
  }
  SWEEP_RETURN_IF_ERROR(internal::CheckCurrent(row, attempt, report.worker_id));
  if (report.ok) {
    SWEEP_ASSIGN_OR_RETURN(const std::optional<int64_t> N, JobContextLength(*conn_, job_id));
    if (N) SWEEP_RETURN_IF_ERROR(CheckCurveWithin(report.result, *N));
  }
  const std::string& worker = report.worker_id;
  if (row.cancel_requested) {
    SWEEP_RETURN_IF_ERROR(CancelOnReport(job_id, attempt, row.sweep_id, worker, now));
    SWEEP_RETURN_IF_ERROR(txn.Commit());
    return absl::FailedPreconditionError(absl::StrCat(
        "sweep ", row.sweep_id, " was cancelled; result of job ", job_id, " not stored"));
  }
  SWEEP_RETURN_IF_ERROR(RecordOutcome(job_id, row.sweep_id, attempt, report, digest, worker, now));
  const bool failed = !report.ok || !report.result.divergence.empty();
  if (failed && row.fail_fast) {
    const char* kind = report.ok ? "diverged" : "error";
    SWEEP_RETURN_IF_ERROR(
        internal::CancelSweep(*conn_, row.sweep_id, now, internal::FailFastReason(job_id, kind))
            .status());
  }
  if (row.adaptive) SWEEP_RETURN_IF_ERROR(GrowCellOfJob(job_id, row.sweep_id, now).status());
  SWEEP_FAULT_POINT("report.before_commit");
  SWEEP_RETURN_IF_ERROR(txn.Commit());
  return true;
}

}  // namespace sweep::storage
