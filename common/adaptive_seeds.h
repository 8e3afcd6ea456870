// Adaptive seeds (docs/sweep-format.md, docs/design.md section 4.14): a sweep file's
// `seeds: {min, max, ci, metric}` asks the coordinator to add seeds to each cell (a config
// without its seed) until the 95% confidence interval of the cell's metric has a
// half-width of at most `ci`, or the cell has `max` seeds. The settings travel as a small
// JSON object (stored in sweeps.adaptive_seeds).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace sweep {

// The most seeds a cell may ask for (as `seeds: K`).
inline constexpr int64_t kMaxAdaptiveSeeds = 1'000'000;

struct AdaptiveSeeds {
  int64_t min = 3;             // seeds every cell starts with (>= 2: a CI needs two values)
  int64_t max = 20;            // seeds a cell never exceeds
  double ci = 0;               // target half-width of the 95% CI of the mean (> 0)
  std::string metric = "nmse";  // "nmse" or "mse": the job's final metric
  bool operator==(const AdaptiveSeeds&) const = default;
};

// One cell (a config without its seed) of a sweep with adaptive seeds, as the coordinator
// judges it (docs/design.md section 4.14).
enum class CellVerdict : uint8_t {
  kRunning,  // seeds still queued or running: judged when they end
  kMet,      // the CI half-width is at most the target
  kAtMax,    // `max` seeds used and the target not met: the results say so
  kStopped,  // the sweep was stopped or cancelled before the target was met
};
struct AdaptiveCell {
  std::string cell;  // canonical config JSON without "seed"
  int64_t seeds = 0;     // jobs of the cell (every state)
  int64_t finished = 0;  // of those, ended (succeeded, failed, cancelled)
  int64_t values = 0;    // succeeded with a finite metric: what the CI is computed from
  double mean = 0;       // of the metric over `values`; NaN with none
  double half_width = 0;  // t_{0.975, values-1} * sd / sqrt(values); NaN below two values
  CellVerdict verdict = CellVerdict::kRunning;
  bool operator==(const AdaptiveCell&) const = default;
};
std::string_view CellVerdictName(CellVerdict v);  // "running", "met", "at max", "stopped"

// INVALID_ARGUMENT naming the field ("seeds.ci: must be a finite number > 0, got -1";
// "seeds: min 5 > max 3") when the settings cannot be followed. `max_seeds` is the
// largest seed count a sweep file may ask for.
absl::Status CheckAdaptiveSeeds(const AdaptiveSeeds& s, int64_t max_seeds);

// {"ci":0.02,"max":20,"metric":"nmse","min":3}, and back (the parse checks the fields).
std::string AdaptiveSeedsJson(const AdaptiveSeeds& s);
absl::StatusOr<AdaptiveSeeds> ParseAdaptiveSeedsJson(std::string_view text);

}  // namespace sweep
