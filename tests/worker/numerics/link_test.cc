#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>
#include <Eigen/Core>

#include "common/link_expr.h"
#include "worker/numerics/link.h"
#include "worker/numerics/normal.h"

namespace sweep::numerics {
namespace {

TEST(HermiteTest, MatchesExplicitPolynomials) {
  for (double z : {-2.5, -0.3, 0.0, 1.1, 3.0}) {
    EXPECT_DOUBLE_EQ(Hermite(0, z), 1.0);
    EXPECT_DOUBLE_EQ(Hermite(1, z), z);
    EXPECT_NEAR(Hermite(2, z), (z * z - 1) / std::sqrt(2.0), 1e-12);
    EXPECT_NEAR(Hermite(3, z), (z * z * z - 3 * z) / std::sqrt(6.0), 1e-12);
    EXPECT_NEAR(Hermite(4, z), (std::pow(z, 4) - 6 * z * z + 3) / std::sqrt(24.0), 1e-12);
  }
}

TEST(HermiteTest, OrthonormalUnderGaussianByMonteCarlo) {
  // E[h_j h_k] = delta_jk for z ~ N(0, 1); check within 5 standard errors.
  constexpr int kDraws = 400000, kMaxK = 4;
  TaskRng rng(7);
  ZigguratNormal normal;
  Eigen::MatrixXd sum = Eigen::MatrixXd::Zero(kMaxK + 1, kMaxK + 1), sum_sq = sum;
  Eigen::VectorXd h(kMaxK + 1);
  for (int i = 0; i < kDraws; ++i) {
    const double z = normal(rng);
    for (int k = 0; k <= kMaxK; ++k) h(k) = Hermite(k, z);
    const Eigen::MatrixXd outer = h * h.transpose();
    sum += outer;
    sum_sq += outer.cwiseAbs2();
  }
  for (int j = 0; j <= kMaxK; ++j) {
    for (int k = 0; k <= kMaxK; ++k) {
      const double mean = sum(j, k) / kDraws;
      const double se = std::sqrt((sum_sq(j, k) / kDraws - mean * mean) / kDraws);
      EXPECT_NEAR(mean, j == k ? 1.0 : 0.0, 5 * se + 1e-12) << "E[h" << j << " h" << k << "]";
    }
  }
}

TEST(LinkTest, EvalLinkIsTheCoefficientSum) {
  absl::StatusOr<LinkExpr> link = ParseLink("0.6*h1+0.8*h3-0.5*h4");
  ASSERT_TRUE(link.ok());
  for (double z : {-1.7, 0.2, 2.4}) {
    const double want = 0.6 * Hermite(1, z) + 0.8 * Hermite(3, z) - 0.5 * Hermite(4, z);
    EXPECT_NEAR(EvalLink(*link, z), want, 1e-12);
  }
}

TEST(LinkTest, PolynomialFormAgreesWithTheRecurrence) {
  absl::StatusOr<LinkExpr> link = ParseLink("0.3*h0-h2+0.7*h5+0.2*h8");
  ASSERT_TRUE(link.ok());
  const LinkPolynomial poly = ToPolynomial(*link);
  Eigen::ArrayXd z = Eigen::ArrayXd::LinSpaced(41, -6.0, 6.0), g(41);
  EvalLink(poly, z, g);
  for (Eigen::Index i = 0; i < z.size(); ++i) {
    const double want = EvalLink(*link, z(i));
    EXPECT_NEAR(g(i), want, 1e-10 * (1 + std::abs(want))) << "z = " << z(i);
  }
}

// Both entry points (one draw, and block Fill) must give standard normals, including the
// tail branch: |z| > R = 3.654 has probability 2.580e-4.
class ZigguratTest : public ::testing::TestWithParam<bool> {};

TEST_P(ZigguratTest, MomentsAndTailOfAStandardNormal) {
  constexpr int kDraws = 1000000;
  TaskRng rng(11);
  ZigguratNormal normal;
  std::vector<double> z(kDraws);
  if (GetParam()) {
    normal.Fill(rng, z.data(), z.size());
  } else {
    for (double& v : z) v = normal(rng);
  }
  double m1 = 0, m2 = 0, m4 = 0;
  int beyond_r = 0;
  for (double v : z) {
    m1 += v, m2 += v * v, m4 += v * v * v * v;
    beyond_r += std::abs(v) > 3.654152885361008796;
  }
  EXPECT_NEAR(m1 / kDraws, 0.0, 5 * std::sqrt(1.0 / kDraws));
  EXPECT_NEAR(m2 / kDraws, 1.0, 5 * std::sqrt(2.0 / kDraws));
  EXPECT_NEAR(m4 / kDraws, 3.0, 5 * std::sqrt(96.0 / kDraws));
  const double expected = 2.5803e-4 * kDraws;
  EXPECT_NEAR(beyond_r, expected, 5 * std::sqrt(expected));
}

INSTANTIATE_TEST_SUITE_P(SingleAndFill, ZigguratTest, ::testing::Bool());

}  // namespace
}  // namespace sweep::numerics
