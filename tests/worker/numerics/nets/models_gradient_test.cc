// Whole-model gradient checks (every parameter of `mamba` and `transformer`, float64,
// through the scan and attention over time) and the checker's own negative test: a
// deliberately wrong gradient must be flagged (Ceres' BadTestTerm).
#include <memory>
#include <random>

#include "gtest/gtest.h"
#include "tests/testing/gradient_checker.h"
#include "worker/numerics/nets/init.h"
#include "worker/numerics/nets/sequence_model.h"

namespace sweep::numerics::nets {
namespace {

using ::sweep::testing::CheckGradients;
constexpr double kTol = 1e-4;

ModelShape SmallShape(ModelKind model) {
  ModelShape shape;
  shape.model = model;
  shape.d_in = 3;
  shape.max_T = 5;
  shape.L = 2;
  shape.D = 4;
  shape.mixer = MixerShape{4, 8, 3, 2, true};
  shape.H = 2;
  return shape;
}

// Loss = mean squared error of every token's prediction against random targets.
struct ModelHarness {
  std::mt19937_64 rng{11};
  std::unique_ptr<SequenceModel<double>> model;
  SeqShape seq{2, 5};
  Mat<double> tokens;
  RowVec<double> target, pred;

  explicit ModelHarness(const ModelShape& shape) {
    model = MakeModel<double>(shape, rng);
    std::normal_distribution<double> dist;
    tokens.resize(shape.d_in, seq.cols());
    for (Eigen::Index i = 0; i < tokens.size(); ++i) tokens.data()[i] = dist(rng);
    target.resize(seq.cols());
    for (Eigen::Index i = 0; i < target.size(); ++i) target[i] = dist(rng);
    // Move every parameter off its special initial value (LayerNorm biases 0, gains 1),
    // so that no gradient term is checked only at zero.
    std::uniform_real_distribution<double> jitter(-0.2, 0.2);
    for (Param<double>& p : model->params().all()) {
      for (Eigen::Index i = 0; i < p.w.size(); ++i) p.w.data()[i] += jitter(rng);
      // Delta's initial bias gives Delta ~ 0.001-0.1, where A's gradient is ~1e-9 and
      // below the finite differences' resolution: check at Delta ~ 1 instead.
      if (p.name.ends_with("b_dt")) p.w.array() += 1.0;
    }
  }
  double Loss() {
    model->Forward(tokens, seq, pred);
    return 0.5 * (pred - target).squaredNorm() / seq.cols();
  }
  void Gradient() {
    model->params().ZeroGrad();
    Loss();
    model->Backward((pred - target) / seq.cols());
  }
};

void CheckModel(const ModelShape& shape) {
  ModelHarness hs(shape);
  const auto report = CheckGradients(
      hs.model->params(), [&] { return hs.Loss(); }, [&] { hs.Gradient(); });
  EXPECT_LE(report.max_rel_error, kTol) << report.Describe();
  EXPECT_EQ(report.checked, hs.model->params().NumScalars());
  ::testing::Test::RecordProperty("max_rel_error", std::to_string(report.max_rel_error));
}

TEST(ModelGradientTest, Mamba) { CheckModel(SmallShape(ModelKind::kMamba)); }

TEST(ModelGradientTest, MambaNotSelectiveWithoutConv) {
  ModelShape shape = SmallShape(ModelKind::kMamba);
  shape.mixer.selective = false;
  shape.mixer.conv = 0;
  CheckModel(shape);
}

TEST(ModelGradientTest, Transformer) { CheckModel(SmallShape(ModelKind::kTransformer)); }

TEST(ModelGradientTest, LinearAttentionTransformer) {
  ModelShape shape = SmallShape(ModelKind::kTransformer);
  shape.softmax = false;
  CheckModel(shape);
}

TEST(ModelGradientTest, CheckerFlagsAWrongGradient) {
  ModelHarness hs(SmallShape(ModelKind::kMamba));
  Param<double>* A_log = hs.model->params().Find("layers.1.mixer.A_log");
  ASSERT_NE(A_log, nullptr);
  hs.Gradient();
  Eigen::Index worst = 0;
  A_log->g.cwiseAbs().reshaped().maxCoeff(&worst);
  const auto report = CheckGradients(
      hs.model->params(), [&] { return hs.Loss(); },
      [&] {
        hs.Gradient();
        A_log->g.data()[worst] *= 1.01;  // a 1% error in one scalar of the scan's gradient
      });
  EXPECT_GT(report.max_rel_error, 5e-3);
  EXPECT_EQ(report.worst_param, "layers.1.mixer.A_log[" + std::to_string(worst) + "]");
}

}  // namespace
}  // namespace sweep::numerics::nets
