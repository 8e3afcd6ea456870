#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "worker/numerics/krr.h"
#include "worker/numerics/krr_job.h"

namespace sweep::numerics {
namespace {

// Brute-force LOO residual: refit without example i and predict it.
double BruteForceLoo(const KrrOptions& options, const Eigen::MatrixXd& F, const Eigen::VectorXd& y,
                     int i, double lambda) {
  const Eigen::Index n = F.cols();
  Eigen::MatrixXd Fi(F.rows(), n - 1);
  Eigen::VectorXd yi(n - 1);
  for (Eigen::Index j = 0, k = 0; j < n; ++j) {
    if (j == i) continue;
    Fi.col(k) = F.col(j), yi(k++) = y(j);
  }
  Eigen::MatrixXd K, kq;
  KernelMatrix(options, Fi, Fi, K);
  K.diagonal().array() += lambda;
  const Eigen::VectorXd alpha = K.ldlt().solve(yi);
  KernelMatrix(options, F.col(i), Fi, kq);
  return y(i) - (kq * alpha)(0);
}

class KrrLooTest : public ::testing::TestWithParam<KernelKind> {};

TEST_P(KrrLooTest, ClosedFormEqualsRefittingWithoutEachPoint) {
  TaskRng rng(2);
  std::normal_distribution<double> normal;
  Eigen::MatrixXd F(3, 25);
  Eigen::VectorXd y(25);
  for (Eigen::Index j = 0; j < F.cols(); ++j) {
    for (int i = 0; i < 3; ++i) F(i, j) = normal(rng);
    y(j) = F(0, j) * F(1, j) + 0.1 * normal(rng);
  }
  KrrOptions options;
  options.kernel = GetParam();
  options.poly_degree = 3;
  KrrFitter fitter(options);
  fitter.Fit(F, y);
  for (double lambda : {1e-3, 1e-1, 10.0}) {
    const Eigen::VectorXd loo = fitter.LooResiduals(lambda);
    for (int i = 0; i < 25; ++i) {
      EXPECT_NEAR(loo(i), BruteForceLoo(options, F, y, i, lambda), 1e-6 * (1 + std::abs(loo(i))))
          << "lambda " << lambda << " i " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, KrrLooTest,
                         ::testing::Values(KernelKind::kRbf, KernelKind::kPoly));

TEST(KrrTest, KernelsFollowScienceDefinitions) {
  Eigen::MatrixXd A(2, 1), B(2, 1);
  A << 1, 2;
  B << 0, 1;
  Eigen::MatrixXd K;
  KrrOptions rbf;
  KernelMatrix(rbf, A, B, K);
  EXPECT_NEAR(K(0, 0), std::exp(-2.0 / (2 * 2)), 1e-12);  // |a-b|^2 = 2, ell^2 = dim = 2
  KrrOptions poly;
  poly.kernel = KernelKind::kPoly;
  poly.poly_degree = 3;
  KernelMatrix(poly, A, B, K);
  EXPECT_NEAR(K(0, 0), std::pow(1 + 2.0 / 2, 3), 1e-12);
}

TEST(KrrTest, PicksTheLambdaWithTheSmallestLooError) {
  TaskRng rng(8);
  std::normal_distribution<double> normal;
  Eigen::MatrixXd F(2, 40);
  Eigen::VectorXd y(40);
  for (Eigen::Index j = 0; j < 40; ++j) {
    F(0, j) = normal(rng), F(1, j) = normal(rng);
    y(j) = 3.0 * normal(rng);  // pure noise: heavy ridge predicts best
  }
  KrrFitter fitter(KrrOptions{});
  fitter.Fit(F, y);
  double best = 1e300;
  for (double lambda : KrrOptions{}.lambdas)
    best = std::min(best, fitter.LooResiduals(lambda).squaredNorm());
  EXPECT_DOUBLE_EQ(fitter.LooResiduals(fitter.lambda()).squaredNorm(), best);
  EXPECT_GE(fitter.lambda(), 1.0);
}

TEST(KrrJobTest, IntrinsicFeaturesBeatAmbientOnALowDimensionalTarget) {
  JobConfig c;
  c.model = ModelKind::kKrr, c.d = 12, c.r = 1, c.N = 80, c.link = "h2", c.tau = 0.1, c.seed = 3;
  c.format = PromptFormat::kPaired, c.eval_tasks = 200, c.eval_lengths = {20, 80};
  c.features = Features::kAmbient;
  absl::StatusOr<JobResult> ambient = RunKrrJob(c, {});
  c.features = Features::kIntrinsic;
  absl::StatusOr<JobResult> intrinsic = RunKrrJob(c, {});
  ASSERT_TRUE(ambient.ok() && intrinsic.ok());
  EXPECT_LT(intrinsic->nmse + 3 * intrinsic->curve.back().se / intrinsic->ey2, ambient->nmse);
  EXPECT_LT(intrinsic->nmse, 0.5);
}

// `threads: k` splits the eval prompts over k threads: the same floats for k = 1, 2, 3
// (docs/science.md section 5), for both feature sets.
TEST(KrrJobTest, MetricsAreBitIdenticalForOneTwoAndThreeThreads) {
  for (Features features : {Features::kAmbient, Features::kIntrinsic}) {
    JobConfig c;
    c.model = ModelKind::kKrr, c.d = 6, c.r = 2, c.N = 24, c.link = "h2", c.tau = 0.1;
    c.seed = 5, c.format = PromptFormat::kPaired, c.eval_tasks = 250;  // 2 chunks, uneven
    c.eval_lengths = {0, 3, 12, 24}, c.features = features;
    absl::StatusOr<JobResult> one = RunKrrJob(c, {});
    ASSERT_TRUE(one.ok()) << one.status();
    one->eval_seconds = 0;
    for (int k : {2, 3}) {
      c.threads = k;
      absl::StatusOr<JobResult> other = RunKrrJob(c, {});
      ASSERT_TRUE(other.ok()) << other.status();
      other->eval_seconds = 0;
      EXPECT_EQ(*other, *one) << "threads " << k;
    }
  }
}

}  // namespace
}  // namespace sweep::numerics
