// The shapes and initial values docs/science.md section 3 fixes for `mamba` and `transformer`:
// A = -exp(A_log) with A_log[e,k] = log(k+1), the D skip, E = expand * D inner channels,
// `selective: false` with input-independent Delta/B/C, the causal scan, the transformer's
// learned positions and its 4D GELU MLP.
#include <cmath>

#include <gtest/gtest.h>

#include "common/job_keys.h"
#include "worker/numerics/nets/trained_model.h"

namespace sweep::numerics::nets {
namespace {

JobConfig Config(ModelKind model) {
  JobConfig c;
  c.model = model, c.d = 3, c.r = 2, c.N = 5, c.format = PromptFormat::kInterleaved, c.seed = 2;
  c.L = 2, c.D = 8, c.n = 4, c.expand = 2, c.conv = 3, c.H = 2, c.dtype = Dtype::kFloat64;
  return c;
}

TEST(ArchitectureTest, MambaScanInitialisationAndShapes) {
  auto model = TrainedModel::Create(Config(ModelKind::kMamba));
  ASSERT_TRUE(model.ok()) << model.status();
  ParamSet<double>& params = model->f64()->params();
  for (int l = 0; l < 2; ++l) {
    const std::string prefix = "layers." + std::to_string(l) + ".mixer.";
    Param<double>* A_log = params.Find(prefix + "A_log");
    ASSERT_NE(A_log, nullptr);
    ASSERT_EQ(A_log->w.rows(), 16);  // E = expand * D
    ASSERT_EQ(A_log->w.cols(), 4);   // n
    for (int k = 0; k < 4; ++k) {
      EXPECT_EQ(A_log->w.col(k), Eigen::VectorXd::Constant(16, std::log(k + 1.0)));
    }
    Param<double>* D = params.Find(prefix + "D");
    ASSERT_NE(D, nullptr);
    EXPECT_EQ(D->w, Eigen::MatrixXd::Ones(16, 1));
    ASSERT_NE(params.Find(prefix + "W_dt"), nullptr);
    EXPECT_EQ(params.Find(prefix + "conv_w")->w.cols(), 3);
  }
  EXPECT_EQ(params.Find("pos_emb"), nullptr);  // Mamba has no positions
}

TEST(ArchitectureTest, NotSelectiveHasInputIndependentDeltaBAndC) {
  JobConfig c = Config(ModelKind::kMamba);
  c.selective = false;
  auto model = TrainedModel::Create(c);
  ASSERT_TRUE(model.ok()) << model.status();
  ParamSet<double>& params = model->f64()->params();
  for (const char* gone : {"W_dt", "W_B", "W_C"}) {
    EXPECT_EQ(params.Find(std::string("layers.0.mixer.") + gone), nullptr) << gone;
  }
  EXPECT_EQ(params.Find("layers.0.mixer.B")->w.size(), 4);
  EXPECT_EQ(params.Find("layers.0.mixer.C")->w.size(), 4);
  EXPECT_EQ(params.Find("layers.0.mixer.b_dt")->w.size(), 16);
}

TEST(ArchitectureTest, TransformerHasLearnedPositionsAndA4DMlp) {
  auto model = TrainedModel::Create(Config(ModelKind::kTransformer));
  ASSERT_TRUE(model.ok()) << model.status();
  ParamSet<double>& params = model->f64()->params();
  Param<double>* pos = params.Find("pos_emb");
  ASSERT_NE(pos, nullptr);
  EXPECT_EQ(pos->w.rows(), 8);
  EXPECT_EQ(pos->w.cols(), 2 * 5 + 1);  // one position per interleaved token
  EXPECT_EQ(params.Find("layers.1.mlp.W_1")->w.rows(), 4 * 8);
  EXPECT_NE(params.Find("layers.0.ln1.bias"), nullptr);  // LayerNorm, not RMSNorm
}

// Causality of both models: a prediction never depends on later tokens.
TEST(ArchitectureTest, PredictionsAreCausal) {
  for (ModelKind name : {ModelKind::kMamba, ModelKind::kTransformer}) {
    auto model = TrainedModel::Create(Config(name));
    ASSERT_TRUE(model.ok());
    Eigen::MatrixXd tokens = Eigen::MatrixXd::Random(4, 11);
    const auto before = PredictTokens(*model, {tokens});
    tokens.col(7).setConstant(5.0);
    const auto after = PredictTokens(*model, {tokens});
    ASSERT_TRUE(before.ok() && after.ok());
    EXPECT_EQ((*before)[0].head(7), (*after)[0].head(7)) << EnumName(name);
    EXPECT_NE((*before)[0](7), (*after)[0](7)) << EnumName(name);
  }
}

}  // namespace
}  // namespace sweep::numerics::nets
