// Grid expansion: the cartesian product of a SweepDoc's axes (first axis slowest, last
// fastest), minus excluded cells, each resolved by the key registry and deduplicated by
// canonical JSON (so keys a model ignores do not multiply its jobs).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/job_config.h"
#include "common/spec/sweep_doc.h"

namespace sweep::spec {

// The number of grid cells (product of the axis sizes), or INVALID_ARGUMENT naming the
// product and the limit when it exceeds `max_jobs` (overflow-safe).
absl::StatusOr<int64_t> CountCells(const SweepDoc& doc, std::string_view source, int64_t max_jobs);

struct ExpandLimits {
  int64_t max_jobs = 0;          // cells before exclude and dedup
  int64_t max_eval_entries = 0;  // eval_lengths entries summed over the distinct jobs
};

// Every distinct resolved job in grid order. A cell that fails to resolve is an error
// naming the position of the offending value and the cell's axis values.
absl::StatusOr<std::vector<JobConfig>> ExpandSweep(const SweepDoc& doc, std::string_view source,
                                                   const ExpandLimits& limits);

}  // namespace sweep::spec
