// Helpers shared by the Store's .cc files (not part of the storage API).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/job_state.h"
#include "storage/sqlite.h"

namespace sweep::storage::internal {

// Appends one row to `events` (every job transition is recorded).
absl::Status AddEvent(Connection& conn, TimePoint at, std::optional<int64_t> sweep_id,
                      std::optional<int64_t> job_id, std::optional<int> attempt,
                      std::string_view kind, std::string_view worker_id, std::string_view detail);

// The lease-relevant state of one job and its sweep.
struct LeaseRow {
  int64_t job_id = 0;
  int64_t sweep_id = 0;
  JobState state = JobState::kQueued;
  int attempt = 0;
  int lost_attempts = 0;
  int max_attempts = 0;
  std::string owner;
  bool cancel_requested = false;
  bool stop_requested = false;  // `sweep stop`: a job that ends early is not requeued
  bool fail_fast = false;
  bool adaptive = false;  // the sweep has adaptive seeds: an ended job may add seeds
};

// Queued jobs of the sweep become cancelled, with an event each; returns how many.
absl::StatusOr<int64_t> CancelQueued(Connection& conn, int64_t sweep_id, TimePoint now);

// The detail of the cancel event a --fail-fast sweep records at its first failure.
std::string FailFastReason(int64_t job_id, std::string_view kind);

// Cancels the sweep (cancel_requested = 1 and CancelQueued) with an event whose detail
// says why. NOT_FOUND for an unknown sweep.
absl::StatusOr<int64_t> CancelSweep(Connection& conn, int64_t sweep_id, TimePoint now,
                                    std::string_view why);

// Whether a checkpoint is stored under `training_hash`.
absl::StatusOr<bool> HasCheckpoint(Connection& conn, const std::string& training_hash);

// NOT_FOUND "job 7: no such job".
absl::StatusOr<LeaseRow> LoadLeaseRow(Connection& conn, int64_t job_id);

// OK when (attempt, worker_id) holds the job's current lease; otherwise ABORTED with
// the reason ("job 7: attempt 1 superseded by 2", "job 7 finished (succeeded)", ...).
// INVALID_ARGUMENT for an empty worker_id: the owner check is half of the fencing, so it
// is refused here and callers need no check of their own.
absl::Status CheckCurrent(const LeaseRow& row, int attempt, const std::string& worker_id);

// Exec names as stored (workers.exec_names) and matched by the lease query: ",a,b,", or
// "" for none; names hold no comma (common/exec_keys.h). Split reads either back.
std::string JoinExecNames(const std::vector<std::string>& names);
std::vector<std::string> SplitExecNames(const std::string& stored);

}  // namespace sweep::storage::internal
