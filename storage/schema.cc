#include "storage/schema.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "storage/transaction.h"

namespace sweep::storage {
namespace {

// Version 1. Times are unix milliseconds (INTEGER). Metrics are REAL; SQLite cannot store
// NaN (it binds as NULL), so each row with metrics has a nan_mask whose bit i says "metric
// i is NaN" (storage/nonfinite.h lists the bits). +-Inf are stored as REAL.
constexpr const char* kV1 = R"sql(
CREATE TABLE sweeps (
  sweep_id         INTEGER PRIMARY KEY,
  request_id       TEXT    NOT NULL UNIQUE,
  name             TEXT    NOT NULL,
  spec_text        TEXT    NOT NULL,
  created_at       INTEGER NOT NULL,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  max_attempts     INTEGER NOT NULL,
  use_cache        INTEGER NOT NULL,
  jobs_total       INTEGER NOT NULL,
  jobs_cached      INTEGER NOT NULL
);
CREATE TABLE jobs (
  job_id           INTEGER PRIMARY KEY,
  sweep_id         INTEGER NOT NULL REFERENCES sweeps(sweep_id),
  config_hash      TEXT    NOT NULL,
  training_hash    TEXT    NOT NULL,
  config_json      TEXT    NOT NULL,
  model            TEXT    NOT NULL,
  state            TEXT    NOT NULL,
  failure_kind     TEXT    NOT NULL DEFAULT 'none',
  attempt          INTEGER NOT NULL DEFAULT 0,
  lost_attempts    INTEGER NOT NULL DEFAULT 0,
  cached           INTEGER NOT NULL DEFAULT 0,
  result_job_id    INTEGER REFERENCES jobs(job_id),
  priority         INTEGER NOT NULL DEFAULT 0,
  lease_owner      TEXT,
  lease_expires_at INTEGER,
  progress_step    INTEGER NOT NULL DEFAULT 0,
  progress_total   INTEGER NOT NULL DEFAULT 0,
  error            TEXT    NOT NULL DEFAULT '',
  created_at       INTEGER NOT NULL,
  finished_at      INTEGER
);
CREATE INDEX jobs_by_sweep_state ON jobs(sweep_id, state);
CREATE INDEX jobs_by_config_hash ON jobs(config_hash, state);
CREATE INDEX jobs_queue ON jobs(priority, job_id) WHERE state = 'queued';
CREATE INDEX jobs_leases ON jobs(lease_expires_at) WHERE state = 'running';
CREATE TABLE results (
  job_id         INTEGER PRIMARY KEY REFERENCES jobs(job_id),
  attempt        INTEGER NOT NULL,
  digest         TEXT    NOT NULL,
  mse            REAL,
  nmse           REAL,
  n_at_eps       INTEGER,
  ey2            REAL,
  ie             INTEGER NOT NULL,
  ge             INTEGER NOT NULL,
  wall_seconds   REAL,
  train_seconds  REAL,
  eval_seconds   REAL,
  divergence     TEXT    NOT NULL DEFAULT '',
  worker_id      TEXT    NOT NULL,
  build_version  TEXT    NOT NULL,
  training_hash  TEXT    NOT NULL,
  provenance     TEXT    NOT NULL DEFAULT '{}',
  nan_mask       INTEGER NOT NULL DEFAULT 0,
  created_at     INTEGER NOT NULL
);
CREATE TABLE eval_curves (
  job_id   INTEGER NOT NULL REFERENCES jobs(job_id),
  n        INTEGER NOT NULL,
  mse      REAL,
  se       REAL,
  nmse     REAL,
  nan_mask INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, n)
) WITHOUT ROWID;
CREATE TABLE loss_curves (
  job_id   INTEGER NOT NULL REFERENCES jobs(job_id),
  step     INTEGER NOT NULL,
  loss     REAL,
  nan_mask INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, step)
) WITHOUT ROWID;
CREATE TABLE workers (
  worker_id     TEXT    PRIMARY KEY,
  host          TEXT    NOT NULL,
  slots         INTEGER NOT NULL,
  build_version TEXT    NOT NULL,
  registered_at INTEGER NOT NULL,
  last_seen_at  INTEGER NOT NULL,
  completed     INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE attempts (
  job_id     INTEGER NOT NULL REFERENCES jobs(job_id),
  attempt    INTEGER NOT NULL,
  worker_id  TEXT    NOT NULL,
  leased_at  INTEGER NOT NULL,
  ended_at   INTEGER,
  outcome    TEXT    NOT NULL DEFAULT 'running',
  digest     TEXT,
  error      TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (job_id, attempt)
) WITHOUT ROWID;
CREATE TABLE events (
  event_id  INTEGER PRIMARY KEY,
  at        INTEGER NOT NULL,
  sweep_id  INTEGER,
  job_id    INTEGER,
  attempt   INTEGER,
  kind      TEXT    NOT NULL,
  worker_id TEXT    NOT NULL DEFAULT '',
  detail    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX events_by_job ON events(job_id, event_id);
CREATE INDEX events_by_sweep ON events(sweep_id, event_id);
)sql";

// Version 2: checkpoints of trained models, keyed by training hash (docs/design.md section
// 4.10), and on each result which checkpoint it used. `bytes` is the last column so that listing
// metadata reads no overflow pages of the blob.
constexpr const char* kV2 = R"sql(
CREATE TABLE checkpoints (
  training_hash TEXT    PRIMARY KEY,
  model         TEXT    NOT NULL,
  config_json   TEXT    NOT NULL,
  format        TEXT    NOT NULL,
  size_bytes    INTEGER NOT NULL,
  sha256        TEXT    NOT NULL,
  job_id        INTEGER REFERENCES jobs(job_id),
  created_at    INTEGER NOT NULL,
  bytes         BLOB    NOT NULL
);
CREATE INDEX checkpoints_by_job ON checkpoints(job_id);
ALTER TABLE results ADD COLUMN checkpoint_use TEXT NOT NULL DEFAULT 'none';
ALTER TABLE results ADD COLUMN checkpoint_sha256 TEXT;
)sql";

