// `sweep results --fit`: the log-log line of a curve against closed forms.
#include "client/fit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "tests/testing/status_matchers.h"

namespace sweep::client {
namespace {

using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;

CurveGroup PowerLaw(double c, double slope, const std::vector<int>& ns,
                    const std::vector<double>& noise = {}) {
  CurveGroup g;
  g.key = {{"model", "\"mamba\""}};
  for (size_t i = 0; i < ns.size(); ++i) {
    CurvePoint p;
    p.n = ns[i];
    p.nmse_mean = c * std::pow(ns[i], slope) * std::exp(noise.empty() ? 0.0 : noise[i]);
    g.points.push_back(p);
  }
  return g;
}

TEST(FitTest, ExactPowerLawIsRecovered) {
  // nmse = 2 n^-0.5 on n = 1..40: slope -0.5, intercept ln 2, no residual.
  std::vector<int> ns;
  for (int n = 0; n <= 40; ++n) ns.push_back(n);  // n = 0 is skipped (log 0)
  const CurveFit f = FitCurve(PowerLaw(2.0, -0.5, ns), FitRange{}, 0.5);
  EXPECT_EQ(f.points, 40);
  EXPECT_NEAR(f.slope, -0.5, 1e-12);
  EXPECT_NEAR(f.intercept, std::log(2.0), 1e-12);
  EXPECT_NEAR(f.slope_se, 0.0, 1e-12);
  EXPECT_NEAR(f.r2, 1.0, 1e-12);
  // 2 n^-0.5 <= 0.5 first at n = 16.
  ASSERT_TRUE(f.n_at_eps.has_value());
  EXPECT_EQ(*f.n_at_eps, 16);
}

TEST(FitTest, StandardErrorsMatchTheClosedForm) {
  // Three points, x = ln 1, ln e, ln e^2 = 0, 1, 2 (n rounded, so use exact logs via
  // noise): y = 1 - x + (+0.1, -0.2, +0.1). OLS: slope -1, intercept 1, residuals
  // (0.1, -0.2, 0.1), SSE 0.06, s^2 = 0.06, Sxx = 2, se(slope) = sqrt(0.03),
  // se(intercept) = sqrt(0.06 (1/3 + 1/2)); t(0.975, 1) = 12.7062.
  CurveGroup g;
  const double xs[] = {0, 1, 2}, noise[] = {0.1, -0.2, 0.1};
  for (int i = 0; i < 3; ++i) {
    CurvePoint p;
    p.n = static_cast<int>(std::lround(std::exp(xs[i])));  // 1, 3, 7: the fit uses ln n
    p.nmse_mean = std::exp(1.0 - std::log(double(p.n)) + noise[i]);
    g.points.push_back(p);
  }
  const CurveFit f = FitCurve(g, FitRange{}, 0.5);
  // With x = ln n for n = 1, 3, 7 the closed form is computed directly:
  const double x[] = {0, std::log(3.0), std::log(7.0)};
  const double mx = (x[0] + x[1] + x[2]) / 3;
  double sxx = 0;
  for (double v : x) sxx += (v - mx) * (v - mx);
  const double s2 = 0.06 / 1;  // the residuals are the noise: y = 1 - x + noise
  EXPECT_NEAR(f.slope, -1.0 + (0.1 * (x[0] - mx) - 0.2 * (x[1] - mx) + 0.1 * (x[2] - mx)) / sxx,
              1e-12);
  EXPECT_EQ(f.points, 3);
  EXPECT_GT(f.slope_se, 0);
  EXPECT_LT(f.slope_se, std::sqrt(s2 / sxx) + 1e-12);  // residuals shrink by the fit
  EXPECT_NEAR(f.slope_ci_hi - f.slope, 12.7062047361747 * f.slope_se, 1e-9);
}

TEST(FitTest, RangeSelectsPointsAndTooFewPointsGiveNaN) {
  const CurveGroup g = PowerLaw(1.0, -1.0, {1, 2, 4, 8, 16, 32});
  const CurveFit f = FitCurve(g, FitRange{4, 16}, 0.5);
  EXPECT_EQ(f.points, 3);
  EXPECT_NEAR(f.slope, -1.0, 1e-12);
  const CurveFit two = FitCurve(g, FitRange{4, 8}, 0.5);
  EXPECT_EQ(two.points, 2);
  EXPECT_NEAR(two.slope, -1.0, 1e-12);
  EXPECT_TRUE(std::isnan(two.slope_se));  // no degrees of freedom left
  const CurveFit one = FitCurve(g, FitRange{32, 64}, 0.5);
  EXPECT_TRUE(std::isnan(one.slope));
}

TEST(FitTest, ParseFitRangeNamesTheFlag) {
  EXPECT_EQ(ParseFitRange("5:40")->lo, 5);
  EXPECT_EQ(ParseFitRange("5:40")->hi, 40);
  EXPECT_EQ(ParseFitRange(":40")->lo, 1);
  EXPECT_EQ(ParseFitRange("5:")->hi, INT_MAX);
  EXPECT_THAT(ParseFitRange("40:5"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--fit-range")));
  EXPECT_THAT(ParseFitRange("0:5"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("LO must be")));
  EXPECT_THAT(ParseFitRange("5"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected LO:HI")));
}

TEST(FitTest, CsvHasTheFitColumns) {
  const std::string csv =
      FormatFits({FitCurve(PowerLaw(1.0, -1.0, {1, 2, 4}), FitRange{}, 0.3)}, Format::kCsv);
  EXPECT_THAT(csv, ::testing::StartsWith("model,points,slope,slope_se,slope_ci_lo,slope_ci_hi,"
                                         "intercept,intercept_se,r2,n_at_eps\n"));
  EXPECT_THAT(csv, HasSubstr("mamba,3,-1,"));
  EXPECT_THAT(csv, ::testing::EndsWith(",4\n"));  // 1/4 <= 0.3 first at n = 4
}

}  // namespace
}  // namespace sweep::client
