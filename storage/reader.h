// Reader: a read-only connection to a results file, for the queries of `sweep status`,
// `jobs`, `results`, `curves` and `workers`. The CLI's `--db` mode uses it directly (a DB
// copied off a cluster stays usable with no coordinator); the coordinator serves the same
// queries through one of its own.
//
// The connection is opened with SQLITE_OPEN_READONLY: it never writes or checkpoints, so
// it is safe next to the one writer (docs/design.md section 5.1, WAL-reset bug). Each query is one
// short read transaction. Not thread-safe: use one Reader per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/records.h"

namespace sweep::storage {

class Reader {  // read-only connection to a results file; not thread-safe
 public:
  // NOT_FOUND if the file does not exist; FAILED_PRECONDITION if it is not a sweep DB or
  // its schema is newer than this build; DATA_LOSS if it is corrupt.
  static absl::StatusOr<std::unique_ptr<Reader>> Open(const std::string& db_path);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Every sweep, oldest first, with counts per state.
  absl::StatusOr<std::vector<SweepSummary>> ListSweeps();
  // NOT_FOUND for an unknown sweep id.
  absl::StatusOr<SweepSummary> GetSweep(int64_t sweep_id);
  // The cells of a sweep with adaptive seeds, each judged as the coordinator judges it
  // (seeds, values, mean and CI half-width of the metric, verdict), in order of first job;
  // empty for a sweep with fixed seeds. NOT_FOUND for an unknown sweep.
  absl::StatusOr<std::vector<AdaptiveCell>> AdaptiveCells(int64_t sweep_id);
  // The sweep's jobs in job_id order, optionally only those in `state`: those with
  // job_id > after_job_id, at most `limit` of them (-1: all).
  absl::StatusOr<std::vector<JobRecord>> ListJobs(int64_t sweep_id, std::optional<JobState> state,
                                                  int64_t after_job_id = 0, int64_t limit = -1);
  // Aggregates over succeeded jobs (cached ones included) grouped by q.group_by (default:
  // every config key present except seed); failed-as-diverged jobs are counted per group.
  // Filters: q.where[key] = value, where value is JSON text (16, 0.1, "h3", true) or a
  // bare string (h3 means "h3"); it is compared with the job's canonical JSON value.
  // INVALID_ARGUMENT for a malformed key. Groups come sorted by their key values.
  absl::StatusOr<std::vector<ResultGroup>> Results(const ResultsQuery& q);
  // Per group and per evaluated n: mean and standard error over the group's jobs.
  absl::StatusOr<std::vector<CurveGroup>> Curves(const ResultsQuery& q);
  // Workers in worker_id order: those after `after_worker_id`, at most `limit` (-1: all).
  absl::StatusOr<std::vector<WorkerRecord>> ListWorkers(const std::string& after_worker_id = "",
                                                        int64_t limit = -1);
  // The stored result of one job (for a cached job: the result it points at), with its
  // eval and loss curves. NOT_FOUND when the job has no result.
  absl::StatusOr<JobResult> GetResult(int64_t job_id);
  // A verification sweep (`sweep verify`, docs/design.md section 4.15): each rerun with its
  // original, both workers' provenance and every metric that differs bit for bit (compared
  // once the rerun succeeded). FAILED_PRECONDITION when the sweep verifies nothing;
  // NOT_FOUND for an unknown sweep.
  absl::StatusOr<std::vector<VerifiedPair>> Verification(int64_t sweep_id);

  // Checkpoints of trained models (docs/schema.md, table checkpoints). A file of schema
  // version 1 has none: the lookups below then find nothing.
  // The checkpoint stored under `training_hash`, bytes included; nullopt when none.
  absl::StatusOr<std::optional<CheckpointRecord>> GetCheckpoint(const std::string& training_hash);
  // The checkpoint of a job (for `export`): the one stored under the job's training hash,
  // whether this job trained it or reused it; bytes included. NOT_FOUND for an unknown
  // job; nullopt when none is stored (krr, or not trained yet).
  absl::StatusOr<std::optional<CheckpointRecord>> GetCheckpointForJob(int64_t job_id);
  // Metadata (bytes left empty) of every checkpoint, or with a sweep id of those under
  // the training hash of one of its jobs (trained by the sweep or reused by it); oldest
  // first. NOT_FOUND for an unknown sweep.
  absl::StatusOr<std::vector<CheckpointRecord>> ListCheckpoints(std::optional<int64_t> sweep_id);

 private:
  struct Impl;
  explicit Reader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sweep::storage
