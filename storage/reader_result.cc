// Reader::GetResult: one job's stored result and curves, NaN restored from nan_mask.
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "storage/nonfinite.h"
#include "storage/reader.h"
#include "storage/reader_impl.h"
#include "storage/transaction.h"

namespace sweep::storage {
namespace {

absl::Status ReadCurves(Connection& conn, int64_t result_job_id, JobResult& r) {
  SWEEP_ASSIGN_OR_RETURN(Statement * eval,
                         conn.Cached("SELECT n, mse, se, nmse, nan_mask FROM eval_curves"
                                     " WHERE job_id = ? ORDER BY n"));
  eval->Bind(1, result_job_id);
  for (;;) {
    SWEEP_ASSIGN_OR_RETURN(bool row, eval->Step());
    if (!row) break;
    const int64_t mask = eval->Int(4);
    r.curve.push_back(
        EvalPoint{static_cast<int>(eval->Int(0)), ReadMetric(*eval, 1, mask, kCurveMse),
                  ReadMetric(*eval, 2, mask, kCurveSe), ReadMetric(*eval, 3, mask, kCurveNmse)});
  }
  eval->Reset();
  SWEEP_ASSIGN_OR_RETURN(Statement * loss,
                         conn.Cached("SELECT step, loss, nan_mask FROM loss_curves"
                                     " WHERE job_id = ? ORDER BY step"));
  loss->Bind(1, result_job_id);
  for (;;) {
    SWEEP_ASSIGN_OR_RETURN(bool row, loss->Step());
    if (!row) break;
    r.loss_curve.push_back(
        LossPoint{static_cast<int>(loss->Int(0)), ReadMetric(*loss, 1, loss->Int(2), kLoss)});
  }
  loss->Reset();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<JobResult> ReadJobResult(Connection& conn, int64_t job_id) {
  SWEEP_ASSIGN_OR_RETURN(
      Statement * st,
      conn.Cached("SELECT r.job_id, r.mse, r.nmse, r.n_at_eps, r.ey2, r.ie, r.ge,"
                  " r.train_seconds, r.eval_seconds, r.divergence, r.nan_mask FROM jobs j"
                  " JOIN results r ON r.job_id = j.result_job_id WHERE j.job_id = ?"));
  st->Bind(1, job_id);
  SWEEP_ASSIGN_OR_RETURN(bool found, st->Step());
  if (!found) return absl::NotFoundError(absl::StrCat("job ", job_id, ": no stored result"));
  const int64_t mask = st->Int(10);
  JobResult r;
  const int64_t source = st->Int(0);
  r.mse = ReadMetric(*st, 1, mask, kResMse);
  r.nmse = ReadMetric(*st, 2, mask, kResNmse);
  if (!st->IsNull(3)) r.n_at_eps = static_cast<int>(st->Int(3));
  r.ey2 = ReadMetric(*st, 4, mask, kResEy2);
  r.ie = static_cast<int>(st->Int(5));
  r.ge = static_cast<int>(st->Int(6));
  r.train_seconds = ReadMetric(*st, 7, mask, kResTrain);
  r.eval_seconds = ReadMetric(*st, 8, mask, kResEval);
  r.divergence = st->Text(9);
  st->Reset();
  SWEEP_RETURN_IF_ERROR(ReadCurves(conn, source, r));
  return r;
}

absl::StatusOr<JobResult> Reader::GetResult(int64_t job_id) {
  Connection& conn = *impl_->conn;
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(conn, Transaction::Mode::kRead));
  return ReadJobResult(conn, job_id);
}

}  // namespace sweep::storage
