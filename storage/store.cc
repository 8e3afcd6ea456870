#include "storage/store.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "common/job_keys.h"
#include "common/status.h"
#include "storage/fault_point.h"
#include "storage/schema.h"
#include "storage/store_internal.h"
#include "storage/transaction.h"

namespace sweep::storage {
namespace {

// Pragmas of docs/design.md section 5.1. journal_mode is persistent in the file; the others are
// per connection.
absl::Status ConfigureWriter(Connection& conn) {
  SWEEP_RETURN_IF_ERROR(conn.Exec("PRAGMA busy_timeout = 5000"));
  SWEEP_ASSIGN_OR_RETURN(std::string mode, conn.QueryText("PRAGMA journal_mode = WAL"));
  if (mode != "wal") {
    return absl::InternalError(absl::StrCat("journal_mode: got \"", mode, "\", want wal"));
  }
  SWEEP_RETURN_IF_ERROR(conn.Exec("PRAGMA synchronous = FULL"));
  // Every op of a group commit runs in a savepoint (Store::RunBatch), whose undo pages go
  // to a statement journal: with Debian's default that is a temp file past 64 KiB, and
  // under bench_fleet it took three of every four pwrite calls. The journal only undoes
  // an op inside its open transaction (the WAL carries durability), so memory is enough.
  SWEEP_RETURN_IF_ERROR(conn.Exec("PRAGMA temp_store = MEMORY"));
  SWEEP_RETURN_IF_ERROR(conn.Exec("PRAGMA foreign_keys = ON"));
  SWEEP_ASSIGN_OR_RETURN(std::string check, conn.QueryText("PRAGMA quick_check"));
  if (check != "ok") return absl::DataLossError(absl::StrCat("quick_check: ", check));
  return absl::OkStatus();
}

}  // namespace

PreparedJob PrepareJob(const JobConfig& config) {
  JobIdentity id = IdentifyJob(config);
  return PreparedJob{std::move(id.canonical_json), std::move(id.config_hash),
                     std::move(id.training_hash), std::string(EnumName(config.model))};
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& db_path) {
  SWEEP_ASSIGN_OR_RETURN(auto conn, Connection::Open(db_path, /*read_only=*/false));
  SWEEP_RETURN_IF_ERROR(ConfigureWriter(*conn));
  SWEEP_RETURN_IF_ERROR(Migrate(*conn));
  return std::unique_ptr<Store>(new Store(std::move(conn)));
}

Store::~Store() = default;

absl::StatusOr<SubmitOutcome> Store::Submit(const NewSweep& sweep, TimePoint now) {
  std::vector<PreparedJob> jobs;
  jobs.reserve(sweep.jobs.size());
  for (const JobConfig& config : sweep.jobs) jobs.push_back(PrepareJob(config));
  return SubmitPrepared(sweep, jobs, now);
}

absl::StatusOr<std::optional<int64_t>> Store::CachedResultFor(const std::string& config_hash) {
  SWEEP_ASSIGN_OR_RETURN(Statement * st,
                         conn_->Cached("SELECT result_job_id FROM jobs WHERE config_hash = ?"
                                       " AND state = 'succeeded' LIMIT 1"));
  st->Bind(1, config_hash);
  SWEEP_ASSIGN_OR_RETURN(bool found, st->Step());
  std::optional<int64_t> id = found ? st->OptInt(0) : std::nullopt;
  st->Reset();
  return id;
}

absl::StatusOr<int64_t> Store::InsertJobs(int64_t sweep_id, bool use_cache,
                                          const std::vector<PreparedJob>& jobs, TimePoint now) {
  SWEEP_ASSIGN_OR_RETURN(
      Statement * job,
      conn_->Cached("INSERT INTO jobs(sweep_id, config_hash, training_hash, config_json, model,"
                    " state, cached, result_job_id, created_at, finished_at, priority)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  int64_t cached = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const PreparedJob& p = jobs[i];
    std::optional<int64_t> source;
    if (use_cache) {
      SWEEP_ASSIGN_OR_RETURN(source, CachedResultFor(p.config_hash));
    }
    job->Reset();
    job->Bind(1, sweep_id).Bind(2, p.config_hash).Bind(3, p.training_hash);
    job->Bind(4, p.config_json).Bind(5, p.model);
    job->Bind(6, source ? "succeeded" : "queued").Bind(7, source ? 1 : 0).Bind(8, source);
    job->Bind(9, ToUnixMillis(now));
    if (source) job->Bind(10, ToUnixMillis(now));
    const int64_t position = p.queue_position >= 0 ? p.queue_position : int64_t(i);
    job->Bind(11, (sweep_id << 32) + position);
    SWEEP_RETURN_IF_ERROR(job->Run());
    if (source) ++cached;
    if (&p == &jobs[jobs.size() / 2]) SWEEP_FAULT_POINT("submit.mid_expansion");
  }
  return cached;
}

absl::StatusOr<SubmitOutcome> Store::SubmitPrepared(const NewSweep& sweep,
                                                    const std::vector<PreparedJob>& jobs,
                                                    TimePoint now) {
  if (sweep.max_attempts < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_attempts: ", sweep.max_attempts, " (must be >= 1)"));
  }
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*conn_, Transaction::Mode::kWrite));
  SubmitOutcome out;
  SWEEP_ASSIGN_OR_RETURN(
      Statement * find,
      conn_->Cached("SELECT sweep_id, jobs_total, jobs_cached, spec_text = ?2 AND use_cache = ?3"
                    " FROM sweeps WHERE request_id = ?1"));
  find->Bind(1, sweep.request_id).Bind(2, sweep.spec_text);
  find->Bind(3, static_cast<int64_t>(sweep.use_cache ? 1 : 0));
  SWEEP_ASSIGN_OR_RETURN(bool seen, find->Step());
  if (seen && !sweep.request_id.empty()) {
    out = SubmitOutcome{find->Int(0), find->Int(1), find->Int(2), /*existing=*/true};
    const bool same = find->Int(3) != 0;
    find->Reset();
    // A retry must carry the request it repeats; the same id with another file is a
    // client bug (or a reused id), and answering with the first sweep would hide it.
    if (!same) {
      return absl::AlreadyExistsError(absl::StrCat(
          "request_id \"", sweep.request_id, "\": already used by sweep ", out.sweep_id,
          " with a different file or use_cache (send a fresh request id)"));
    }
    return out;  // the transaction rolls back: nothing was written
  }
  find->Reset();
  // An empty request_id cannot be idempotent; give it a unique one so UNIQUE holds.
  const std::string request_id =
      sweep.request_id.empty() ? absl::StrCat("auto-", ToUnixMillis(now), "-", ++auto_request_ids_)
                               : sweep.request_id;
  SWEEP_ASSIGN_OR_RETURN(
      Statement * ins,
      conn_->Cached("INSERT INTO sweeps(request_id, name, spec_text, created_at, max_attempts,"
                    " use_cache, jobs_total, jobs_cached, fail_fast, adaptive_seeds)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)"));
  ins->Bind(1, request_id).Bind(2, sweep.name).Bind(3, sweep.spec_text);
  ins->Bind(4, ToUnixMillis(now)).Bind(5, sweep.max_attempts).Bind(6, sweep.use_cache ? 1 : 0);
  ins->Bind(7, static_cast<int64_t>(jobs.size())).Bind(8, sweep.fail_fast ? 1 : 0);
  if (sweep.adaptive_seeds) {
    SWEEP_RETURN_IF_ERROR(CheckAdaptiveSeeds(*sweep.adaptive_seeds, kMaxAdaptiveSeeds));
    ins->Bind(9, AdaptiveSeedsJson(*sweep.adaptive_seeds));
  }
  SWEEP_RETURN_IF_ERROR(ins->Run());
  out.sweep_id = conn_->LastInsertRowid();
  out.jobs_total = static_cast<int64_t>(jobs.size());

