#include "storage/reader.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "storage/adaptive_cells.h"
#include "storage/reader_impl.h"
#include "storage/results_query.h"
#include "storage/schema.h"
#include "storage/store_internal.h"
#include "storage/sqlite.h"
#include "storage/transaction.h"

namespace sweep::storage {
namespace {

std::optional<TimePoint> OptTime(const Statement& st, int col) {
  if (st.IsNull(col)) return std::nullopt;
  return FromUnixMillis(st.Int(col));
}

void AddStateCount(SweepSummary& s, const std::string& state, int64_t n) {
  std::optional<JobState> parsed = ParseJobState(state);
  if (!parsed) return;  // a sweep without jobs yields one NULL state row
  s.total += n;
  switch (*parsed) {
    case JobState::kQueued:
      s.queued += n;
      break;
    case JobState::kRunning:
      s.running += n;
      break;
    case JobState::kSucceeded:
      s.succeeded += n;
      break;
    case JobState::kFailed:
      s.failed += n;
      break;
    case JobState::kCancelled:
      s.cancelled += n;
      break;
  }
}

// One row per (sweep, state): counts, cached count and the finish-time range.
absl::StatusOr<std::vector<SweepSummary>> Summaries(Connection& conn, int schema_version,
                                                    std::optional<int64_t> sweep_id) {
  // Files before schema version 5 have no lifecycle flags: their sweeps read as running.
  constexpr int kFirstLifecycleVersion = 5;
  const char* flags = schema_version < kFirstLifecycleVersion
                          ? "0, 0, 0"
                          : "s.paused, s.stop_requested, s.fail_fast";
  // ... and before version 6 no adaptive seeds.
  constexpr int kFirstAdaptiveVersion = 6;
  const char* adaptive = schema_version < kFirstAdaptiveVersion ? "NULL" : "s.adaptive_seeds";
  SWEEP_ASSIGN_OR_RETURN(
      Statement * st,
      conn.Cached(absl::StrCat(
          "SELECT s.sweep_id, s.name, s.created_at, s.cancel_requested, j.state,"
                  " count(j.job_id), coalesce(sum(j.cached), 0), min(j.finished_at),"
                  " max(j.finished_at), ", flags, ", ff.job_id,"
                  " ff.failure_kind, ff.error, ", adaptive, " FROM sweeps s LEFT JOIN jobs j"
                  " ON j.sweep_id = s.sweep_id LEFT JOIN jobs ff ON ff.job_id ="
                  " (SELECT f.job_id FROM jobs f WHERE f.sweep_id = s.sweep_id"
                  " AND f.state = 'failed' ORDER BY f.finished_at, f.job_id LIMIT 1)"
                  " WHERE ?1 IS NULL OR s.sweep_id = ?1"
                  " GROUP BY s.sweep_id, j.state ORDER BY s.sweep_id")));
  st->Bind(1, sweep_id);
  std::vector<SweepSummary> out;
  for (;;) {
    SWEEP_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    if (out.empty() || out.back().sweep_id != st->Int(0)) {
      SweepSummary s;
      s.sweep_id = st->Int(0);
      s.name = st->Text(1);
      s.created_at = FromUnixMillis(st->Int(2));
      s.cancel_requested = st->Int(3) != 0;
      s.paused = st->Int(9) != 0;
      s.stop_requested = st->Int(10) != 0;
      s.fail_fast = st->Int(11) != 0;
      s.first_failed_job_id = st->OptInt(12);
      if (s.first_failed_job_id) {
        s.first_failure = ParseFailureKind(st->Text(13)).value_or(FailureKind::kError);
        s.first_failure_error = st->Text(14);
      }
      if (!st->IsNull(15)) {
        absl::StatusOr<AdaptiveSeeds> adaptive_seeds = ParseAdaptiveSeedsJson(st->Text(15));
        if (!adaptive_seeds.ok()) {
          st->Reset();
          return absl::DataLossError(
              absl::StrCat("sweep ", s.sweep_id, ": ", adaptive_seeds.status().message()));
        }
        s.adaptive_seeds = *adaptive_seeds;
      }
      out.push_back(std::move(s));
    }
    SweepSummary& s = out.back();
    AddStateCount(s, st->Text(4), st->Int(5));
    s.cached += st->Int(6);
    if (auto first = OptTime(*st, 7);
        first && (!s.first_finished_at || *first < *s.first_finished_at))
      s.first_finished_at = first;
    if (auto last = OptTime(*st, 8); last && (!s.last_finished_at || *last > *s.last_finished_at))
      s.last_finished_at = last;
  }
  st->Reset();
  return out;
}

JobRecord ReadJob(const Statement& st) {
  JobRecord j;
  j.job_id = st.Int(0);
  j.sweep_id = st.Int(1);
  j.state = ParseJobState(st.Text(2)).value_or(JobState::kQueued);
  j.failure = ParseFailureKind(st.Text(3)).value_or(FailureKind::kNone);
  j.attempt = static_cast<int>(st.Int(4));
  j.cached = st.Int(5) != 0;
  j.config_hash = st.Text(6);
  j.config_json = st.Text(7);
  j.worker_id = st.Text(8);
  j.error = st.Text(9);
  j.progress_step = st.Int(10);
  j.progress_total = st.Int(11);
  j.lease_expires_at = OptTime(st, 12);
  j.leased_at = OptTime(st, 13);
  return j;
}

}  // namespace

Reader::Reader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Reader::~Reader() = default;

absl::StatusOr<std::unique_ptr<Reader>> Reader::Open(const std::string& db_path) {
  std::error_code ec;
  if (!std::filesystem::exists(db_path, ec)) {
    return absl::NotFoundError(absl::StrCat(db_path, ": no such file"));
  }
  auto impl = std::make_unique<Impl>();
  SWEEP_ASSIGN_OR_RETURN(impl->conn, Connection::Open(db_path, /*read_only=*/true));
  SWEEP_RETURN_IF_ERROR(impl->conn->Exec("PRAGMA busy_timeout = 5000"));
  SWEEP_ASSIGN_OR_RETURN(impl->schema_version, CheckSchemaVersion(*impl->conn, db_path));
  return std::unique_ptr<Reader>(new Reader(std::move(impl)));
}

absl::StatusOr<std::vector<SweepSummary>> Reader::ListSweeps() {
  return Summaries(*impl_->conn, impl_->schema_version, std::nullopt);
}

absl::StatusOr<SweepSummary> Reader::GetSweep(int64_t sweep_id) {
  SWEEP_ASSIGN_OR_RETURN(std::vector<SweepSummary> all, Summaries(*impl_->conn, impl_->schema_version, sweep_id));
  if (all.empty()) return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, ": no such sweep"));
  return std::move(all.front());
}

