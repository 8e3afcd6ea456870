// Curve-first queue order (see queue_order.h).
#include "server/queue_order.h"

#include <algorithm>
#include <numeric>
#include <string>
#include <unordered_map>

#include "common/job_keys.h"

namespace sweep::server {

std::vector<int64_t> CurveFirstOrder(const std::vector<JobConfig>& jobs, const JobCostFn& cost) {
  const size_t n = jobs.size();
  // Group by curve: the canonical JSON of the config with its seed zeroed.
  std::unordered_map<std::string, std::vector<size_t>> curves;
  for (size_t i = 0; i < n; ++i) {
    JobConfig curve = jobs[i];
    curve.seed = 0;
    curves[CanonicalJson(curve)].push_back(i);
  }
  std::vector<int64_t> seed_rank(n, 0);
  for (auto& [key, members] : curves) {
    std::stable_sort(members.begin(), members.end(),
                     [&](size_t a, size_t b) { return jobs[a].seed < jobs[b].seed; });
    for (size_t r = 0; r < members.size(); ++r) seed_rank[members[r]] = int64_t(r);
  }
  std::vector<double> seconds(n, 0.0);
  if (cost) {
    for (size_t i = 0; i < n; ++i) seconds[i] = cost(jobs[i]);
  }
  std::vector<size_t> by_order(n);
  std::iota(by_order.begin(), by_order.end(), size_t{0});
  std::stable_sort(by_order.begin(), by_order.end(), [&](size_t a, size_t b) {
    if (seed_rank[a] != seed_rank[b]) return seed_rank[a] < seed_rank[b];
    return seconds[a] > seconds[b];
  });
  std::vector<int64_t> position(n);
  for (size_t p = 0; p < n; ++p) position[by_order[p]] = int64_t(p);
  return position;
}

}  // namespace sweep::server
