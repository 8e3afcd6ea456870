#include "storage/adaptive_cells.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "storage/nonfinite.h"
#include "storage/results_query.h"
#include "storage/student_t.h"

namespace sweep::storage {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool Ended(JobState s) {
  return s == JobState::kSucceeded || s == JobState::kFailed || s == JobState::kCancelled;
}

// The seed of a canonical config JSON (one top-level integer "seed", as StripSeed relies
// on), read from the text: the report path judges a cell without parsing its jobs' JSON.
int64_t SeedOf(const std::string& json) {
  const size_t key = json.find("\"seed\":");
  int64_t seed = 0;
  if (key == std::string::npos) return seed;
  const char* begin = json.data() + key + 7;
  std::from_chars(begin, json.data() + json.size(), seed);
  return seed;
}

double HalfWidth(int64_t k, double sd) {
  return StudentT975(k - 1) * sd / std::sqrt(static_cast<double>(k));
}

}  // namespace

CellJudgement JudgeCell(const AdaptiveSeeds& s, std::string cell, const std::vector<CellJob>& jobs,
                        bool sweep_ending) {
  CellJudgement out;
  AdaptiveCell& c = out.cell;
  c.cell = std::move(cell);
  c.seeds = static_cast<int64_t>(jobs.size());
  double sum = 0;
  int64_t max_seed = -1;
  for (const CellJob& j : jobs) {
    max_seed = std::max(max_seed, j.seed);
    if (Ended(j.state)) ++c.finished;
    if (j.state == JobState::kSucceeded && std::isfinite(j.metric)) {
      ++c.values;
      sum += j.metric;
    }
  }
  out.next_seed = max_seed + 1;
  c.mean = c.values > 0 ? sum / static_cast<double>(c.values) : kNaN;
  double sd = kNaN;
  if (c.values >= 2) {
    double m2 = 0;  // two passes: the values are few, and this keeps sd exact for equal ones
    for (const CellJob& j : jobs) {
      if (j.state == JobState::kSucceeded && std::isfinite(j.metric)) {
        m2 += (j.metric - c.mean) * (j.metric - c.mean);
      }
    }
    sd = std::sqrt(m2 / static_cast<double>(c.values - 1));
  }
  c.half_width = c.values >= 2 ? HalfWidth(c.values, sd) : kNaN;
  const bool met = c.values >= 2 && c.half_width <= s.ci;
  if (c.finished < c.seeds) {
    c.verdict = CellVerdict::kRunning;
  } else if (met) {
    c.verdict = CellVerdict::kMet;
  } else if (c.seeds >= s.max) {
    c.verdict = CellVerdict::kAtMax;
  } else if (sweep_ending) {
    c.verdict = CellVerdict::kStopped;
  } else {
    // The smallest total of values whose half-width would meet the target if the standard
    // deviation stayed what it is; one more seed when it cannot be estimated yet.
    int64_t want = c.values + 1;
    if (c.values >= 2) {
      while (want < c.values + (s.max - c.seeds) && HalfWidth(want, sd) > s.ci) ++want;
    }
    out.add = std::clamp<int64_t>(want - c.values, 1, s.max - c.seeds);
    c.verdict = CellVerdict::kRunning;
  }
  return out;
}

absl::StatusOr<std::vector<CellJudgement>> JudgeCells(Connection& conn, int64_t sweep_id,
                                                      const AdaptiveSeeds& s, bool sweep_ending,
                                                      const std::optional<std::string>& only_cell) {
  SWEEP_ASSIGN_OR_RETURN(
      Statement * st,
      conn.Cached("SELECT j.state, j.config_json, r.mse, r.nmse, coalesce(r.nan_mask, 0)"
                  " FROM jobs j LEFT JOIN results r ON r.job_id = j.result_job_id"
                  " AND j.state = 'succeeded' WHERE j.sweep_id = ? ORDER BY j.job_id"));
  st->Bind(1, sweep_id);
  std::vector<std::string> order;
  std::unordered_map<std::string, std::vector<CellJob>> cells;
  const bool nmse = s.metric == "nmse";
  for (;;) {
    absl::StatusOr<bool> row = st->Step();
    if (!row.ok()) {
      st->Reset();
      return row.status();
    }
    if (!*row) break;
    std::string cell = StripSeed(st->Text(1));
    if (only_cell && cell != *only_cell) continue;
    const std::string state_name = st->Text(0);
    const std::optional<JobState> state = ParseJobState(state_name);
    if (!state) {
      st->Reset();
      return absl::DataLossError(absl::StrCat("sweep ", sweep_id, ": a job has unknown state \"",
                                              state_name, "\""));
    }
    CellJob job;
    job.state = *state;
    job.seed = SeedOf(st->Text(1));
    job.metric = ReadMetric(*st, nmse ? 3 : 2, st->Int(4), nmse ? kResNmse : kResMse);
    auto [it, inserted] = cells.try_emplace(cell);
    if (inserted) order.push_back(cell);
    it->second.push_back(job);
  }
  st->Reset();
  std::vector<CellJudgement> out;
  out.reserve(order.size());
  for (std::string& cell : order) {
    std::vector<CellJob>& jobs = cells[cell];
    out.push_back(JudgeCell(s, std::move(cell), jobs, sweep_ending));
  }
  return out;
}

}  // namespace sweep::storage
