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

JobConfig TaskConfig(Subspace subspace, const std::string& link = "h2") {
  JobConfig c;
  c.model = ModelKind::kKrr;
  c.d = 10, c.r = 3, c.N = 50, c.link = link, c.tau = 0.1, c.subspace = subspace, c.seed = 5;
  return c;
}

TEST(TaskSamplerTest, RandomSubspaceIsOrthonormalAndNotAligned) {
  absl::StatusOr<TaskSampler> s = TaskSampler::FromConfig(TaskConfig(Subspace::kRandom));
  ASSERT_TRUE(s.ok());
  const Eigen::MatrixXd& U = s->U();
  ASSERT_EQ(U.rows(), 10);
  ASSERT_EQ(U.cols(), 3);
  EXPECT_TRUE((U.transpose() * U).isApprox(Eigen::MatrixXd::Identity(3, 3), 1e-12));
  EXPECT_GT(U.bottomRows(7).norm(), 0.1);  // a random 3-plane leaks into every coordinate
}

TEST(TaskSamplerTest, AlignedSubspaceIsTheFirstCoordinates) {
  absl::StatusOr<TaskSampler> s = TaskSampler::FromConfig(TaskConfig(Subspace::kAligned));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->U(), Eigen::MatrixXd::Identity(10, 3));
}

TEST(TaskSamplerTest, BetaIsAUnitVectorInTheSubspace) {
  absl::StatusOr<TaskSampler> s = TaskSampler::FromConfig(TaskConfig(Subspace::kRandom));
  ASSERT_TRUE(s.ok());
  TaskRng rng = MakeTaskStream(1, Stream::kTrain);
  PromptBatch b;
  s->Sample(20, 8, rng, b);
  const Eigen::MatrixXd P = s->U() * s->U().transpose();
  for (int p = 0; p < b.count; ++p) {
    EXPECT_NEAR(b.beta.col(p).norm(), 1.0, 1e-12);
    EXPECT_LT((P * b.beta.col(p) - b.beta.col(p)).norm(), 1e-12);
  }
}

TEST(TaskSamplerTest, LabelsFollowTheLinkPlusNoise) {
  absl::StatusOr<TaskSampler> s = TaskSampler::FromConfig(TaskConfig(Subspace::kAligned, "h1"));
  ASSERT_TRUE(s.ok());
  TaskRng rng(3);
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
  JobConfig c = TaskConfig(Subspace::kRandom, "0.5*h0+0.6*h1+0.8*h3");
  c.tau = 0.3;
  absl::StatusOr<TaskSampler> s = TaskSampler::FromConfig(c);
  ASSERT_TRUE(s.ok());
  EXPECT_NEAR(s->SecondMoment(), 0.25 + 0.36 + 0.64 + 0.09, 1e-12);
  TaskRng rng(9);
  PromptBatch b;
  s->Sample(200, 499, rng, b);
  const Eigen::ArrayXd y2 = b.y.array().square();
  const double mean = y2.mean();
  const double se = std::sqrt((y2 - mean).square().mean() / double(y2.size()));
  EXPECT_NEAR(mean, s->SecondMoment(), 5 * se);
}

