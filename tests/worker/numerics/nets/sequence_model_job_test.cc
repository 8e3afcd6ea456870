// RunSequenceModelJob end to end on the shared task sampler and eval code: a small mamba
// learns link h1 in context, reruns are bit-identical, paired format works, bad configs
// and cancellation are reported as statuses.
#include <cmath>
#include <stop_token>

#include "common/job_keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "worker/numerics/nets/checkpoint.h"
#include "worker/numerics/nets/sequence_model_job.h"

namespace sweep::numerics::nets {
namespace {

using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;

JobConfig SmallJob(ModelKind model) {
  JobConfig c;
  c.model = model, c.d = 4, c.r = 4, c.N = 12, c.link = "h1", c.tau = 0.1, c.seed = 1;
  c.format = PromptFormat::kInterleaved, c.eval_tasks = 400;
  for (int n = 0; n <= c.N; ++n) c.eval_lengths.push_back(n);
  c.steps = 300, c.batch = 32, c.lr = 3e-3;
  c.schedule = Schedule::kConstant, c.curriculum = false;  // as before defaults version 2
  c.L = 2, c.D = 32, c.n = 8, c.expand = 2, c.H = 4;
  return c;
}

TEST(SequenceModelJobTest, MambaLearnsLinearLinkInContext) {
  const auto result = RunSequenceModelJob(SmallJob(ModelKind::kMamba), RunHooks{});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->divergence, "");
  EXPECT_NEAR(result->ey2, 1.01, 1e-12);  // c_1^2 + tau^2
  EXPECT_EQ(result->ie, 1);
  ASSERT_EQ(result->curve.size(), 13u);
  EXPECT_GT(result->curve.front().nmse, 0.7);  // no context: nothing to learn from
  EXPECT_LT(result->nmse, 0.35);               // 12 examples of a 4-dim linear task
  EXPECT_EQ(result->nmse, result->curve.back().nmse);
  ASSERT_TRUE(result->n_at_eps.has_value());
  EXPECT_EQ(result->loss_curve.back().step, 300);
  EXPECT_LT(result->loss_curve.back().loss, 0.6);  // training loss averages over n = 0..N
}

TEST(SequenceModelJobTest, SameConfigGivesBitIdenticalMetrics) {
  JobConfig c = SmallJob(ModelKind::kTransformer);
  c.steps = 40, c.eval_tasks = 50, c.curriculum = true;
  auto a = RunSequenceModelJob(c, RunHooks{});
  auto b = RunSequenceModelJob(c, RunHooks{});
  ASSERT_TRUE(a.ok() && b.ok());
  a->train_seconds = b->train_seconds = a->eval_seconds = b->eval_seconds = 0;
  EXPECT_EQ(*a, *b);
  c.seed = 2;
  auto other = RunSequenceModelJob(c, RunHooks{});
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->mse, a->mse);
}

// The checkpoint-reuse path: train, save, load, evaluate gives the job's own metrics.
TEST(SequenceModelJobTest, EvaluatingALoadedCheckpointReproducesTheJob) {
  JobConfig c = SmallJob(ModelKind::kMamba);
  c.steps = 30, c.eval_tasks = 60;
  auto job = RunSequenceModelJob(c, RunHooks{});
  ASSERT_TRUE(job.ok()) << job.status();
  auto sampler = TaskSampler::FromConfig(c);
  ASSERT_TRUE(sampler.ok());
  TrainOutcome outcome;
  auto trained = TrainSequenceModel(c, *sampler, RunHooks{}, outcome);
  ASSERT_TRUE(trained.ok()) << trained.status();
  EXPECT_EQ(outcome.loss_curve, job->loss_curve);
  auto reloaded = TrainedModel::Create(c);
  ASSERT_TRUE(reloaded.ok());
  ASSERT_THAT(LoadCheckpointWeights(SaveCheckpoint(*trained), *reloaded), ::sweep::testing::IsOk());
  auto eval = EvaluateSequenceModel(*reloaded, c, RunHooks{});
  ASSERT_TRUE(eval.ok()) << eval.status();
  EXPECT_EQ(eval->curve, job->curve);
  EXPECT_EQ(eval->n_at_eps, job->n_at_eps);
}

