#include "common/spec/expand.h"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/job_keys.h"
#include "common/status.h"

namespace sweep::spec {
namespace {

using nlohmann::json;

bool Excluded(const json& partial, const std::vector<std::vector<KeyValue>>& excludes) {
  for (const auto& entry : excludes) {
    bool all = true;
    for (const KeyValue& kv : entry) {
      auto it = partial.find(kv.key);
      if (it == partial.end() || *it != kv.value) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

// Puts the position of the value the registry complains about in front of its message
// (the registry's messages start with the key), and the cell's axis values behind it.
absl::Status CellError(const SweepDoc& doc, std::string_view source, const std::vector<size_t>& idx,
                       const absl::Status& error) {
  const std::string message(error.message());
  const std::string key = message.substr(0, message.find(':'));
  Position pos;
  std::vector<std::string> cell;
  for (size_t a = 0; a < doc.axes.size(); ++a) {
    const Axis& axis = doc.axes[a];
    cell.push_back(absl::StrCat(axis.key, "=", Dump(axis.values[idx[a]])));
    if (axis.key == key) pos = axis.value_pos[idx[a]];
  }
  for (const KeyValue& kv : doc.base) {
    if (kv.key == key) pos = kv.pos;
  }
  if (cell.empty()) return PositionError(source, pos, message);
  return PositionError(source, pos,
                       absl::StrCat(message, " (in grid cell ", absl::StrJoin(cell, ", "), ")"));
}

// Advances the odometer `idx` (last axis fastest) and writes the axes that changed.
void NextCell(const SweepDoc& doc, std::vector<size_t>& idx, json& partial) {
  for (size_t a = doc.axes.size(); a-- > 0;) {
    const Axis& axis = doc.axes[a];
    if (++idx[a] < axis.values.size()) {
      partial[axis.key] = axis.values[idx[a]];
      return;
    }
    idx[a] = 0;
    partial[axis.key] = axis.values[0];
  }
}

absl::Status TooManyEvalEntries(std::string_view source, const ExpandLimits& limits) {
  return PositionError(
      source, {},
      absl::StrCat("eval_lengths: the jobs evaluate more than ", limits.max_eval_entries,
                   " context lengths in all (lower N or the grid, or set "
                   "eval_lengths: interleaved jobs default to every n in 0..N)"));
}

}  // namespace

absl::StatusOr<int64_t> CountCells(const SweepDoc& doc, std::string_view source, int64_t max_jobs) {
  int64_t count = 1;
  bool overflow = false;
  std::vector<std::string> sizes;
  for (const Axis& axis : doc.axes) {
    const int64_t n = int64_t(axis.values.size());
    sizes.push_back(absl::StrCat(n));
    // A few dozen small axes overflow int64: say so instead of printing a wrapped count.
    overflow = overflow || __builtin_mul_overflow(count, n, &count);
  }
  if (overflow || count > max_jobs) {
    std::string product = absl::StrJoin(sizes, " x ");
    std::string total = overflow ? "more than 2^63" : absl::StrCat(count);
    return PositionError(source, {},
                         absl::StrCat("grid: ", product, " = ", total,
                                      " jobs exceeds the limit of ", max_jobs, " jobs"));
  }
  return count;
}

absl::StatusOr<std::vector<JobConfig>> ExpandSweep(const SweepDoc& doc, std::string_view source,
                                                   const ExpandLimits& limits) {
  SWEEP_ASSIGN_OR_RETURN(const int64_t count, CountCells(doc, source, limits.max_jobs));
  json partial = json::object();
  for (const KeyValue& kv : doc.base) partial[kv.key] = kv.value;
  for (const Axis& axis : doc.axes) partial[axis.key] = axis.values[0];
  std::vector<size_t> idx(doc.axes.size(), 0);
  std::vector<JobConfig> jobs;
  // Canonical-JSON hash -> index into jobs; equal hashes are confirmed with ==, so the
  // canonical strings themselves need not be kept (they are most of the memory).
  std::unordered_multimap<size_t, size_t> seen;
  jobs.reserve(size_t(count));
  seen.reserve(size_t(count));
  int64_t eval_entries = 0;
  for (int64_t cell = 0; cell < count; ++cell) {
    if (cell > 0) NextCell(doc, idx, partial);
    if (Excluded(partial, doc.excludes)) continue;
    absl::StatusOr<JobConfig> job = ResolveJobConfig(partial);
    if (!job.ok()) return CellError(doc, source, idx, job.status());
    const size_t hash = std::hash<std::string>{}(CanonicalJson(*job));
    auto [first, last] = seen.equal_range(hash);
    if (std::none_of(first, last, [&](const auto& e) { return jobs[e.second] == *job; })) {
      eval_entries += int64_t(job->eval_lengths.size());
      if (eval_entries > limits.max_eval_entries) return TooManyEvalEntries(source, limits);
      seen.emplace(hash, jobs.size());
      jobs.push_back(*std::move(job));
    }
  }
  return jobs;
}

}  // namespace sweep::spec
