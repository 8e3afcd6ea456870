#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"
#include "worker/numerics/eval.h"

namespace sweep::numerics {
namespace {

using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;

TEST(EvalAccumulatorTest, MseStandardErrorAndNmseAcrossChunks) {
  EvalAccumulator acc({2, 5}, /*ey2=*/2.0);
  // Squared errors for n = 2: 1, 4, 9, 16 (two chunks); for n = 5: 0 everywhere.
  Eigen::MatrixXd pred(2, 2), target = Eigen::MatrixXd::Zero(2, 2);
  pred << 1, 2, 0, 0;
  acc.Add(pred, target);
  pred << 3, -4, 0, 0;
  acc.Add(pred, target);
  const std::vector<EvalPoint> curve = acc.Curve();
  ASSERT_EQ(curve.size(), 2u);
  EXPECT_EQ(curve[0].n, 2);
  EXPECT_DOUBLE_EQ(curve[0].mse, 7.5);
  // sample variance of {1, 4, 9, 16} = 129 / 3 = 43, se = sqrt(43 / 4)
  EXPECT_NEAR(curve[0].se, std::sqrt(43.0 / 4), 1e-12);
  EXPECT_DOUBLE_EQ(curve[0].nmse, 3.75);
  EXPECT_EQ(curve[1].mse, 0.0);
  EXPECT_EQ(curve[1].se, 0.0);
}

TEST(FillSummaryTest, SummaryIsAtTheLargestLengthAndNAtEpsIsTheFirstBelow) {
  const std::vector<EvalPoint> curve = {
      {8, 1.0, 0.1, 0.9}, {16, 0.5, 0.1, 0.45}, {32, 0.6, 0.1, 0.48}};
  JobResult r;
  FillSummary(curve, 0.5, r);
  EXPECT_EQ(r.curve, curve);
  EXPECT_DOUBLE_EQ(r.mse, 0.6);
  EXPECT_DOUBLE_EQ(r.nmse, 0.48);
  EXPECT_EQ(r.n_at_eps, 16);
  FillSummary(curve, 0.1, r);
  EXPECT_FALSE(r.n_at_eps.has_value());
}

JobConfig EvalConfig() {
  JobConfig c;
  c.model = ModelKind::kKrr;
  c.d = 4, c.r = 2, c.N = 10, c.eval_tasks = 450, c.eval_lengths = {0, 5, 10};
  return c;
}

TEST(EvaluateTest, ZeroPredictorGivesNmseNearOneAndSeesEveryPrompt) {
  const JobConfig c = EvalConfig();
  absl::StatusOr<TaskSampler> s = TaskSampler::FromConfig(c);
  ASSERT_TRUE(s.ok());
  int seen = 0;
  auto zero = [&](const PromptBatch& prompts, const std::vector<int>& lengths,
                  Eigen::MatrixXd& pred) {
    EXPECT_EQ(lengths, c.eval_lengths);
    seen += prompts.count;
    pred.setZero();
    return absl::OkStatus();
  };
  absl::StatusOr<std::vector<EvalPoint>> curve = Evaluate(c, *s, zero, {});
  ASSERT_TRUE(curve.ok());
  EXPECT_EQ(seen, 450);
  for (const EvalPoint& pt : *curve) EXPECT_NEAR(pt.nmse, 1.0, 5 * pt.se / s->SecondMoment());
}

// docs/science.md section 4: the summary is at n = N, so N is evaluated even when the
// configured lengths stop short of it (the summary used to be read at their last entry).
TEST(EvaluateTest, SummaryIsAtNEvenWhenTheLengthsOmitIt) {
  JobConfig c = EvalConfig();
  c.eval_lengths = {0, 5};
  EXPECT_EQ(EvaluatedLengths(c), (std::vector<int>{0, 5, 10}));
  absl::StatusOr<TaskSampler> s = TaskSampler::FromConfig(c);
  ASSERT_TRUE(s.ok());
  // Predicts 0 with fewer than N examples and the query label with N: nmse 0 only at N.
  auto oracle_at_n = [&](const PromptBatch& prompts, const std::vector<int>& lengths,
                         Eigen::MatrixXd& pred) {
    for (size_t i = 0; i < lengths.size(); ++i) {
      for (int p = 0; p < prompts.count; ++p) {
        pred(i, p) = lengths[i] == prompts.N ? prompts.QueryY(p) : 0.0;
      }
    }
    return absl::OkStatus();
  };
  absl::StatusOr<std::vector<EvalPoint>> curve = Evaluate(c, *s, oracle_at_n, {});
  ASSERT_TRUE(curve.ok());
  ASSERT_EQ(curve->size(), 3u);
  JobResult r;
  FillSummary(*curve, 0.5, r);
  EXPECT_EQ(r.curve.back().n, 10);
  EXPECT_EQ(r.nmse, 0.0);
  EXPECT_EQ(r.n_at_eps, 10);
  c.eval_lengths = {0, 5, 10};
  EXPECT_EQ(EvaluatedLengths(c), c.eval_lengths);
}

TEST(EvaluateTest, RejectsBadLengthsAndPropagatesPredictorErrors) {
  JobConfig c = EvalConfig();
  absl::StatusOr<TaskSampler> s = TaskSampler::FromConfig(c);
  ASSERT_TRUE(s.ok());
  auto fail = [](const PromptBatch&, const std::vector<int>&, Eigen::MatrixXd&) {
    return absl::InternalError("boom");
  };
  EXPECT_THAT(Evaluate(c, *s, fail, {}), StatusIs(absl::StatusCode::kInternal, HasSubstr("boom")));
  c.eval_lengths = {5, 11};
  EXPECT_THAT(Evaluate(c, *s, fail, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("eval_lengths")));
  c.eval_lengths = {5, 5};
  EXPECT_THAT(Evaluate(c, *s, fail, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ascending")));
}

}  // namespace
}  // namespace sweep::numerics
