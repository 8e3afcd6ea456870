// A sweep file (docs/sweep-format.md) turned into the validated, expanded list of jobs.
//
// A sweep file is YAML (a JSON document is valid too) with `name`, `base:` (values for
// every job), `grid:` (a cartesian product over job keys, first axis slowest), `seeds: K`
// (shorthand for a last axis `seed: [0..K-1]`) and `exclude:` (partial configs to drop).
// Every job is resolved through the key registry (common/job_keys.h): defaults filled,
// keys its model does not use dropped, identical jobs deduplicated by config hash.
//
// Stateless and thread-safe. Errors are INVALID_ARGUMENT and name the file position or
// the key and the reason, e.g. `small.yaml:14:3: unknown key "sedd"`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/adaptive_seeds.h"
#include "common/job_config.h"
#include "common/limits.h"

namespace sweep::spec {

struct SpecOptions {
  // The largest number of grid cells (before exclude and dedup) a sweep may expand to;
  // checked on the overflow-safe product of the axis sizes before anything is expanded.
  int64_t max_jobs = limits::kMaxJobsPerSweep;
  // The largest total number of eval_lengths entries over all jobs. Interleaved jobs
  // default to every n in 0..N, so N = 65536 times many jobs would exhaust memory (and
  // the database) while each job on its own is valid.
  int64_t max_eval_entries = 50'000'000;
};

struct SweepSpec {
  std::string name;
  std::vector<JobConfig> jobs;  // resolved, deduplicated by config hash, in grid order
  // The keys the grid varies, in file order, then "seed" when `seeds:` is given: what a
  // results table of this sweep is naturally grouped by.
  std::vector<std::string> axes;
  // Lost leases (dead worker, network cut) tolerated per job before it fails as `lost`;
  // job errors and diverged runs are never retried. Top-level `max_attempts:`, default 3.
  int max_attempts = 3;
  // `seeds: {min, max, ci, metric}` (common/adaptive_seeds.h); nullopt for `seeds: K`.
  std::optional<AdaptiveSeeds> adaptive_seeds;
  // The file as parsed and the name its errors cite: what a client submits, so that the
  // text it checked is the text the coordinator stores (and a file is read once).
  std::string text;
  std::string source_name;
};

// Parses YAML or JSON text, validates it and expands it. `source_name` (usually the file
// name) prefixes error positions. INVALID_ARGUMENT on any problem.
absl::StatusOr<SweepSpec> ParseSweep(std::string_view text, std::string_view source_name,
                                     const SpecOptions& options = {});

// Reads `path` and calls ParseSweep with its base name as source_name. NOT_FOUND when the
// file cannot be read (the message names the path).
absl::StatusOr<SweepSpec> LoadSweepFile(const std::string& path, const SpecOptions& options = {});

}  // namespace sweep::spec
