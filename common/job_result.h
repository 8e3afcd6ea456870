// JobResult: what a job produces (docs/science.md section 4), independent of transport and
// storage. Doubles may be NaN or +-Inf (a diverged run); storage and the wire keep them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sweep {

// One point of the ICL error curve: error with n context examples.
struct EvalPoint {
  int n = 0;
  double mse = 0;   // mean (f - y)^2 over eval_tasks prompts
  double se = 0;    // standard error of that mean
  double nmse = 0;  // mse / E[y^2]
  bool operator==(const EvalPoint&) const = default;
};

// Training loss, recorded every 50 steps (docs/science.md section 4).
struct LossPoint {
  int step = 0;
  double loss = 0;
  bool operator==(const LossPoint&) const = default;
};

struct JobResult {
  double mse = 0;  // at n = N (the largest evaluated n)
  double nmse = 0;
  std::optional<int> n_at_eps;  // smallest evaluated n with nmse <= eps, or none
  double ey2 = 0;               // analytic E[y^2]
  int ie = 0;                   // information exponent of the link
  int ge = 0;                   // generative exponent of the link
  std::vector<EvalPoint> curve;
  std::vector<LossPoint> loss_curve;
  double train_seconds = 0;
  double eval_seconds = 0;
  // Non-empty when training diverged (NaN/Inf loss): "diverged at step 812: loss nan".
  // Such a job is a failed job; its partial loss curve is still kept.
  std::string divergence;
  bool operator==(const JobResult&) const = default;
};

}  // namespace sweep
