// Hand-written gradients of mamba-theory against central differences in float64
// (docs/design.md section 8.2), plus the Ceres BadTestTerm pattern: a deliberately wrong
// gradient must be flagged by the same checker.
#include <random>

#include <gtest/gtest.h>

#include "tests/testing/gradient_checker.h"
#include "worker/numerics/mamba_theory.h"
#include "worker/numerics/rng.h"
#include "worker/numerics/task.h"

namespace sweep::numerics {
namespace {

using ::sweep::testing::CheckGradient;

constexpr double kTol = 1e-5;

struct Fixture {
  MambaTheory model;
  PromptBatch prompts;
};

// Small shapes, parameters moved off their symmetric init so every term is generic.
Fixture MakeFixture(bool gated, const std::string& link) {
  TaskSpec spec;
  spec.d = 3, spec.r = 2, spec.tau = 0.1;
  spec.link = *ParseLink(link);
  TaskSampler sampler(spec, 1);
  std::mt19937_64 rng(21);
  Fixture f{MambaTheory({3, 6, 8, gated}, rng), {}};
  TaskRng task_rng(21);
  sampler.Sample(5, 6, task_rng, f.prompts);
  std::normal_distribution<double> normal;
  TheoryParams& p = f.model.params();
  for (Eigen::Index i = 0; i < p.gamma.size(); ++i) p.gamma(i) += 0.3 * normal(rng);
  for (Eigen::Index i = 0; i < p.w.size(); ++i) p.w(i) += 0.5 * normal(rng);
  p.b_g += 0.2 * normal(rng);
  for (Eigen::Index i = 0; i < p.a.size(); ++i) p.a(i) += 0.5 * normal(rng);
  return f;
}

// The loss as a function of the flattened parameters; `corrupt` edits the analytic
// gradient (the deliberately wrong term).
std::function<double(const Eigen::VectorXd&, Eigen::VectorXd*)> LossFn(
    const Fixture& f, std::function<void(TheoryParams&)> corrupt = nullptr) {
  return [&f, corrupt](const Eigen::VectorXd& theta, Eigen::VectorXd* grad) {
    MambaTheory model = f.model;
    model.params().Unflatten(theta);
    TheoryParams g;
    const double loss = model.LossAndGrad(f.prompts, g);
    if (corrupt) corrupt(g);
    if (grad) *grad = g.Flatten();
    return loss;
  };
}

class TheoryGradientTest : public ::testing::TestWithParam<std::tuple<bool, std::string>> {};

TEST_P(TheoryGradientTest, EveryParameterBlockMatchesCentralDifferences) {
  const auto& [gated, link] = GetParam();
  const Fixture f = MakeFixture(gated, link);
  const auto report = CheckGradient(LossFn(f), f.model.params().Flatten());
  EXPECT_LE(report.max_rel_error, kTol) << "worst coordinate " << report.worst;
  // The check is only meaningful if every trained block has a non-zero gradient.
  TheoryParams g;
  f.model.LossAndGrad(f.prompts, g);
  EXPECT_GT(g.gamma.norm(), 1e-6);
  EXPECT_GT(g.a.norm(), 1e-6);
  if (gated) {
    EXPECT_GT(g.w.norm(), 1e-6);
    EXPECT_GT(std::abs(g.b_g), 1e-9);
  } else {
    EXPECT_EQ(g.w.norm(), 0.0);  // `gate: none` has no gate parameters in use
  }
}

INSTANTIATE_TEST_SUITE_P(GateAndLink, TheoryGradientTest,
                         ::testing::Combine(::testing::Bool(),
                                            ::testing::Values("0.6*h1+0.8*h3", "h2", "h4")));

TEST(TheoryGradientTest, CheckerFlagsADeliberatelyWrongGradient) {
  const Fixture f = MakeFixture(true, "h3");
  const Eigen::VectorXd theta = f.model.params().Flatten();
  // BadTestTerm: the label-channel gate weight off by 2 percent, as a dropped term would be.
  const auto bad = CheckGradient(LossFn(f, [](TheoryParams& g) { g.w(3) *= 1.02; }), theta);
  EXPECT_GT(bad.max_rel_error, 1e-3);
  EXPECT_EQ(bad.worst, 3 + 3);  // flattened order: gamma (3), then w
  const auto dropped = CheckGradient(LossFn(f, [](TheoryParams& g) { g.b_g = 0; }), theta);
  EXPECT_GT(dropped.max_rel_error, 0.5);
}

TEST(TheoryModelTest, FeaturesUseOnlyTheFirstNContextExamples) {
  Fixture f = MakeFixture(true, "h2");
  Eigen::MatrixXd u3, u3_changed;
  f.model.Features(f.prompts, 3, u3);
  f.prompts.x.col(f.prompts.Col(0, 4)).setConstant(100.0);  // example 4 is beyond n = 3
  f.prompts.y(f.prompts.Col(0, 5)) = -50.0;
  f.model.Features(f.prompts, 3, u3_changed);
  EXPECT_EQ(u3, u3_changed);
  Eigen::MatrixXd u0;
  f.model.Features(f.prompts, 0, u0);
  EXPECT_EQ(u0, Eigen::MatrixXd::Zero(4, f.prompts.count));
}

TEST(TheoryModelTest, GateWeightsAreAProperDiscountedAverage) {
  // With w = 0 the gate is constant, G_j = s (1 - s)^(n-1-j), sum G = 1 - (1 - s)^n, and
  // u3 / |gamma x_q|^2 recovers that sum.
  Fixture f = MakeFixture(true, "h2");
  f.model.params().w.setZero();
  f.model.params().gamma.setOnes();
  f.model.params().b_g = 0.0;  // s = 1/2
  Eigen::MatrixXd u;
  f.model.Features(f.prompts, 6, u);
  const double q_norm2 = f.prompts.x.col(f.prompts.Col(0, 6)).squaredNorm();
  EXPECT_NEAR(u(3, 0) / q_norm2, 1.0 - std::pow(0.5, 6), 1e-12);
}

}  // namespace
}  // namespace sweep::numerics
