// `mamba-theory` against the definitions of docs/science.md section 3, written the slow and
// obvious way: the initialisation, the gate (and `gate: none`), the weights G_j as plain
// products, the state H = sum_j G_j (Gamma x_j) z_j^T read at the query, the head inputs
// u0..u3, and the standardisation (stage-2 statistics, then frozen).
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "worker/numerics/mamba_theory.h"
#include "worker/numerics/rng.h"
#include "worker/numerics/task.h"

namespace sweep::numerics {
namespace {

PromptBatch SomePrompts(int d, int N, int count, const std::string& link, uint64_t seed) {
  TaskSpec spec;
  spec.d = d, spec.r = 2, spec.tau = 0.1, spec.link = *ParseLink(link);
  TaskSampler sampler(spec, seed);
  TaskRng rng(seed);
  PromptBatch b;
  sampler.Sample(count, N, rng, b);
  return b;
}

// u of prompt p with its first n context examples, straight from docs/science.md.
Eigen::VectorXd ReferenceFeatures(const MambaTheory& model, const PromptBatch& b, int p, int n) {
  const TheoryParams& prm = model.params();
  const int d = model.shape().d;
  Eigen::VectorXd s(n), G(n);
  for (int j = 0; j < n; ++j) {
    const double pre =
        prm.w.head(d).dot(b.x.col(b.Col(p, j))) + prm.w(d) * b.y(b.Col(p, j)) + prm.b_g;
    s(j) = model.shape().gated ? 1.0 / (1.0 + std::exp(-pre)) : 1.0 / model.shape().N;
  }
  for (int j = 0; j < n; ++j) {
    G(j) = s(j);
    for (int k = j + 1; k < n; ++k) G(j) *= 1.0 - s(k);
  }
  Eigen::MatrixXd H = Eigen::MatrixXd::Zero(d, d + 2);  // sum_j G_j (Gamma x_j) z_j^T
  for (int j = 0; j < n; ++j) {
    Eigen::VectorXd z(d + 2);
    z << b.x.col(b.Col(p, j)), b.y(b.Col(p, j)), 1.0;
    H += G(j) * prm.gamma.cwiseProduct(b.x.col(b.Col(p, j))) * z.transpose();
  }
  const Eigen::VectorXd xq = b.x.col(b.Col(p, b.N));
  const Eigen::VectorXd o = H.transpose() * xq;  // o_c = sum_j G_j q_j z_{j,c}
  const Eigen::VectorXd gxq = prm.gamma.cwiseProduct(xq);
  Eigen::VectorXd u(4);
  u << o(d + 1), o(d), o.head(d).dot(gxq), gxq.squaredNorm() * G.sum();
  return u;
}

MambaTheory PerturbedModel(bool gated, int d, int N) {
  std::mt19937_64 rng(11);
  MambaTheory model({d, N, 16, gated}, rng);
  std::normal_distribution<double> normal;
  TheoryParams& p = model.params();
  for (Eigen::Index i = 0; i < p.gamma.size(); ++i) p.gamma(i) += 0.4 * normal(rng);
  for (Eigen::Index i = 0; i < p.w.size(); ++i) p.w(i) += 0.5 * normal(rng);
  p.b_g += 0.7;
  return model;
}

TEST(TheoryDefinitionTest, FeaturesEqualTheStateReadAtTheQuery) {
  for (bool gated : {true, false}) {
    const MambaTheory model = PerturbedModel(gated, 4, 9);
    const PromptBatch b = SomePrompts(4, 9, 3, "0.6*h1+0.8*h3", 5);
    for (int n : {1, 5, 9}) {
      Eigen::MatrixXd u;
      model.Features(b, n, u);
      for (int p = 0; p < b.count; ++p) {
        const Eigen::VectorXd ref = ReferenceFeatures(model, b, p, n);
        EXPECT_LT((u.col(p) - ref).norm(), 1e-12 * (1 + ref.norm()))
            << "gated " << gated << " n " << n << " p " << p << "\n"
            << u.col(p) << "\n"
            << ref;
      }
    }
  }
}

TEST(TheoryDefinitionTest, NoGateIsOneOverNWhateverTheGateParameters) {
  MambaTheory model = PerturbedModel(false, 4, 9);
  const PromptBatch b = SomePrompts(4, 9, 2, "h2", 6);
  Eigen::MatrixXd u, u_other;
  model.Features(b, 9, u);
  model.params().w.setConstant(3.0);
  model.params().b_g = 5.0;
  model.Features(b, 9, u_other);
  EXPECT_EQ(u, u_other);
  // sum_j G_j = 1 - (1 - 1/N)^n, read off u3 = |Gamma x_q|^2 sum_j G_j.
  const Eigen::VectorXd gxq = model.params().gamma.cwiseProduct(b.x.col(b.Col(0, 9)));
  EXPECT_NEAR(u(3, 0) / gxq.squaredNorm(), 1.0 - std::pow(1.0 - 1.0 / 9, 9), 1e-12);
}

TEST(TheoryDefinitionTest, InitialisationFollowsScienceMd) {
  std::mt19937_64 rng = MakeStream(0, Stream::kModelInit);
  const int d = 5, N = 300, m = 4000;
  const MambaTheory model({d, N, m, true}, rng);
  const TheoryParams& p = model.params();
  EXPECT_EQ(p.gamma, Eigen::VectorXd::Ones(d));
  Eigen::VectorXd w0 = Eigen::VectorXd::Zero(d + 1);
  w0(d) = 1.0;  // rho0 = 1 on the label channel
  EXPECT_EQ(p.w, w0);
  EXPECT_DOUBLE_EQ(p.b_g, -std::log(double(N)));
  EXPECT_EQ(p.a(0), 0.0);
  // v_k ~ N(0, I_4): mean 0, covariance I (se ~ 1/sqrt(4000) = 0.016).
  const Eigen::MatrixXd& V = model.head_directions();
  ASSERT_EQ(V.rows(), m);
  ASSERT_EQ(V.cols(), 4);
  const Eigen::MatrixXd cov = V.transpose() * V / m;
  EXPECT_LT((cov - Eigen::MatrixXd::Identity(4, 4)).cwiseAbs().maxCoeff(), 0.08);
  EXPECT_LT(V.colwise().mean().cwiseAbs().maxCoeff(), 0.06);
  // c_k ~ Unif[-1, 1]: inside the interval, mean 0, variance 1/3.
  const Eigen::VectorXd& c = model.head_offsets();
  EXPECT_LE(c.cwiseAbs().maxCoeff(), 1.0);
  EXPECT_NEAR(c.mean(), 0.0, 0.04);
  EXPECT_NEAR(c.squaredNorm() / m, 1.0 / 3, 0.03);
}

TEST(TheoryDefinitionTest, StandardisationIsFrozenAtTheStageTwoStatistics) {
  MambaTheory model = PerturbedModel(true, 4, 9);
  const PromptBatch b = SomePrompts(4, 9, 40, "h2", 7);
  Eigen::MatrixXd u;
  model.Features(b, 9, u);
  Eigen::VectorXd y(b.count);
  for (int p = 0; p < b.count; ++p) y(p) = b.QueryY(p);
  model.Refit(u, y, 1e-2);
  const Eigen::VectorXd mean = u.rowwise().mean();
  const Eigen::VectorXd var = (u.colwise() - mean).array().square().rowwise().mean();
  EXPECT_LT((model.input_mean() - mean).norm(), 1e-12 * (1 + mean.norm()));
  EXPECT_LT((model.input_std() - var.cwiseSqrt()).norm(), 1e-9 * (1 + var.norm()));
  // Frozen: a prompt's prediction does not depend on the other prompts of its batch.
  Eigen::VectorXd all, one;
  model.Predict(b, 9, all);
  PromptBatch single = b;
  single.count = 1;
  single.x = b.x.leftCols(b.N + 1);
  single.y = b.y.head(b.N + 1);
  model.Predict(single, 9, one);
  EXPECT_EQ(one(0), all(0));
}

// Evaluation predicts every length at once, reusing each prompt's products over its
// examples: the numbers must be those of one Predict per length up to rounding (Eigen's
// sums over a column start their packets where its address allows, and the columns of
// one n_max-row buffer sit elsewhere than those of an n-row one), gated or not, for a d
// the vectorised kernels take (8) and one they do not (5).
TEST(TheoryDefinitionTest, PredictAtLengthsEqualsPredictPerLength) {
  for (bool gated : {true, false}) {
    for (int d : {8, 5}) {
      MambaTheory model = PerturbedModel(gated, d, 12);
      const PromptBatch b = SomePrompts(d, 12, 21, "h3", 3);
      const std::vector<int> lengths = {0, 3, 7, 12};
      Eigen::MatrixXd at_lengths;
      model.PredictAtLengths(b, lengths, at_lengths);
      ASSERT_EQ(at_lengths.rows(), 4);
      ASSERT_EQ(at_lengths.cols(), b.count);
      for (size_t i = 0; i < lengths.size(); ++i) {
        Eigen::VectorXd one;
        model.Predict(b, lengths[i], one);
        for (int p = 0; p < b.count; ++p) {
          EXPECT_NEAR(at_lengths(i, p), one(p), 1e-12 * (1 + std::abs(one(p))))
              << "gated " << gated << " d " << d << " n " << lengths[i] << " prompt " << p;
        }
      }
    }
  }
}

}  // namespace
}  // namespace sweep::numerics
