// Log-log fits of learning curves (see fit.h).
#include "client/fit.h"

#include <cmath>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/format_internal.h"
#include "storage/student_t.h"

namespace sweep::client {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

absl::Status BadRange(const std::string& text, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("--fit-range: \"", text, "\": ", why));
}

}  // namespace

absl::StatusOr<FitRange> ParseFitRange(const std::string& text) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos) return BadRange(text, "expected LO:HI, LO: or :HI");
  FitRange range;
  const std::string lo = text.substr(0, colon), hi = text.substr(colon + 1);
  if (!lo.empty() && (!absl::SimpleAtoi(lo, &range.lo) || range.lo < 1)) {
    return BadRange(text, "LO must be an integer >= 1");
  }
  if (!hi.empty() && (!absl::SimpleAtoi(hi, &range.hi) || range.hi < 1)) {
    return BadRange(text, "HI must be an integer >= 1");
  }
  if (range.lo > range.hi) return BadRange(text, "LO > HI");
  return range;
}

CurveFit FitCurve(const CurveGroup& group, FitRange range, double eps) {
  CurveFit fit;
  fit.key = group.key;
  for (const CurvePoint& p : group.points) {
    if (!fit.n_at_eps && std::isfinite(p.nmse_mean) && p.nmse_mean <= eps) fit.n_at_eps = p.n;
  }
  std::vector<double> x, y;
  for (const CurvePoint& p : group.points) {
    if (p.n < std::max(range.lo, 1) || p.n > range.hi) continue;
    if (!std::isfinite(p.nmse_mean) || p.nmse_mean <= 0) continue;
    x.push_back(std::log(double(p.n)));
    y.push_back(std::log(p.nmse_mean));
  }
  const int k = static_cast<int>(x.size());
  fit.points = k;
  fit.slope = fit.intercept = fit.r2 = kNaN;
  fit.slope_se = fit.slope_ci_lo = fit.slope_ci_hi = fit.intercept_se = kNaN;
  if (k < 2) return fit;
  double mx = 0, my = 0;
  for (int i = 0; i < k; ++i) mx += x[i] / k, my += y[i] / k;
  double sxx = 0, sxy = 0, syy = 0;
  for (int i = 0; i < k; ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx <= 0) return fit;  // one distinct n
  fit.slope = sxy / sxx;
  fit.intercept = my - fit.slope * mx;
  double sse = 0;
  for (int i = 0; i < k; ++i) {
    const double r = y[i] - fit.intercept - fit.slope * x[i];
    sse += r * r;
  }
  fit.r2 = syy > 0 ? 1.0 - sse / syy : 1.0;
  if (k < 3) return fit;
  const double s2 = sse / (k - 2);
  fit.slope_se = std::sqrt(s2 / sxx);
  fit.intercept_se = std::sqrt(s2 * (1.0 / k + mx * mx / sxx));
  const double t = storage::StudentT975(k - 2);
  fit.slope_ci_lo = fit.slope - t * fit.slope_se;
  fit.slope_ci_hi = fit.slope + t * fit.slope_se;
  return fit;
}

std::string FormatFits(const std::vector<CurveFit>& fits, Format format) {
  using internal::JsonDouble;
  if (format == Format::kJson) {
    internal::Json out = internal::Json::array();
    for (const CurveFit& f : fits) {
      out.push_back({{"key", internal::KeyJson(f.key)},
                     {"points", f.points},
                     {"slope", JsonDouble(f.slope)},
                     {"slope_se", JsonDouble(f.slope_se)},
                     {"slope_ci_lo", JsonDouble(f.slope_ci_lo)},
                     {"slope_ci_hi", JsonDouble(f.slope_ci_hi)},
                     {"intercept", JsonDouble(f.intercept)},
                     {"intercept_se", JsonDouble(f.intercept_se)},
                     {"r2", JsonDouble(f.r2)},
                     {"n_at_eps", f.n_at_eps ? internal::Json(*f.n_at_eps) : internal::Json()}});
    }
    return out.dump(2) + "\n";
  }
  std::vector<std::map<std::string, std::string>> keys;
  for (const CurveFit& f : fits) keys.push_back(f.key);
  std::string fixed;
  const std::vector<std::string> columns = internal::KeyColumns(keys, format, &fixed);
  std::vector<std::string> header = columns;
  for (const char* name : {"points", "slope", "slope_se", "slope_ci_lo", "slope_ci_hi", "intercept",
                           "intercept_se", "r2", "n_at_eps"}) {
    header.push_back(name);
  }
  const int digits = format == Format::kCsv ? 17 : 4;
  internal::Rows rows;
  for (const CurveFit& f : fits) {
    std::vector<std::string> r = internal::KeyCells(f.key, columns);
    r.push_back(absl::StrCat(f.points));
    for (double v :
         {f.slope, f.slope_se, f.slope_ci_lo, f.slope_ci_hi, f.intercept, f.intercept_se, f.r2}) {
      r.push_back(FormatDouble(v, digits));
    }
    r.push_back(f.n_at_eps ? absl::StrCat(*f.n_at_eps) : "");
    rows.push_back(r);
  }
  return fixed + internal::Render(format, header, rows);
}

}  // namespace sweep::client
