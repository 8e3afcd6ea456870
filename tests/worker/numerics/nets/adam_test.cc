// Optimiser pieces against closed forms: Adam's bias-corrected first steps, global-norm
// clipping, and the warmup / cosine schedule.
#include <cmath>
#include <numbers>

#include "gtest/gtest.h"
#include "worker/numerics/nets/adam.h"

namespace sweep::numerics::nets {
namespace {

TEST(AdamTest, FirstStepsMatchTheClosedForm) {
  ParamSet<double> params;
  Param<double>* p = params.Add("w", 2, 1);
  p->w << 1.0, -2.0;
  Adam<double> adam(params);
  p->g << 0.5, -4.0;
  adam.Step(0.1);
  // Step 1: m_hat = g, v_hat = g^2, so the update is lr * g / (|g| + eps) ~ lr * sign(g).
  EXPECT_NEAR(p->w(0), 1.0 - 0.1 * 0.5 / (0.5 + 1e-8), 1e-12);
  EXPECT_NEAR(p->w(1), -2.0 + 0.1, 1e-9);
  p->g << 0.5, 0.0;
  adam.Step(0.1);
  // Step 2, second coordinate: m = 0.9 * 0.1 * (-4), v = 0.999 * 0.001 * 16.
  const double m = 0.9 * 0.1 * -4.0, v = 0.999 * 0.001 * 16.0;
  const double m_hat = m / (1 - 0.81), v_hat = v / (1 - 0.999 * 0.999);
  EXPECT_NEAR(p->w(1), -1.9 - 0.1 * m_hat / (std::sqrt(v_hat) + 1e-8), 1e-9);
}

TEST(AdamTest, ClipScalesToTheGlobalNorm) {
  ParamSet<double> params;
  params.Add("a", 1, 1)->g << 3.0;
  params.Add("b", 1, 1)->g << 4.0;
  EXPECT_DOUBLE_EQ(ClipGradNorm(params, 1.0), 5.0);  // returns the norm before clipping
  EXPECT_DOUBLE_EQ(params.all()[0].g(0), 0.6);
  EXPECT_DOUBLE_EQ(params.all()[1].g(0), 0.8);
  EXPECT_DOUBLE_EQ(ClipGradNorm(params, 2.0), 1.0);  // under the limit: unchanged
  EXPECT_DOUBLE_EQ(params.all()[1].g(0), 0.8);
}

TEST(AdamTest, WarmupThenCosine) {
  EXPECT_DOUBLE_EQ(ScheduledLr(1.0, 0, 100, 10, false), 0.1);
  EXPECT_DOUBLE_EQ(ScheduledLr(1.0, 9, 100, 10, false), 1.0);
  EXPECT_DOUBLE_EQ(ScheduledLr(1.0, 50, 100, 10, false), 1.0);
  EXPECT_DOUBLE_EQ(ScheduledLr(1.0, 10, 100, 10, true), 1.0);
  EXPECT_NEAR(ScheduledLr(1.0, 99, 100, 10, true), 0.0, 1e-12);
  EXPECT_NEAR(ScheduledLr(1.0, 54, 100, 10, true), 0.5 * (1 + std::cos(std::numbers::pi * 44 / 89)),
              1e-12);
}

}  // namespace
}  // namespace sweep::numerics::nets