  SWEEP_ASSIGN_OR_RETURN(out.jobs_cached, InsertJobs(out.sweep_id, sweep.use_cache, jobs, now));
  SWEEP_ASSIGN_OR_RETURN(Statement * upd,
                         conn_->Cached("UPDATE sweeps SET jobs_cached = ? WHERE sweep_id = ?"));
  upd->Bind(1, out.jobs_cached).Bind(2, out.sweep_id);
  SWEEP_RETURN_IF_ERROR(upd->Run());
  if (sweep.adaptive_seeds) {
    // Cells the cache filled completely are judged now: no report will come for them.
    SWEEP_ASSIGN_OR_RETURN(int64_t grown, GrowAdaptiveCells(out.sweep_id, std::nullopt, now));
    if (grown > 0) {
      SWEEP_ASSIGN_OR_RETURN(out.jobs_total,
                             conn_->QueryInt(absl::StrCat("SELECT jobs_total FROM sweeps"
                                                          " WHERE sweep_id = ", out.sweep_id)));
      SWEEP_ASSIGN_OR_RETURN(out.jobs_cached,
                             conn_->QueryInt(absl::StrCat("SELECT jobs_cached FROM sweeps"
                                                          " WHERE sweep_id = ", out.sweep_id)));
    }
  }
  // One event for the sweep; a job's own history starts at its first lease.
  SWEEP_RETURN_IF_ERROR(
      internal::AddEvent(*conn_, now, out.sweep_id, std::nullopt, std::nullopt, "submitted", "",
                         absl::StrCat(out.jobs_total, " jobs, ", out.jobs_cached, " cached")));
  SWEEP_RETURN_IF_ERROR(txn.Commit());
  return out;
}

