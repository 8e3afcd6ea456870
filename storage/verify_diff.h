// The bit-for-bit comparison of `sweep verify` (docs/design.md section 4.15).
#pragma once

#include <vector>

#include "common/job_result.h"
#include "common/records.h"

namespace sweep::storage {

// Every metric of `rerun` whose bits differ from `original`'s: the headline metrics, each
// eval-curve point and each loss point (timings are not compared). Two NaN are equal.
std::vector<MetricDiff> DiffResults(const JobResult& original, const JobResult& rerun);

}  // namespace sweep::storage