absl::StatusOr<std::vector<AdaptiveCell>> Reader::AdaptiveCells(int64_t sweep_id) {
  Connection& conn = *impl_->conn;
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(conn, Transaction::Mode::kRead));
  SWEEP_ASSIGN_OR_RETURN(std::vector<SweepSummary> sweep,
                         Summaries(conn, impl_->schema_version, sweep_id));
  if (sweep.empty()) return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, ": no such sweep"));
  const SweepSummary& s = sweep.front();
  std::vector<AdaptiveCell> out;
  if (!s.adaptive_seeds) return out;
  SWEEP_ASSIGN_OR_RETURN(std::vector<CellJudgement> cells,
                         JudgeCells(conn, sweep_id, *s.adaptive_seeds,
                                    s.cancel_requested || s.stop_requested, std::nullopt));
  out.reserve(cells.size());
  for (CellJudgement& c : cells) out.push_back(std::move(c.cell));
  return out;
}

absl::StatusOr<std::vector<JobRecord>> Reader::ListJobs(int64_t sweep_id,
                                                        std::optional<JobState> state,
                                                        int64_t after_job_id, int64_t limit) {
  Connection& conn = *impl_->conn;
  // One read transaction: the existence check and the listing see the same snapshot.
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(conn, Transaction::Mode::kRead));
  SWEEP_ASSIGN_OR_RETURN(std::vector<SweepSummary> sweep, Summaries(conn, impl_->schema_version, sweep_id));
  if (sweep.empty())
    return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, ": no such sweep"));
  SWEEP_ASSIGN_OR_RETURN(
      Statement * st,
      conn.Cached("SELECT j.job_id, j.sweep_id, j.state, j.failure_kind, j.attempt, j.cached,"
                  " j.config_hash, j.config_json, coalesce(j.lease_owner, ''), j.error,"
                  " j.progress_step, j.progress_total, j.lease_expires_at,"
                  " CASE WHEN j.state = 'running' THEN a.leased_at END"
                  " FROM jobs j LEFT JOIN attempts a"
                  " ON a.job_id = j.job_id AND a.attempt = j.attempt"
                  " WHERE j.sweep_id = ?1 AND (?2 IS NULL OR j.state = ?2) AND j.job_id > ?3"
                  " ORDER BY j.job_id LIMIT ?4"));
  st->Bind(1, sweep_id).Bind(3, after_job_id).Bind(4, limit);
  if (state) st->Bind(2, JobStateName(*state));
  std::vector<JobRecord> out;
  for (;;) {
    SWEEP_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(ReadJob(*st));
  }
  st->Reset();
  return out;
}