absl::Status Store::RegisterWorker(const WorkerRecord& worker, TimePoint now) {
  if (worker.worker_id.empty()) return absl::InvalidArgumentError("worker_id: empty");
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*conn_, Transaction::Mode::kWrite));
  SWEEP_ASSIGN_OR_RETURN(
      Statement * st,
      conn_->Cached("INSERT INTO workers(worker_id, host, slots, build_version, registered_at,"
                    " last_seen_at, slurm_job_id, slurm_array_job_id, slurm_array_task_id,"
                    " exec_names) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8, ?9)"
                    " ON CONFLICT(worker_id) DO UPDATE SET host = ?2, slots = ?3,"
                    " build_version = ?4, last_seen_at = ?5, slurm_job_id = ?6,"
                    " slurm_array_job_id = ?7, slurm_array_task_id = ?8, exec_names = ?9"));
  st->Bind(1, worker.worker_id).Bind(2, worker.host).Bind(3, worker.slots);
  st->Bind(4, worker.build_version).Bind(5, ToUnixMillis(now));
  st->Bind(6, worker.slurm.job_id).Bind(7, worker.slurm.array_job_id);
  st->Bind(8, worker.slurm.array_task_id).Bind(9, internal::JoinExecNames(worker.exec_names));
  SWEEP_RETURN_IF_ERROR(st->Run());
  return txn.Commit();
}

std::vector<absl::Status> Store::RunBatch(
    const std::vector<const std::function<absl::Status()>*>& ops) {
  std::vector<absl::Status> out(ops.size());
  auto fail_all = [&out](const absl::Status& s) {
    for (absl::Status& o : out) o = s;
    return out;
  };
  if (ops.size() == 1) {  // no batch: the op's own transaction commits it
    out[0] = (*ops[0])();
    return out;
  }
  if (absl::Status s = conn_->Exec("BEGIN IMMEDIATE"); !s.ok()) return fail_all(s);
  for (size_t i = 0; i < ops.size(); ++i) {
    out[i] = (*ops[i])();
    if (sqlite3_get_autocommit(conn_->raw())) {  // SQLite rolled the whole batch back
      return fail_all(out[i].ok() ? absl::InternalError("batch rolled back by SQLite") : out[i]);
    }
  }
  if (absl::Status s = conn_->Exec("COMMIT"); !s.ok()) {
    (void)conn_->Exec("ROLLBACK");
    return fail_all(s);
  }
  return out;
}

absl::Status Store::Checkpoint() { return conn_->Exec("PRAGMA wal_checkpoint(TRUNCATE)"); }

}  // namespace sweep::storage
