// Reader::Verification: a verification sweep's reruns against their originals, bit for bit.
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "storage/reader.h"
#include "storage/reader_impl.h"
#include "storage/transaction.h"
#include "storage/verify_diff.h"

namespace sweep::storage {
namespace {

// Bit-for-bit equality; every NaN equals every NaN (storage keeps no NaN payload).
bool SameBits(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  return std::memcmp(&a, &b, sizeof(double)) == 0;
}

void Compare(std::vector<MetricDiff>& out, std::string name, double a, double b) {
  if (!SameBits(a, b)) out.push_back(MetricDiff{std::move(name), a, b});
}

absl::Status ReadWho(Connection& conn, int64_t job_id, std::string& worker,
                     std::string& provenance) {
  SWEEP_ASSIGN_OR_RETURN(Statement * st,
                         conn.Cached("SELECT r.worker_id, r.provenance FROM jobs j JOIN results r"
                                     " ON r.job_id = j.result_job_id WHERE j.job_id = ?"
                                     " ORDER BY r.attempt DESC LIMIT 1"));
  st->Bind(1, job_id);
  SWEEP_ASSIGN_OR_RETURN(bool found, st->Step());
  if (found) {
    worker = st->Text(0);
    provenance = st->Text(1);
  }
  st->Reset();
  return absl::OkStatus();
}

}  // namespace

std::vector<MetricDiff> DiffResults(const JobResult& a, const JobResult& b) {
  std::vector<MetricDiff> out;
  Compare(out, "mse", a.mse, b.mse);
  Compare(out, "nmse", a.nmse, b.nmse);
  Compare(out, "ey2", a.ey2, b.ey2);
  Compare(out, "ie", a.ie, b.ie);
  Compare(out, "ge", a.ge, b.ge);
  if (a.n_at_eps != b.n_at_eps) {
    out.push_back(MetricDiff{"n_at_eps", a.n_at_eps ? *a.n_at_eps : -1.0,
                             b.n_at_eps ? *b.n_at_eps : -1.0});
  }
  if (a.divergence != b.divergence) out.push_back(MetricDiff{"divergence", 0, 0});
  if (a.curve.size() != b.curve.size()) {
    Compare(out, "curve.points", static_cast<double>(a.curve.size()),
            static_cast<double>(b.curve.size()));
  } else {
    for (size_t i = 0; i < a.curve.size(); ++i) {
      const EvalPoint &p = a.curve[i], &q = b.curve[i];
      const std::string at = absl::StrCat("curve[n=", p.n, "].");
      Compare(out, at + "n", p.n, q.n);
      Compare(out, at + "mse", p.mse, q.mse);
      Compare(out, at + "se", p.se, q.se);
      Compare(out, at + "nmse", p.nmse, q.nmse);
    }
  }
  if (a.loss_curve.size() != b.loss_curve.size()) {
    Compare(out, "loss.points", static_cast<double>(a.loss_curve.size()),
            static_cast<double>(b.loss_curve.size()));
  } else {
    for (size_t i = 0; i < a.loss_curve.size(); ++i) {
      Compare(out, absl::StrCat("loss[step=", a.loss_curve[i].step, "]"), a.loss_curve[i].loss,
              b.loss_curve[i].loss);
    }
  }
  return out;
}

absl::StatusOr<std::vector<VerifiedPair>> Reader::Verification(int64_t sweep_id) {
  Connection& conn = *impl_->conn;
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(conn, Transaction::Mode::kRead));
  constexpr int kFirstVerifyVersion = 6;
  SWEEP_ASSIGN_OR_RETURN(
      Statement * sw,
      conn.Cached(impl_->schema_version < kFirstVerifyVersion
                      ? "SELECT NULL FROM sweeps WHERE sweep_id = ?"
                      : "SELECT verifies FROM sweeps WHERE sweep_id = ?"));
  sw->Bind(1, sweep_id);
  SWEEP_ASSIGN_OR_RETURN(bool found, sw->Step());
  if (!found) {
    sw->Reset();
    return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, ": no such sweep"));
  }
  const std::optional<int64_t> verifies = sw->OptInt(0);
  sw->Reset();
  if (!verifies) {
    return absl::FailedPreconditionError(absl::StrCat(
        "sweep ", sweep_id, ": not a verification sweep (start one with `sweep verify`)"));
  }
  SWEEP_ASSIGN_OR_RETURN(
      Statement * st,
      conn.Cached("SELECT v.job_id, v.state, o.job_id FROM jobs v JOIN jobs o ON o.sweep_id = ?2"
                  " AND o.config_hash = v.config_hash WHERE v.sweep_id = ?1 ORDER BY v.job_id"));
  st->Bind(1, sweep_id).Bind(2, *verifies);
  std::vector<VerifiedPair> out;
  for (;;) {
    SWEEP_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    VerifiedPair p;
    p.rerun_job_id = st->Int(0);
    p.rerun_state = ParseJobState(st->Text(1)).value_or(JobState::kQueued);
    p.original_job_id = st->Int(2);
    out.push_back(std::move(p));
  }
  st->Reset();
  for (VerifiedPair& p : out) {
    SWEEP_RETURN_IF_ERROR(ReadWho(conn, p.original_job_id, p.original_worker,
                                  p.original_provenance));
    if (p.rerun_state != JobState::kSucceeded) continue;
    SWEEP_RETURN_IF_ERROR(ReadWho(conn, p.rerun_job_id, p.rerun_worker, p.rerun_provenance));
    SWEEP_ASSIGN_OR_RETURN(JobResult original, ReadJobResult(conn, p.original_job_id));
    SWEEP_ASSIGN_OR_RETURN(JobResult rerun, ReadJobResult(conn, p.rerun_job_id));
    p.diffs = DiffResults(original, rerun);
    p.diffs_total = static_cast<int64_t>(p.diffs.size());
  }
  return out;
}

}  // namespace sweep::storage
