// `sweep verify` (docs/design.md section 4.15), the writer's half: a verification sweep
// that reruns a sample of a sweep's cells on other workers, kept apart from the original.
#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "storage/transaction.h"

namespace sweep::storage {
namespace {

struct Original {
  int64_t job_id;
  PreparedJob job;
  std::string worker;  // who computed the result
};

}  // namespace

absl::StatusOr<VerifyOutcome> Store::CreateVerification(int64_t sweep_id, int64_t sample,
                                                        uint64_t seed, TimePoint now) {
  if (sample < 1) {
    return absl::InvalidArgumentError(absl::StrCat("--sample: ", sample, " (must be >= 1)"));
  }
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*conn_, Transaction::Mode::kWrite));
  SWEEP_ASSIGN_OR_RETURN(Statement * sw, conn_->Cached("SELECT name, spec_text, max_attempts"
                                                       " FROM sweeps WHERE sweep_id = ?"));
  sw->Bind(1, sweep_id);
  SWEEP_ASSIGN_OR_RETURN(bool found, sw->Step());
  if (!found) {
    sw->Reset();
    return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, ": no such sweep"));
  }
  const std::string name = sw->Text(0), spec_text = sw->Text(1);
  const int64_t max_attempts = sw->Int(2);
  sw->Reset();
  // Each succeeded job with the result it points at (its own, or the cached one), the
  // latest accepted attempt of that result.
  SWEEP_ASSIGN_OR_RETURN(
      Statement * st,
      conn_->Cached("SELECT j.job_id, j.config_hash, j.training_hash, j.config_json, j.model,"
                    " r.worker_id FROM jobs j JOIN results r ON r.job_id = j.result_job_id"
                    " AND r.attempt = (SELECT max(attempt) FROM results WHERE job_id ="
                    " j.result_job_id) WHERE j.sweep_id = ? AND j.state = 'succeeded'"
                    " ORDER BY j.job_id"));
  st->Bind(1, sweep_id);
  std::vector<Original> originals;
  for (;;) {
    SWEEP_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    originals.push_back({st->Int(0), PreparedJob{st->Text(3), st->Text(1), st->Text(2), st->Text(4)},
                         st->Text(5)});
  }
  st->Reset();
  if (originals.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("sweep ", sweep_id, ": no succeeded job to verify yet"));
  }
  // A sample fixed by the seed, so that a verification can be repeated exactly.
  std::mt19937_64 rng(seed);
  std::shuffle(originals.begin(), originals.end(), rng);
  originals.resize(std::min<size_t>(originals.size(), static_cast<size_t>(sample)));
  std::sort(originals.begin(), originals.end(),
            [](const Original& a, const Original& b) { return a.job_id < b.job_id; });

  SWEEP_ASSIGN_OR_RETURN(
      Statement * ins,
      conn_->Cached("INSERT INTO sweeps(request_id, name, spec_text, created_at, max_attempts,"
                    " use_cache, jobs_total, jobs_cached, verifies) VALUES (?, ?, ?, ?, ?, 0, ?,"
                    " 0, ?)"));
  ins->Bind(1, absl::StrCat("verify-", sweep_id, "-", ToUnixMillis(now), "-", seed));
  ins->Bind(2, absl::StrCat("verify-", name)).Bind(3, spec_text).Bind(4, ToUnixMillis(now));
  ins->Bind(5, max_attempts).Bind(6, static_cast<int64_t>(originals.size())).Bind(7, sweep_id);
  SWEEP_RETURN_IF_ERROR(ins->Run());
  VerifyOutcome out;
  out.sweep_id = conn_->LastInsertRowid();
  std::vector<PreparedJob> jobs;
  for (size_t i = 0; i < originals.size(); ++i) {
    jobs.push_back(originals[i].job);
    jobs.back().queue_position = static_cast<int64_t>(i);
  }
  SWEEP_RETURN_IF_ERROR(InsertJobs(out.sweep_id, /*use_cache=*/false, jobs, now).status());
  SWEEP_ASSIGN_OR_RETURN(Statement * avoid,
                         conn_->Cached("UPDATE jobs SET avoid_worker = ? WHERE sweep_id = ? AND"
                                       " config_hash = ? RETURNING job_id"));
  for (const Original& o : originals) {
    avoid->Reset();
    avoid->Bind(1, o.worker).Bind(2, out.sweep_id).Bind(3, o.job.config_hash);
    SWEEP_ASSIGN_OR_RETURN(bool row, avoid->Step());
    if (!row) return absl::InternalError("verify: an inserted job is missing");
    out.pairs.push_back({o.job_id, avoid->Int(0)});
    SWEEP_RETURN_IF_ERROR(avoid->Run());
  }
  SWEEP_RETURN_IF_ERROR(internal::AddEvent(
      *conn_, now, sweep_id, std::nullopt, std::nullopt, "verify", "",
      absl::StrCat(originals.size(), " cells rerun in sweep ", out.sweep_id, " (sample seed ",
                   seed, ")")));
  SWEEP_RETURN_IF_ERROR(
      internal::AddEvent(*conn_, now, out.sweep_id, std::nullopt, std::nullopt, "submitted", "",
                         absl::StrCat(originals.size(), " jobs verifying sweep ", sweep_id)));
  SWEEP_RETURN_IF_ERROR(txn.Commit());
  return out;
}

}  // namespace sweep::storage