TEST(SequenceModelJobTest, PairedFormatEvaluatesTheListedLengths) {
  JobConfig c = SmallJob(ModelKind::kMamba);
  c.format = PromptFormat::kPaired, c.steps = 20, c.eval_tasks = 30, c.eval_lengths = {2, 6, 12};
  c.selective = false;
  const auto result = RunSequenceModelJob(c, RunHooks{});
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->curve.size(), 3u);
  EXPECT_EQ(result->curve[1].n, 6);
  EXPECT_GT(result->curve[2].mse, 0);
}

// docs/science.md sections 4 and 5: eval settings never change training, and the summary is
// at n = N even when eval_lengths stops short of it.
TEST(SequenceModelJobTest, EvalSettingsDoNotChangeTrainingAndSummaryIsAtN) {
  JobConfig c = SmallJob(ModelKind::kMamba);
  c.steps = 60, c.eval_tasks = 40;
  const auto full = RunSequenceModelJob(c, RunHooks{});
  c.eval_tasks = 250, c.eval_lengths = {0, 3};
  const auto partial = RunSequenceModelJob(c, RunHooks{});
  ASSERT_TRUE(full.ok() && partial.ok());
  EXPECT_EQ(full->loss_curve, partial->loss_curve);
  ASSERT_EQ(partial->curve.size(), 3u);
  EXPECT_EQ(partial->curve.back().n, c.N);
  EXPECT_EQ(partial->nmse, partial->curve.back().nmse);
  c.format = PromptFormat::kPaired, c.eval_lengths = {3};
  const auto paired = RunSequenceModelJob(c, RunHooks{});
  ASSERT_TRUE(paired.ok());
  ASSERT_EQ(paired->curve.size(), 2u);
  EXPECT_EQ(paired->curve.back().n, c.N);
}

// A diverged job reports like a diverged mamba-theory job: the flag, NaN metrics, no curve.
TEST(SequenceModelJobTest, DivergedJobHasNanMetrics) {
  JobConfig c = SmallJob(ModelKind::kTransformer);
  c.steps = 20, c.eval_tasks = 20, c.lr = 1e38, c.clip = 0;
  const auto result = RunSequenceModelJob(c, RunHooks{});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->divergence, HasSubstr("diverged at step"));
  EXPECT_TRUE(std::isnan(result->mse));
  EXPECT_TRUE(std::isnan(result->nmse));
  EXPECT_TRUE(result->curve.empty());
  EXPECT_NEAR(result->ey2, 1.01, 1e-12);
}

TEST(SequenceModelJobTest, Float64JobTrainsInDouble) {
  JobConfig c = SmallJob(ModelKind::kTransformer);
  c.dtype = Dtype::kFloat64, c.steps = 150, c.eval_tasks = 50, c.attention = Attention::kLinear;
  const auto result = RunSequenceModelJob(c, RunHooks{});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->divergence, "");
  EXPECT_LT(result->loss_curve.back().loss, result->loss_curve.front().loss);
  EXPECT_TRUE(std::isfinite(result->mse));
}

// Configs resolved by the key registry (defaults for format and eval_lengths) run as is.
TEST(SequenceModelJobTest, RunsRegistryResolvedConfigs) {
  for (const char* model : {"mamba", "transformer"}) {
    const auto c = ResolveJobConfig(
        {{"model", model}, {"d", 4}, {"N", 8}, {"D", 16}, {"steps", 5}, {"eval_tasks", 20}});
    ASSERT_TRUE(c.ok()) << c.status();
    const auto result = RunSequenceModelJob(*c, RunHooks{});
    ASSERT_TRUE(result.ok()) << model << ": " << result.status();
    EXPECT_EQ(result->curve.size(), c->eval_lengths.size()) << model;
    EXPECT_EQ(result->curve.back().n, 8) << model;
  }
}

TEST(SequenceModelJobTest, RejectsBadShapesByKey) {
  JobConfig c = SmallJob(ModelKind::kTransformer);
  c.H = 5;
  EXPECT_THAT(RunSequenceModelJob(c, RunHooks{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("H: 5")));
  c = SmallJob(ModelKind::kMamba);
  c.steps = 0;
  EXPECT_THAT(RunSequenceModelJob(c, RunHooks{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("steps")));
}

TEST(SequenceModelJobTest, StopBeforeStartIsCancelled) {
  std::stop_source stop;
  stop.request_stop();
  EXPECT_THAT(RunSequenceModelJob(SmallJob(ModelKind::kMamba), RunHooks{stop.get_token(), nullptr}),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("step 0")));
}

}  // namespace
}  // namespace sweep::numerics::nets