TEST(TaskSamplerTest, SameSeedGivesIdenticalDataAndStreamsDiffer) {
  const JobConfig c = TaskConfig(Subspace::kRandom);
  absl::StatusOr<TaskSampler> s1 = TaskSampler::FromConfig(c), s2 = TaskSampler::FromConfig(c);
  ASSERT_TRUE(s1.ok() && s2.ok());
  EXPECT_EQ(s1->U(), s2->U());
  TaskRng a = MakeTaskStream(c.seed, Stream::kTrain), b = MakeTaskStream(c.seed, Stream::kTrain);
  TaskRng e = MakeTaskStream(c.seed, Stream::kEval);
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

// mamba-theory draws a batch in two parts (the second while it trains on the first):
// the parts must hold exactly the prompts of one Sample(), and the stream must end at the
// same place (the next batch is the same too).
TEST(TaskSamplerTest, SamplingInPartsGivesTheSamePromptsAsOneCall) {
  const JobConfig c = TaskConfig(Subspace::kRandom, "h3");
  absl::StatusOr<TaskSampler> s = TaskSampler::FromConfig(c);
  ASSERT_TRUE(s.ok());
  TaskRng a = MakeTaskStream(c.seed, Stream::kTrain), b = MakeTaskStream(c.seed, Stream::kTrain);
  PromptBatch whole, parts, after_a, after_b;
  s->Sample(37, 40, a, whole);
  s->Shape(37, 40, parts);
  s->SamplePrompts(0, 18, b, parts);
  s->SamplePrompts(18, 19, b, parts);
  EXPECT_EQ(parts.count, 37);
  EXPECT_EQ(parts.x, whole.x);
  EXPECT_EQ(parts.y, whole.y);
  EXPECT_EQ(parts.beta, whole.beta);
  s->Sample(5, 40, a, after_a);
  s->Sample(5, 40, b, after_b);
  EXPECT_EQ(after_a.x, after_b.x);
}

TEST(TaskSamplerTest, DifferentSeedsGiveDifferentSubspaces) {
  JobConfig c = TaskConfig(Subspace::kRandom);
  absl::StatusOr<TaskSampler> s1 = TaskSampler::FromConfig(c);
  c.seed = 6;
  absl::StatusOr<TaskSampler> s2 = TaskSampler::FromConfig(c);
  ASSERT_TRUE(s1.ok() && s2.ok());
  EXPECT_GT((s1->U() - s2->U()).norm(), 0.1);
}

TEST(TaskSamplerTest, InactiveCoordinatesAreZeroAndLabelsUseTheZeroedInputs) {
  absl::StatusOr<TaskSampler> s = TaskSampler::FromConfig(TaskConfig(Subspace::kRandom, "h1"));
  ASSERT_TRUE(s.ok());
  TaskRng rng(4);
  PromptBatch b;
  s->Sample(3, 10, rng, b, /*d_active=*/4);
  EXPECT_EQ(b.x.bottomRows(6).norm(), 0.0);
  EXPECT_GT(b.x.topRows(4).norm(), 0.0);
  const double z = b.beta.col(1).dot(b.x.col(b.Col(1, 2)));
  EXPECT_NEAR(std::abs(b.y(b.Col(1, 2)) - z), 0.1, 1e-12);
}

// x ~ N(0, I_d) through the hand-written ziggurat: moments up to the 4th, no correlation
// between coordinates, and the Gaussian tail mass beyond the ziggurat's base (|x| > 3.65).
TEST(TaskSamplerTest, InputsAreStandardGaussian) {
  absl::StatusOr<TaskSampler> s = TaskSampler::FromConfig(TaskConfig(Subspace::kAligned));
  ASSERT_TRUE(s.ok());
  TaskRng rng = MakeTaskStream(7, Stream::kTrain);
  PromptBatch b;
  s->Sample(400, 499, rng, b);  // 2,000,000 draws
  const Eigen::ArrayXd x = b.x.reshaped().array();
  const double n = double(x.size());
  EXPECT_NEAR(x.mean(), 0.0, 5 / std::sqrt(n));
  EXPECT_NEAR(x.square().mean(), 1.0, 5 * std::sqrt(2 / n));
  EXPECT_NEAR(x.cube().mean(), 0.0, 5 * std::sqrt(15 / n));
  EXPECT_NEAR(x.square().square().mean(), 3.0, 5 * std::sqrt(96 / n));
  const Eigen::MatrixXd cov = b.x * b.x.transpose() / double(b.x.cols());
  const double cov_se = std::sqrt(2 / double(b.x.cols()));
  EXPECT_LT((cov - Eigen::MatrixXd::Identity(10, 10)).cwiseAbs().maxCoeff(), 5 * cov_se);
  const double tail = (x.abs() > 3.654152885361009).cast<double>().mean();
  const double expected = std::erfc(3.654152885361009 / std::sqrt(2.0));  // 2.58e-4
  EXPECT_NEAR(tail, expected, 5 * std::sqrt(expected / n));
}

// zeta = y - g(<beta, x>) is +tau or -tau with probability 1/2 each, whatever x.
TEST(TaskSamplerTest, NoiseIsARandomSignTimesTau) {
  absl::StatusOr<TaskSampler> s = TaskSampler::FromConfig(TaskConfig(Subspace::kRandom, "h1"));
  ASSERT_TRUE(s.ok());
  TaskRng rng(12);
  PromptBatch b;
  s->Sample(100, 299, rng, b);
  Eigen::ArrayXd zeta(b.y.size());
  for (int p = 0; p < b.count; ++p) {
    for (int j = 0; j <= b.N; ++j) {
      zeta(b.Col(p, j)) = b.y(b.Col(p, j)) - b.beta.col(p).dot(b.x.col(b.Col(p, j)));
    }
  }
  const double n = double(zeta.size());
  EXPECT_NEAR((zeta > 0).cast<double>().mean(), 0.5, 5 * 0.5 / std::sqrt(n));
  // Independent of the signal: E[zeta z] = 0 (z = <beta, x> = y - zeta for h1).
  EXPECT_NEAR((zeta * (b.y.array() - zeta)).mean(), 0.0, 5 * 0.1 / std::sqrt(n));
}

// v ~ Unif(S^{r-1}): E[beta beta^T] = U U^T / r.
TEST(TaskSamplerTest, DirectionsAreUniformOnTheSubspaceSphere) {
  absl::StatusOr<TaskSampler> s = TaskSampler::FromConfig(TaskConfig(Subspace::kRandom));
  ASSERT_TRUE(s.ok());
  TaskRng rng(13);
  PromptBatch b;
  s->Sample(20000, 0, rng, b);
  const Eigen::MatrixXd v = s->U().transpose() * b.beta;  // (r, count), unit columns
  const Eigen::MatrixXd second = v * v.transpose() / double(b.count);
  EXPECT_LT((second - Eigen::MatrixXd::Identity(3, 3) / 3).cwiseAbs().maxCoeff(), 0.015);
  EXPECT_LT(v.rowwise().mean().cwiseAbs().maxCoeff(), 0.025);
}

TEST(TaskSpecTest, RejectsBadTaskKeysNamingTheKey) {
  JobConfig c = TaskConfig(Subspace::kAligned);
  c.r = 11;
  EXPECT_THAT(TaskSpecFromConfig(c), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("r:")));
  c = TaskConfig(Subspace::kAligned, "h2+x3");
  EXPECT_THAT(TaskSpecFromConfig(c), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("x3")));
  c = TaskConfig(Subspace::kAligned);
  c.tau = -1;
  EXPECT_THAT(TaskSpecFromConfig(c),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tau")));
}

}  // namespace
}  // namespace sweep::numerics
