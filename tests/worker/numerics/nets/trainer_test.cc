// The training loop: learning a linear task well below Var(y), a non-increasing ICL curve,
// bit-identical reruns, divergence reporting and cancellation.
#include <cmath>
#include <random>
#include <stop_token>

#include "common/link_expr.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "worker/numerics/nets/trainer.h"
#include "worker/numerics/task.h"

namespace sweep::numerics::nets {
namespace {

using ::sweep::testing::StatusIs;

// The shared task sampler on link h1 with r = d and tau = 0: y = <beta, x>, Var(y) = 1.
BatchSource LinearTask(uint64_t seed, int d) {
  TaskSpec spec;
  spec.d = d, spec.r = d, spec.link = ParseLink("h1").value(), spec.tau = 0;
  auto sampler = std::make_shared<TaskSampler>(spec, seed);
  auto rng = std::make_shared<TaskRng>(seed);
  return [sampler, rng](const CurriculumStage& stage, int count, PromptBatch& p) {
    sampler->Sample(count, stage.N, *rng, p, stage.d_active);
  };
}

ModelShape TinyShape(ModelKind model, int d, int N) {
  ModelShape s;
  s.model = model, s.d_in = d + 1, s.max_T = 2 * N + 1, s.L = 2, s.D = 32, s.H = 4;
  s.mixer = MixerShape{32, 64, 8, 4, true};
  return s;
}

TrainOptions TinyOptions(int d, int N, int steps) {
  TrainOptions o;
  o.steps = steps, o.batch = 32, o.lr = 3e-3, o.d = d, o.N = N;
  return o;
}

// Mean squared error per context length n = 0..N over `count` fresh prompts.
Eigen::VectorXd Curve(SequenceModel<float>& model, int d, int N, int count) {
  PromptBatch p;
  LinearTask(99, d)({d, N}, count, p);
  Mat<float> tokens;
  RowVec<float> pred;
  const SeqShape seq = BuildTokens(p, PromptFormat::kInterleaved, d, tokens);
  model.Forward(tokens, seq, pred);
  const Eigen::MatrixXd f = ReadPredictions(pred, p, PromptFormat::kInterleaved);
  Eigen::VectorXd mse(N + 1);
  for (int n = 0; n <= N; ++n) {
    double s = 0;
    for (int b = 0; b < count; ++b) s += std::pow(f(n, b) - p.y[b * (N + 1) + n], 2);
    mse[n] = s / count;
  }
  return mse;
}

TEST(TrainerTest, LearnsLinearTaskInContext) {
  const int d = 4, N = 16;
  std::mt19937_64 rng(1);
  auto model = MakeModel<float>(TinyShape(ModelKind::kMamba, d, N), rng);
  const auto out = Train(*model, TinyOptions(d, N, 400), LinearTask(2, d), RunHooks{});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->divergence, "");
  EXPECT_EQ(out->loss_curve.size(), 8u);
  EXPECT_EQ(out->loss_curve.back().step, 400);
  EXPECT_LT(out->loss_curve.back().loss, 0.5 * out->loss_curve.front().loss);
  const Eigen::VectorXd mse = Curve(*model, d, N, 512);
  // Var(y) = 1: with no context the best guess is 0 (mse ~ 1); with N = 16 >> d = 4
  // examples the label is nearly determined.
  EXPECT_GT(mse[0], 0.7);
  EXPECT_LT(mse[N], 0.3);
  // Non-increasing on average: the error falls from each quarter of n to the next.
  const int q = (N + 1) / 4;
  for (int i = 0; i + 1 < 4; ++i) {
    EXPECT_GT(mse.segment(i * q, q).mean(), mse.segment((i + 1) * q, q).mean()) << i;
  }
}

TEST(TrainerTest, SameSeedIsBitIdentical) {
  auto run = [] {
    std::mt19937_64 rng(5);
    auto model = MakeModel<float>(TinyShape(ModelKind::kTransformer, 3, 6), rng);
    TrainOptions o = TinyOptions(3, 6, 60);
    o.warmup = 10, o.cosine = true, o.curriculum = true;
    return Train(*model, o, LinearTask(6, 3), RunHooks{}).value().loss_curve;
  };
  const auto a = run();
  const auto b = run();
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a, b);  // exact double equality, not a tolerance
}

TEST(TrainerTest, NanLossIsReportedAsDivergence) {
  std::mt19937_64 rng(1);
  auto model = MakeModel<float>(TinyShape(ModelKind::kMamba, 3, 4), rng);
  int calls = 0;
  BatchSource base = LinearTask(3, 3);
  BatchSource poisoned = [&](const CurriculumStage& s, int count, PromptBatch& p) {
    base(s, count, p);
    if (calls++ == 7) p.y[0] = std::nan("");
  };
  const auto out = Train(*model, TinyOptions(3, 4, 100), poisoned, RunHooks{});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->divergence, "diverged at step 7: loss nan");
  EXPECT_EQ(out->steps_done, 7);
}

TEST(TrainerTest, StopTokenCancelsBetweenSteps) {
  std::mt19937_64 rng(1);
  auto model = MakeModel<float>(TinyShape(ModelKind::kTransformer, 3, 4), rng);
  std::stop_source stop;
  RunHooks hooks{stop.get_token(), [&](int64_t step, int64_t) {
                   if (step == 20) stop.request_stop();
                 }};
  const auto out = Train(*model, TinyOptions(3, 4, 100), LinearTask(3, 3), hooks);
  EXPECT_THAT(out, StatusIs(absl::StatusCode::kCancelled, ::testing::HasSubstr("step 20")));
}

TEST(TrainerTest, CurriculumGrowsLinearlyToTheFullTask) {
  TrainOptions o = TinyOptions(16, 40, 1000);
  o.curriculum = true, o.curriculum_start = 0.25, o.curriculum_ramp = 0.5;
  EXPECT_EQ(CurriculumAt(o, 0).d_active, 4);
  EXPECT_EQ(CurriculumAt(o, 0).N, 10);
  EXPECT_EQ(CurriculumAt(o, 250).d_active, 10);
  EXPECT_EQ(CurriculumAt(o, 250).N, 25);
  EXPECT_EQ(CurriculumAt(o, 500).d_active, 16);
  EXPECT_EQ(CurriculumAt(o, 999).N, 40);
  o.curriculum = false;
  EXPECT_EQ(CurriculumAt(o, 0).N, 40);
}

}  // namespace
}  // namespace sweep::numerics::nets
