// The nets' float exps against the C library's double exp and exp2: the scan's 2^x
// (x <= 0) within an ulp on [-126, 0], the SiLU's and softplus' e^x within a few on
// [-87, 88]; both clamped (not 0, not inf) outside.
#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "worker/numerics/nets/fast_exp.h"

namespace sweep::numerics::nets {
namespace {

TEST(FastExpTest, Exp2WithinAnUlpOnTheWholeRange) {
  std::vector<float> x;
  for (double v = 0; v >= -126.0; v -= 2.3e-4) x.push_back(float(v));
  for (float v : {0.0f, -0.0f, -1e-30f, -1e-7f, -0.5f, -0.49999997f, -0.50000006f, -1.5f,
                  -2.5f, -125.999f, -126.0f}) {
    x.push_back(v);
  }
  double worst = 0;
  for (float v : x) {
    const double want = std::exp2(double(v));
    worst = std::max(worst, std::abs(double(Exp2NonPositiveOne(v)) - want) / want);
  }
  EXPECT_LT(worst, 1.2e-7);  // FLT_EPSILON = 1.19e-7: within one ulp of the true value
  EXPECT_EQ(Exp2NonPositiveOne(0.0f), 1.0f);
  EXPECT_EQ(Exp2NonPositiveOne(-1.0f), 0.5f);
  EXPECT_EQ(Exp2NonPositiveOne(-126.0f), 0x1p-126f);
  // A loop GCC vectorises and single calls give the same bits.
  std::vector<float> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = Exp2NonPositiveOne(x[i]);
  for (size_t i = 0; i < x.size(); i += 997) EXPECT_EQ(y[i], Exp2NonPositiveOne(x[i])) << x[i];
}

TEST(FastExpTest, Exp2ClampsFarNegativeInputsToATinyNormalFloat) {
  for (float v : {-126.5f, -1e4f, -3e38f, -INFINITY}) {
    const float y = Exp2NonPositiveOne(v);
    EXPECT_GT(y, 0.0f) << v;
    EXPECT_LT(y, 2e-38f) << v;
    EXPECT_TRUE(std::isnormal(y)) << v;
  }
  EXPECT_TRUE(std::isnan(Exp2NonPositiveOne(NAN)));
}

TEST(FastExpTest, GeneralExpWithinAFewUlpsFromMinus87To88) {
  double worst = 0;
  std::vector<float> x;
  for (double v = -87.0; v <= 88.0; v += 1.3e-4) x.push_back(float(v));
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-7f, 0.34657f, 0.34658f, -0.34658f, 1.0f,
                  87.999f}) {
    x.push_back(v);
  }
  for (float v : x) {
    const double want = std::exp(double(v));
    worst = std::max(worst, std::abs(double(ExpOne(v)) - want) / want);
  }
  EXPECT_LT(worst, 2e-7);
  EXPECT_EQ(ExpOne(0.0f), 1.0f);
  // A loop GCC vectorises and single calls give the same bits.
  std::vector<float> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = ExpOne(x[i]);
  for (size_t i = 0; i < x.size(); i += 997) EXPECT_EQ(y[i], ExpOne(x[i])) << x[i];
}

TEST(FastExpTest, GeneralExpClampsToFiniteNormalValues) {
  for (float v : {88.5f, 1e4f, 3e38f, INFINITY}) {
    EXPECT_GT(ExpOne(v), 1e38f) << v;
    EXPECT_TRUE(std::isfinite(1.0f + ExpOne(v))) << v;  // the SiLU's 1 + e^-x
  }
  for (float v : {-88.0f, -1e4f, -3e38f, -INFINITY}) {
    EXPECT_GT(ExpOne(v), 0.0f) << v;
    EXPECT_LT(ExpOne(v), 2e-38f) << v;
    EXPECT_TRUE(std::isnormal(ExpOne(v))) << v;
  }
}

}  // namespace
}  // namespace sweep::numerics::nets
