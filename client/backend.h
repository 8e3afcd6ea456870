// Where the query commands read from: the coordinator over gRPC (RpcBackend) or a
// results file opened read-only (DbBackend, `--db PATH`, no coordinator needed). The
// commands in commands.h are written once against this interface. Not thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/records.h"

namespace sweep::client {

// The cells of a sweep with adaptive seeds (empty for fixed seeds); a coordinator's reply
// may leave some met cells out to stay small (`omitted` counts them).
struct AdaptiveCellList {
  std::vector<AdaptiveCell> cells;
  int64_t omitted = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual absl::StatusOr<std::vector<SweepSummary>> ListSweeps() = 0;
  virtual absl::StatusOr<SweepSummary> GetSweep(int64_t sweep_id) = 0;
  virtual absl::StatusOr<AdaptiveCellList> AdaptiveCells(int64_t sweep_id) = 0;
  // A verification sweep's reruns against their originals (`sweep verify`).
  virtual absl::StatusOr<std::vector<VerifiedPair>> Verification(int64_t verify_sweep_id) = 0;
  virtual absl::StatusOr<std::vector<JobRecord>> ListJobs(int64_t sweep_id,
                                                          std::optional<JobState> state) = 0;
  virtual absl::StatusOr<std::vector<ResultGroup>> Results(const ResultsQuery& q) = 0;
  virtual absl::StatusOr<std::vector<CurveGroup>> Curves(const ResultsQuery& q) = 0;
  virtual absl::StatusOr<std::vector<WorkerRecord>> ListWorkers() = 0;
  // Checkpoints of trained models (docs/checkpoints.md): metadata of one sweep's (or all,
  // bytes empty), and the one under a job's training hash, bytes included (nullopt: none
  // stored; NOT_FOUND: no such job).
  virtual absl::StatusOr<std::vector<CheckpointRecord>> ListCheckpoints(
      std::optional<int64_t> sweep_id) = 0;
  virtual absl::StatusOr<std::optional<CheckpointRecord>> GetCheckpointForJob(int64_t job_id) = 0;
};

// NOT_FOUND etc. from storage::Reader::Open.
absl::StatusOr<std::unique_ptr<Backend>> OpenDbBackend(const std::string& db_path);

// A sweep given on the command line: its numeric id, or its name (the newest sweep of
// that name). NOT_FOUND when neither matches.
absl::StatusOr<int64_t> ResolveSweep(Backend& backend, const std::string& id_or_name);

}  // namespace sweep::client
