#include "common/adaptive_seeds.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace sweep {

// Larger than any sweep may ask (common/spec's kMaxSeeds); the JSON parse bounds stored
// settings by it so that a damaged row cannot ask for an absurd number of jobs.
constexpr int64_t kStoredMaxSeeds = kMaxAdaptiveSeeds;

absl::Status CheckAdaptiveSeeds(const AdaptiveSeeds& s, int64_t max_seeds) {
  if (s.min < 2 || s.min > max_seeds) {
    return absl::InvalidArgumentError(absl::StrCat(
        "seeds.min: expected an integer in 2..", max_seeds,
        " (a confidence interval needs two seeds), got ", s.min));
  }
  if (s.max < 2 || s.max > max_seeds) {
    return absl::InvalidArgumentError(
        absl::StrCat("seeds.max: expected an integer in 2..", max_seeds, ", got ", s.max));
  }
  if (s.min > s.max) {
    return absl::InvalidArgumentError(
        absl::StrCat("seeds: min ", s.min, " > max ", s.max, " (min must be <= max)"));
  }
  if (!std::isfinite(s.ci) || s.ci <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("seeds.ci: must be a finite number > 0, got ", s.ci));
  }
  if (s.metric != "nmse" && s.metric != "mse") {
    return absl::InvalidArgumentError(
        absl::StrCat("seeds.metric: unknown metric \"", s.metric, "\" (expected nmse or mse)"));
  }
  return absl::OkStatus();
}

std::string_view CellVerdictName(CellVerdict v) {
  switch (v) {
    case CellVerdict::kRunning: return "running";
    case CellVerdict::kMet: return "met";
    case CellVerdict::kAtMax: return "at max";
    case CellVerdict::kStopped: return "stopped";
  }
  return "?";
}

std::string AdaptiveSeedsJson(const AdaptiveSeeds& s) {
  return nlohmann::json{{"min", s.min}, {"max", s.max}, {"ci", s.ci}, {"metric", s.metric}}.dump();
}

absl::StatusOr<AdaptiveSeeds> ParseAdaptiveSeedsJson(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("min") || !j["min"].is_number_integer() ||
      !j.contains("max") || !j["max"].is_number_integer() || !j.contains("ci") ||
      !j["ci"].is_number() || !j.contains("metric") || !j["metric"].is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("adaptive seeds: not a {min, max, ci, metric} object: ",
                     std::string(text.substr(0, 200))));
  }
  AdaptiveSeeds s{j["min"].get<int64_t>(), j["max"].get<int64_t>(), j["ci"].get<double>(),
                  j["metric"].get<std::string>()};
  if (absl::Status st = CheckAdaptiveSeeds(s, kStoredMaxSeeds); !st.ok()) return st;
  return s;
}

}  // namespace sweep
