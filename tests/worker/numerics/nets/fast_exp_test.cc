// The scan's exp for non-positive floats against the C library's double exp: a few ulps
// everywhere on [-87, 0], clamped (not NaN, not 0) below.
#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "worker/numerics/nets/fast_exp.h"

namespace sweep::numerics::nets {
namespace {

TEST(FastExpTest, WithinAFewUlpsOnTheWholeRange) {
  std::vector<float> x;
  for (double v = 0; v >= -87.0; v -= 1.7e-4) x.push_back(float(v));
  for (float v : {0.0f, -0.0f, -1e-30f, -1e-7f, -0.34657f, -0.34658f, -1.0f, -86.999f}) {
    x.push_back(v);
  }
  std::vector<float> y(x.size());
  ExpNonPositive(int(x.size()), x.data(), y.data());
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = std::exp(double(x[i]));
    worst = std::max(worst, std::abs(double(y[i]) - want) / want);
  }
  EXPECT_LT(worst, 2e-7);            // FLT_EPSILON = 1.19e-7: under two ulps of the true value
  EXPECT_EQ(y[x.size() - 8], 1.0f);  // exp(0) is exactly 1
}

TEST(FastExpTest, ClampsFarNegativeInputsToATinyNormalFloat) {
  const float x[3] = {-88.0f, -1e4f, -INFINITY};
  float y[3];
  ExpNonPositive(3, x, y);
  for (float v : y) {
    EXPECT_GT(v, 0.0f);
    EXPECT_LT(v, 2e-38f);
    EXPECT_TRUE(std::isnormal(v));
  }
}

}  // namespace
}  // namespace sweep::numerics::nets
