#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"
#include "worker/numerics/rng.h"
#include "worker/numerics/task.h"

namespace sweep::numerics {
namespace {

using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;

JobConfig TaskConfig(const std::string& subspace, const std::string& link = "h2") {
  JobConfig c;
  c.model = "krr";
  c.d = 10, c.r = 3, c.N = 50, c.link = link, c.tau = 0.1, c.subspace = subspace, c.seed = 5;
  return c;
}

TEST(TaskSamplerTest, RandomSubspaceIsOrthonormalAndNotAligned) {
  absl::StatusOr<TaskSampler> s = TaskSampler::FromConfig(TaskConfig("random"));
  ASSERT_TRUE(s.ok());
  const Eigen::MatrixXd& U = s->U();
  ASSERT_EQ(U.rows(), 10);
  ASSERT_EQ(U.cols(), 3);
  EXPECT_TRUE((U.transpose() * U).isApprox(Eigen::MatrixXd::Identity(3, 3), 1e-12));
  EXPECT_GT(U.bottomRows(7).norm(), 0.1);  // a random 3-plane leaks into every coordinate
}

TEST(TaskSamplerTest, AlignedSubspaceIsTheFirstCoordinates) {
  absl::StatusOr<TaskSampler> s = TaskSampler::FromConfig(TaskConfig("aligned"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->U(), Eigen::MatrixXd::Identity(10, 3));
}

TEST(TaskSamplerTest, BetaIsAUnitVectorInTheSubspace) {
  absl::StatusOr<TaskSampler> s = TaskSampler::FromConfig(TaskConfig("random"));
  ASSERT_TRUE(s.ok());
  std::mt19937_64 rng = MakeStream(1, Stream::kTrain);
  PromptBatch b;
  s->Sample(20, 8, rng, b);
  const Eigen::MatrixXd P = s->U() * s->U().transpose();
  for (int p = 0; p < b.count; ++p) {
    EXPECT_NEAR(b.beta.col(p).norm(), 1.0, 1e-12);
    EXPECT_LT((P * b.beta.col(p) - b.beta.col(p)).norm(), 1e-12);
  }
}

TEST(TaskSamplerTest, LabelsFollowTheLinkPlusNoise) {
  absl::StatusOr<TaskSampler> s = TaskSampler::FromConfig(TaskConfig("aligned", "h1"));
  ASSERT_TRUE(s.ok());
  std::mt19937_64 rng(3);
  PromptBatch b;
  s->Sample(4, 30, rng, b);
  for (int p = 0; p < b.count; ++p) {
    for (int j = 0; j <= b.N; ++j) {
      const double z = b.beta.col(p).dot(b.x.col(b.Col(p, j)));
      EXPECT_NEAR(std::abs(b.y(b.Col(p, j)) - z), 0.1, 1e-12);  // zeta = +-tau
    }
  }
}

TEST(TaskSamplerTest, SecondMomentMatchesTheAnalyticValue) {
  JobConfig c = TaskConfig("random", "0.5*h0+0.6*h1+0.8*h3");
  c.tau = 0.3;
  absl::StatusOr<TaskSampler> s = TaskSampler::FromConfig(c);
  ASSERT_TRUE(s.ok());
  EXPECT_NEAR(s->SecondMoment(), 0.25 + 0.36 + 0.64 + 0.09, 1e-12);
  std::mt19937_64 rng(9);
  PromptBatch b;
  s->Sample(200, 499, rng, b);
  const Eigen::ArrayXd y2 = b.y.array().square();
  const double mean = y2.mean();
  const double se = std::sqrt((y2 - mean).square().mean() / double(y2.size()));
  EXPECT_NEAR(mean, s->SecondMoment(), 5 * se);
}

TEST(TaskSamplerTest, SameSeedGivesIdenticalDataAndStreamsDiffer) {
  const JobConfig c = TaskConfig("random");
  absl::StatusOr<TaskSampler> s1 = TaskSampler::FromConfig(c), s2 = TaskSampler::FromConfig(c);
  ASSERT_TRUE(s1.ok() && s2.ok());
  EXPECT_EQ(s1->U(), s2->U());
  std::mt19937_64 a = MakeStream(c.seed, Stream::kTrain), b = MakeStream(c.seed, Stream::kTrain);
  std::mt19937_64 e = MakeStream(c.seed, Stream::kEval);
  PromptBatch pa, pb, pe;
  s1->Sample(50, 40, a, pa);
  s2->Sample(50, 40, b, pb);
  s1->Sample(50, 40, e, pe);
  EXPECT_EQ(pa.x, pb.x);
  EXPECT_EQ(pa.y, pb.y);
  // Independent streams: the correlation of their x entries is O(1/sqrt(size)).
  const Eigen::ArrayXd xa = pa.x.reshaped().array(), xe = pe.x.reshaped().array();
  const double corr = (xa * xe).mean() / std::sqrt(xa.square().mean() * xe.square().mean());
  EXPECT_LT(std::abs(corr), 5.0 / std::sqrt(double(xa.size())));
}

TEST(TaskSamplerTest, DifferentSeedsGiveDifferentSubspaces) {
  JobConfig c = TaskConfig("random");
  absl::StatusOr<TaskSampler> s1 = TaskSampler::FromConfig(c);
  c.seed = 6;
  absl::StatusOr<TaskSampler> s2 = TaskSampler::FromConfig(c);
  ASSERT_TRUE(s1.ok() && s2.ok());
  EXPECT_GT((s1->U() - s2->U()).norm(), 0.1);
}

TEST(TaskSamplerTest, InactiveCoordinatesAreZeroAndLabelsUseTheZeroedInputs) {
  absl::StatusOr<TaskSampler> s = TaskSampler::FromConfig(TaskConfig("random", "h1"));
  ASSERT_TRUE(s.ok());
  std::mt19937_64 rng(4);
  PromptBatch b;
  s->Sample(3, 10, rng, b, /*d_active=*/4);
  EXPECT_EQ(b.x.bottomRows(6).norm(), 0.0);
  EXPECT_GT(b.x.topRows(4).norm(), 0.0);
  const double z = b.beta.col(1).dot(b.x.col(b.Col(1, 2)));
  EXPECT_NEAR(std::abs(b.y(b.Col(1, 2)) - z), 0.1, 1e-12);
}

TEST(TaskSpecTest, RejectsBadTaskKeysNamingTheKey) {
  JobConfig c = TaskConfig("aligned");
  c.r = 11;
  EXPECT_THAT(TaskSpecFromConfig(c), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("r:")));
  c = TaskConfig("diagonal");
  EXPECT_THAT(TaskSpecFromConfig(c),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("subspace")));
  c = TaskConfig("aligned", "h2+x3");
  EXPECT_THAT(TaskSpecFromConfig(c), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("x3")));
  c = TaskConfig("aligned");
  c.tau = -1;
  EXPECT_THAT(TaskSpecFromConfig(c), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tau")));
}

}  // namespace
}  // namespace sweep::numerics
