// `threads: k` for mamba-theory: whole jobs give the same floats for k = 1, 2, 3 (every
// field of the result, the ICL curve and the loss curve), gated and not, for a d the
// vectorised kernels take (16) and one they do not (5), with batches that do not divide
// into whole chunks; and the kernels of theory_kernels.h against plain loops.
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/job_keys.h"
#include "worker/numerics/mamba_theory.h"
#include "worker/numerics/mamba_theory_job.h"
#include "worker/numerics/theory_kernels.h"

namespace sweep::numerics {
namespace {

JobConfig SmallTheoryJob(int d, const std::string& gate, int threads) {
  JobConfig c;
  c.model = ModelKind::kMambaTheory, c.d = d, c.r = 2, c.N = 40, c.link = "h3", c.tau = 0.1;
  c.gate = ParseEnum<Gate>(gate).value(), c.seed = 4, c.format = PromptFormat::kPaired;
  c.dtype = Dtype::kFloat64;
  // 37 prompts per step: chunks of 16, 16 and 5, drawn in parts of 18 and 19. T2 and
  // eval_tasks span two chunks of their own loops each.
  c.K1 = 7, c.T1 = 37, c.T2 = 300, c.m = 32;
  c.eval_tasks = 250, c.eval_lengths = {5, 20, 40};
  c.threads = threads;
  return c;
}

class TheoryThreadsTest : public ::testing::TestWithParam<std::tuple<int, std::string>> {};

TEST_P(TheoryThreadsTest, MetricsAreBitIdenticalForOneTwoAndThreeThreads) {
  const auto [d, gate] = GetParam();
  absl::StatusOr<JobResult> one = RunMambaTheoryJob(SmallTheoryJob(d, gate, 1), RunHooks{});
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_EQ(one->divergence, "");
  ASSERT_EQ(one->loss_curve.size(), 1u);
  one->train_seconds = one->eval_seconds = 0;
  for (int k : {2, 3}) {
    absl::StatusOr<JobResult> other = RunMambaTheoryJob(SmallTheoryJob(d, gate, k), RunHooks{});
    ASSERT_TRUE(other.ok()) << other.status();
    other->train_seconds = other->eval_seconds = 0;
    EXPECT_EQ(*other, *one) << "threads " << k;  // every field, curves as exact doubles
    ASSERT_EQ(other->curve.size(), one->curve.size());
    for (size_t i = 0; i < one->curve.size(); ++i) {
      EXPECT_EQ(other->curve[i].mse, one->curve[i].mse) << k << " " << i;
    }
    EXPECT_EQ(other->loss_curve[0].loss, one->loss_curve[0].loss) << k;
  }
}

INSTANTIATE_TEST_SUITE_P(ShapesAndGates, TheoryThreadsTest,
                         ::testing::Combine(::testing::Values(16, 5),
                                            ::testing::Values("sigmoid", "none")));

TEST(TheoryKernelsTest, OnePassProductsMatchPlainLoops) {
  std::mt19937_64 rng(8);
  std::normal_distribution<double> normal;
  for (int d : {3, 4, 8, 12, 16, 20}) {
    const int n = 37;
    std::vector<double> X(d * n), a(d), b(d), wa(n), wb(n);
    for (double& v : X) v = normal(rng);
    for (double& v : a) v = normal(rng);
    for (double& v : b) v = normal(rng);
    for (double& v : wa) v = normal(rng);
    for (double& v : wb) v = normal(rng);
    std::vector<double> qa(n), qb(n), oa(d, 7.0), ob(d, 7.0);  // 7: must be overwritten
    TwoDots(X.data(), d, n, a.data(), b.data(), qa.data(), qb.data());
    TwoAxpys(X.data(), d, n, wa.data(), wb.data(), oa.data(), ob.data());
    for (int j = 0; j < n; ++j) {
      double ra = 0, rb = 0;
      for (int c = 0; c < d; ++c) ra += X[j * d + c] * a[c], rb += X[j * d + c] * b[c];
      EXPECT_NEAR(qa[j], ra, 1e-13 * d) << "d " << d << " j " << j;
      EXPECT_NEAR(qb[j], rb, 1e-13 * d) << "d " << d << " j " << j;
    }
    for (int c = 0; c < d; ++c) {
      double ra = 0, rb = 0;
      for (int j = 0; j < n; ++j) ra += wa[j] * X[j * d + c], rb += wb[j] * X[j * d + c];
      EXPECT_NEAR(oa[c], ra, 1e-12) << "d " << d << " c " << c;
      EXPECT_NEAR(ob[c], rb, 1e-12) << "d " << d << " c " << c;
    }
  }
}

}  // namespace
}  // namespace sweep::numerics
