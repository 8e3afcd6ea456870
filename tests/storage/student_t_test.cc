// t_{0.975, dof} against published two-sided 95% table values (e.g. NIST/SEMATECH
// e-Handbook of Statistical Methods, table 1.3.6.7.2), and the interval built on it.
#include "storage/student_t.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sweep::storage {
namespace {

using ::testing::DoubleNear;

TEST(StudentTTest, QuantileMatchesPublishedTable) {
  EXPECT_THAT(StudentT975(1), DoubleNear(12.706, 5e-4));  // count 2
  EXPECT_THAT(StudentT975(2), DoubleNear(4.303, 5e-4));   // count 3
  EXPECT_THAT(StudentT975(4), DoubleNear(2.776, 5e-4));   // count 5
  EXPECT_THAT(StudentT975(9), DoubleNear(2.262, 5e-4));   // count 10
  EXPECT_THAT(StudentT975(29), DoubleNear(2.045, 5e-4));
  EXPECT_THAT(StudentT975(100), DoubleNear(1.984, 5e-4));
  EXPECT_THAT(StudentT975(1'000'000), DoubleNear(1.95996, 1e-4));         // the normal limit
  EXPECT_THAT(StudentT975(1), DoubleNear(std::tan(0.475 * M_PI), 1e-9));  // Cauchy, exactly
}

TEST(StudentTTest, UndefinedBelowOneDegreeOfFreedom) {
  EXPECT_TRUE(std::isnan(StudentT975(0)));
  EXPECT_TRUE(std::isnan(StudentT975(-3)));
}

TEST(StudentTTest, IntervalIsMeanPlusMinusTTimesSe) {
  const Interval ci = ConfidenceInterval95(3, 10.0, 2.0);
  EXPECT_THAT(ci.lo, DoubleNear(10.0 - 2.0 * 4.302653, 1e-5));
  EXPECT_THAT(ci.hi, DoubleNear(10.0 + 2.0 * 4.302653, 1e-5));
  const Interval one = ConfidenceInterval95(1, 10.0, std::nan(""));
  EXPECT_TRUE(std::isnan(one.lo) && std::isnan(one.hi));
  const Interval bad = ConfidenceInterval95(4, std::nan(""), 1.0);  // a NaN seed
  EXPECT_TRUE(std::isnan(bad.lo) && std::isnan(bad.hi));
}

}  // namespace
}  // namespace sweep::storage
