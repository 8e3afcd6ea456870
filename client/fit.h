// `sweep results SWEEP --fit`: per group, the least-squares line of log nmse against log n
// over a range of context lengths (the power law nmse ~ C n^slope of a learning curve),
// with standard errors, a 95% interval for the slope, and n_at_eps of the mean curve.
// Computed from the groups' mean curves (`sweep curves`), so it works through the
// coordinator and with --db alike.
#pragma once

#include <climits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/format.h"
#include "common/records.h"

namespace sweep::client {

// The context lengths a fit uses: lo <= n <= hi (n >= 1 always: log 0 is undefined).
struct FitRange {
  int lo = 1;
  int hi = INT_MAX;
};

// "LO:HI", "LO:" or ":HI" (integers >= 1, LO <= HI). INVALID_ARGUMENT names --fit-range.
absl::StatusOr<FitRange> ParseFitRange(const std::string& text);

struct CurveFit {
  std::map<std::string, std::string> key;
  int points = 0;  // curve points used: n in range, mean nmse finite and > 0
  // ln nmse = intercept + slope ln n. NaN with fewer than 2 points; the standard errors
  // and the interval (Student t, points - 2 degrees of freedom) need 3.
  double slope = 0, slope_se = 0, slope_ci_lo = 0, slope_ci_hi = 0;
  double intercept = 0, intercept_se = 0;
  double r2 = 0;                // share of the variance of ln nmse the line explains
  std::optional<int> n_at_eps;  // smallest n of the mean curve with nmse <= eps
};

CurveFit FitCurve(const CurveGroup& group, FitRange range, double eps);

// Key columns as `results`, then points, slope, slope_se, slope_ci_lo, slope_ci_hi,
// intercept, intercept_se, r2, n_at_eps (empty / null when none).
std::string FormatFits(const std::vector<CurveFit>& fits, Format format);

}  // namespace sweep::client