// Version 3: the SLURM job and array task a worker runs in, as it registered them (empty
// outside SLURM), so that `sweep workers` maps workers to array tasks.
constexpr const char* kV3 = R"sql(
ALTER TABLE workers ADD COLUMN slurm_job_id TEXT NOT NULL DEFAULT '';
ALTER TABLE workers ADD COLUMN slurm_array_job_id TEXT NOT NULL DEFAULT '';
ALTER TABLE workers ADD COLUMN slurm_array_task_id TEXT NOT NULL DEFAULT '';
)sql";

// Version 4: worker sessions (docs/design.md section 6.5). A worker's session is the
// SHA-256 of a secret issued at RegisterWorker; only the hash is stored, so the file
// leaks no secret, and sessions survive a coordinator restart.
constexpr const char* kV4 = R"sql(
ALTER TABLE workers ADD COLUMN session_hash TEXT;
CREATE UNIQUE INDEX workers_by_session ON workers(session_hash) WHERE session_hash IS NOT NULL;
)sql";

// Version 5: the lifecycle of a sweep (docs/design.md section 4.7): `paused` (no new
// leases until resumed), `stop_requested` (queued jobs cancelled, running ones finish and
// are never requeued), `fail_fast` (the first failed job cancels the rest).
constexpr const char* kV5 = R"sql(
ALTER TABLE sweeps ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sweeps ADD COLUMN stop_requested INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sweeps ADD COLUMN fail_fast INTEGER NOT NULL DEFAULT 0;
)sql";

// Version 6: adaptive seeds (docs/design.md section 4.14): the sweep file's `seeds: {min,
// max, ci, metric}` as JSON, NULL for a fixed number of seeds. And `sweep verify` (section
// 4.15): a verification sweep names the sweep it checks, and each of its jobs the worker
// that computed the original, which may not lease it.
constexpr const char* kV6 = R"sql(
ALTER TABLE sweeps ADD COLUMN adaptive_seeds TEXT;
ALTER TABLE sweeps ADD COLUMN verifies INTEGER REFERENCES sweeps(sweep_id);
ALTER TABLE jobs ADD COLUMN avoid_worker TEXT;
)sql";

// Version 7: the result-cache index drops `state`. With it, every lease and every report
// moved the job's entry to another page of an index ordered by a random hash, one page
// write per state change in each group commit; the cache lookup finds the few jobs of a
// hash and reads their state from the row (docs/design.md section 5.2).
constexpr const char* kV7 = R"sql(
DROP INDEX jobs_by_config_hash;
CREATE INDEX jobs_by_config_hash ON jobs(config_hash);
)sql";

// Version 8: the exec programs a worker allows (sweep-worker --allow-exec NAME=PATH,
// docs/exec.md), as registered: ",name1,name2," ('' for none), so `sweep workers` shows
// which worker can run which `exec` job.
constexpr const char* kV8 = R"sql(
ALTER TABLE workers ADD COLUMN exec_names TEXT NOT NULL DEFAULT '';
)sql";

constexpr std::array<const char*, 8> kMigrations = {kV1, kV2, kV3, kV4, kV5, kV6, kV7, kV8};

}  // namespace

int LatestSchemaVersion() { return static_cast<int>(kMigrations.size()); }

absl::Status Migrate(Connection& conn) { return MigrateTo(conn, LatestSchemaVersion()); }

absl::Status MigrateTo(Connection& conn, int target) {
  SWEEP_CHECK(target >= 1 && target <= LatestSchemaVersion());
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(conn, Transaction::Mode::kWrite));
  SWEEP_ASSIGN_OR_RETURN(int64_t version, conn.QueryInt("PRAGMA user_version"));
  if (version > LatestSchemaVersion()) {
    return absl::FailedPreconditionError(
        absl::StrCat("schema version ", version, " is newer than this build's ",
                     LatestSchemaVersion(), "; use a newer sweep build"));
  }
  if (version >= target) return absl::OkStatus();  // nothing to do; nothing written
  for (int64_t v = version; v < target; ++v) {
    SWEEP_RETURN_IF_ERROR(conn.Exec(kMigrations[v]));
  }
  // user_version lives in the file header and is part of this transaction.
  SWEEP_RETURN_IF_ERROR(conn.Exec(absl::StrCat("PRAGMA user_version = ", target)));
  return txn.Commit();
}

absl::StatusOr<int> CheckSchemaVersion(Connection& conn, const std::string& path) {
  SWEEP_ASSIGN_OR_RETURN(int64_t version, conn.QueryInt("PRAGMA user_version"));
  if (version >= 1 && version <= LatestSchemaVersion()) return static_cast<int>(version);
  if (version == 0) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": not a sweep database"));
  }
  return absl::FailedPreconditionError(
      absl::StrCat(path, ": schema version ", version, " is newer than this build's ",
                   LatestSchemaVersion(), "; use a newer sweep build"));
}

}  // namespace sweep::storage
