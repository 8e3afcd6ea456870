// The cells of a sweep with adaptive seeds (docs/design.md section 4.14): each cell's
// jobs read from the database and judged against the sweep's target, on any connection
// (the Store's in the report transaction that may add seeds, a Reader's for `status`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/adaptive_seeds.h"
#include "common/job_state.h"
#include "storage/sqlite.h"

namespace sweep::storage {

// One job of a cell, as the rule needs it.
struct CellJob {
  JobState state = JobState::kQueued;
  int64_t seed = 0;
  double metric = 0;  // the settings' metric of a succeeded job; NaN otherwise
};

// A judged cell and, when its verdict needs more seeds, how many to add.
struct CellJudgement {
  AdaptiveCell cell;
  int64_t add = 0;        // new seeds to queue now (0 unless every job has ended)
  int64_t next_seed = 0;  // the first of them: one past the largest seed of the cell
};

// The rule. A cell whose jobs have not all ended is running. Otherwise it is met when two
// or more finite values give a 95% CI half-width <= s.ci, stopped when the sweep is
// ending (`stop`/`cancel`), at max when it has s.max seeds; else it needs the smallest k
// whose half-width t_{0.975,k-1} sd / sqrt(k) would reach the target with today's sd
// (at least one seed, never past s.max).
CellJudgement JudgeCell(const AdaptiveSeeds& s, std::string cell, const std::vector<CellJob>& jobs,
                        bool sweep_ending);

// Every cell of the sweep (or only `only_cell`), in order of first job id. `sweep_ending`
// as in JudgeCell.
absl::StatusOr<std::vector<CellJudgement>> JudgeCells(Connection& conn, int64_t sweep_id,
                                                      const AdaptiveSeeds& s, bool sweep_ending,
                                                      const std::optional<std::string>& only_cell);

}  // namespace sweep::storage
