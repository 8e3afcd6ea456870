// ExecOutput: reads what an exec program prints on stdout (docs/exec.md, "Output"): one
// JSON object per line, protocol version 1. A line holds any of these members:
//   {"version": 1}                                   optional; another version is an error
//   {"progress": {"step": 40, "total": 100}}         or {"progress": 0.4}: a heartbeat
//   {"loss": {"step": 50, "loss": 0.31}}             a point of the training-loss curve
//   {"curve": [{"n": 8, "nmse": 0.5, "mse": 0.6, "se": 0.01}, ...]}   ICL error points
//   {"metrics": {"mse": .., "nmse": .., "ey2": .., "train_seconds": .., "eval_seconds": ..}}
//   {"diverged": "loss nan at step 80"}              a diverged run (stored as such)
// Numbers may be null, "nan", "inf" or "-inf" (JSON has no NaN). Anything else (a line
// that is not a JSON object, an unknown member, a wrong type, a repeated n) is an error
// naming the line, so a typo never turns into a silently missing metric.
//
// Not thread-safe: one instance per running job.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/job_config.h"
#include "common/job_result.h"
#include "nlohmann/json.hpp"

namespace sweep::worker {

inline constexpr int kExecProtocolVersion = 1;

class ExecOutput {
 public:
  // `on_progress` gets (step, total) of every progress line (a fraction f as f * 1000
  // of 1000); it may be empty.
  explicit ExecOutput(std::function<void(int64_t, int64_t)> on_progress = nullptr)
      : on_progress_(std::move(on_progress)) {}

  // One stdout line, without its newline. Blank lines are skipped. INVALID_ARGUMENT
  // naming the line number and the member for anything the protocol does not allow.
  absl::Status Feed(std::string_view line);

  // The job's result once the program exited 0. Curve points that miss mse or nmse are
  // completed with E[y^2] (from metrics, else the analytic one of config's link and
  // tau); mse and nmse default to the curve point with the largest n; n_at_eps, ie and
  // ge follow config as for the built-in models. INVALID_ARGUMENT when the program
  // printed neither a curve nor metrics.
  absl::StatusOr<JobResult> Finish(const JobConfig& config) const;

 private:
  struct Point {
    std::optional<double> mse, nmse, se;
  };
  absl::Status Member(const std::string& key, const nlohmann::json& value);
  absl::Status CurvePoint(const nlohmann::json& point);
  absl::Status Metrics(const nlohmann::json& metrics);

  std::function<void(int64_t, int64_t)> on_progress_;
  int64_t line_no_ = 0;
  std::map<int, Point> curve_;
  std::vector<LossPoint> loss_;
  std::set<int64_t> loss_steps_;
  std::optional<double> mse_, nmse_, ey2_, train_seconds_, eval_seconds_;
  std::string divergence_;
};

}  // namespace sweep::worker
