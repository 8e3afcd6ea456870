// The order in which a sweep's jobs leave the queue (docs/design.md section 4.13): seed
// rank 0 of every curve before rank 1 of any, so a half-finished sweep already draws every
// curve of its figure; among jobs of one rank, the most expensive first, so that the long
// jobs do not start last and stretch the tail.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "common/job_config.h"

namespace sweep::server {

// CPU seconds a job is expected to take; only the order of the values matters. The
// coordinator is given one (sweepd and `sweep local` pass the numerics' cost model) and
// orders by seed rank alone without it.
using JobCostFn = std::function<double(const JobConfig&)>;

// queue position of jobs[i] within its sweep: a permutation of 0..jobs.size()-1. A
// curve is a config without its seed (and threads); a job's seed rank is its position
// among its curve's jobs in file order (`seeds: 3` gives seeds 0, 1, 2 ranks 0, 1, 2).
// Sorted by (seed rank, cost descending, index): ties keep the sweep file's order.
std::vector<int64_t> CurveFirstOrder(const std::vector<JobConfig>& jobs, const JobCostFn& cost);

}  // namespace sweep::server
