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
  // Group by curve: the canonical JSON of the config with its seed zeroed, and its
  // threads (they change no metric, docs/science.md section 5). A job's seed rank is its
  // position among its curve's jobs in file order, so a file's own seed order is kept.
  std::unordered_map<std::string, int64_t> seen;
  std::vector<int64_t> seed_rank(n, 0);
  for (size_t i = 0; i < n; ++i) {
    JobConfig curve = jobs[i];
    curve.seed = 0;
    curve.threads = 1;
    seed_rank[i] = seen[CanonicalJson(curve)]++;
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