absl::StatusOr<std::vector<ResultGroup>> Reader::Results(const ResultsQuery& q) {
  SWEEP_ASSIGN_OR_RETURN(Transaction txn,
                         Transaction::Begin(*impl_->conn, Transaction::Mode::kRead));
  return QueryResults(*impl_->conn, q);
}

absl::StatusOr<std::vector<CurveGroup>> Reader::Curves(const ResultsQuery& q) {
  SWEEP_ASSIGN_OR_RETURN(Transaction txn,
                         Transaction::Begin(*impl_->conn, Transaction::Mode::kRead));
  return QueryCurves(*impl_->conn, q);
}

absl::StatusOr<std::vector<WorkerRecord>> Reader::ListWorkers(const std::string& after_worker_id,
                                                              int64_t limit) {
  // Files before schema version 3 have no SLURM columns: their workers read as outside
  // SLURM; before version 8 no exec names: they read as allowing none.
  constexpr int kFirstSlurmVersion = 3, kFirstExecNamesVersion = 8;
  const char* slurm = impl_->schema_version < kFirstSlurmVersion
                          ? "'', '', ''"
                          : "w.slurm_job_id, w.slurm_array_job_id, w.slurm_array_task_id";
  const char* exec =
      impl_->schema_version < kFirstExecNamesVersion ? ", ''" : ", w.exec_names";
  SWEEP_ASSIGN_OR_RETURN(Statement * st,
                         impl_->conn->Cached(absl::StrCat(
                             "SELECT w.worker_id, w.host, w.slots, w.build_version,"
                             " w.registered_at, w.last_seen_at, w.completed, (SELECT count(*)"
                             " FROM jobs j WHERE j.state = 'running' AND j.lease_owner ="
                             " w.worker_id), ",
                             slurm, exec, " FROM workers w WHERE w.worker_id > ?1",
                             " ORDER BY w.worker_id LIMIT ?2")));
  st->Bind(1, after_worker_id).Bind(2, limit);
  std::vector<WorkerRecord> out;
  for (;;) {
    SWEEP_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(WorkerRecord{st->Text(0), st->Text(1), static_cast<int>(st->Int(2)), st->Text(3),
                               FromUnixMillis(st->Int(4)), FromUnixMillis(st->Int(5)), st->Int(7),
                               st->Int(6), SlurmTask{st->Text(8), st->Text(9), st->Text(10)},
                               storage::internal::SplitExecNames(st->Text(11))});
  }
  st->Reset();
  return out;
}

}  // namespace sweep::storage
