// Every layer's parameters and input against central differences in float64 (issue 3):
// loss = sum(R (.) layer(X)) with a fixed random R, so dL/dY = R.
#include <random>

#include "gtest/gtest.h"
#include "tests/testing/gradient_checker.h"
#include "worker/numerics/nets/activations.h"
#include "worker/numerics/nets/attention.h"
#include "worker/numerics/nets/conv1d.h"
#include "worker/numerics/nets/init.h"
#include "worker/numerics/nets/linear.h"
#include "worker/numerics/nets/mamba_mixer.h"
#include "worker/numerics/nets/norms.h"
#include "worker/numerics/nets/selective_scan.h"

namespace sweep::numerics::nets {
namespace {

using ::sweep::testing::CheckGradients;
constexpr double kTol = 1e-4;
constexpr SeqShape kSeq{2, 5};  // 2 sequences of 5 tokens

// A layer under test: parameters, a random input registered as a parameter (so its
// gradient is checked too) and the fixed upstream gradient R.
struct Harness {
  std::mt19937_64 rng{7};
  ParamSet<double> params;
  Param<double>* X = nullptr;
  Mat<double> R;
  Harness(int in_rows, int out_rows, SeqShape seq = kSeq) {
    X = params.Add("input", in_rows, seq.cols());
    FillNormal(X, 1.0, rng);
    R = Mat<double>::Zero(out_rows, seq.cols());
    std::normal_distribution<double> dist;
    for (Eigen::Index i = 0; i < R.size(); ++i) R.data()[i] = dist(rng);
  }
  // Random values for every parameter, so that no check runs at a special point.
  void Randomise(double scale) {
    for (Param<double>& p : params.all()) {
      if (&p != X) FillUniform(&p, scale, rng);
    }
  }
  double Dot(const Mat<double>& Y) const { return (R.array() * Y.array()).sum(); }
};

TEST(LayerGradientTest, LinearWithBias) {
  Harness hs(3, 4);
  Linear<double> lin(hs.params, "W", "b", 3, 4);
  hs.Randomise(1.0);
  Mat<double> Y, dX;
  auto loss = [&] {
    lin.Forward(hs.X->w, Y);
    return hs.Dot(Y);
  };
  auto grad = [&] {
    hs.params.ZeroGrad();
    lin.Backward(hs.X->w, hs.R, &dX);
    hs.X->g = dX;
  };
  const auto report = CheckGradients(hs.params, loss, grad);
  EXPECT_LE(report.max_rel_error, kTol) << report.Describe();
  EXPECT_EQ(report.checked, 3 * 10 + 12 + 4);
}

void CheckNorm(Norm<double>::Kind kind) {
  Harness hs(6, 6);
  Norm<double> norm(hs.params, "norm", 6, kind);
  hs.Randomise(1.0);
  Mat<double> Y, dX;
  auto loss = [&] {
    norm.Forward(hs.X->w, Y);
    return hs.Dot(Y);
  };
  auto grad = [&] {
    hs.params.ZeroGrad();
    norm.Forward(hs.X->w, Y);
    norm.Backward(hs.R, dX);
    hs.X->g = dX;
  };
  const auto report = CheckGradients(hs.params, loss, grad);
  EXPECT_LE(report.max_rel_error, kTol) << report.Describe();
}

TEST(LayerGradientTest, RmsNorm) { CheckNorm(Norm<double>::Kind::kRms); }
TEST(LayerGradientTest, LayerNorm) { CheckNorm(Norm<double>::Kind::kLayer); }

TEST(LayerGradientTest, CausalConvDoesNotMixSequences) {
  Harness hs(3, 3);
  CausalConv1d<double> conv(hs.params, "", 3, 4);
  hs.Randomise(1.0);
  Mat<double> Y, dX;
  auto loss = [&] {
    conv.Forward(hs.X->w, kSeq, Y);
    return hs.Dot(Y);
  };
  auto grad = [&] {
    hs.params.ZeroGrad();
    conv.Backward(hs.X->w, hs.R, kSeq, dX);
    hs.X->g = dX;
  };
  const auto report = CheckGradients(hs.params, loss, grad);
  EXPECT_LE(report.max_rel_error, kTol) << report.Describe();
  // Causality: the first token of sequence 1 only sees itself (bias + last tap).
  conv.Forward(hs.X->w, kSeq, Y);
  const Vec<double> expect =
      conv.bias()->w.col(0).array() + conv.weight()->w.col(3).array() * hs.X->w.col(5).array();
  EXPECT_LE((Y.col(5) - expect).norm(), 1e-12);
}

TEST(LayerGradientTest, Activations) {
  Harness hs(4, 4);
  Mat<double> a, b, c, d1, d2, d3;
  auto loss = [&] {
    SiluForward(hs.X->w, a);
    GeluForward(hs.X->w, b);
    c = hs.X->w.unaryExpr([](double v) { return Softplus(v); });
    return hs.Dot(a) + 0.5 * hs.Dot(b) + 0.25 * hs.Dot(c);
  };
  auto grad = [&] {
    SiluBackward(hs.X->w, hs.R, d1);
    Eigen::Array<double, Eigen::Dynamic, Eigen::Dynamic> th;
    GeluBackward(hs.X->w, hs.R, d2, th);
    d3 = hs.R.array() * hs.X->w.unaryExpr([](double v) { return Sigmoid(v); }).array();
    hs.X->g = d1 + 0.5 * d2 + 0.25 * d3;
  };
  const auto report = CheckGradients(hs.params, loss, grad);
  EXPECT_LE(report.max_rel_error, kTol) << report.Describe();
}

// The scan through time: gradients of a, Delta, B, C, A_log and D.
TEST(LayerGradientTest, SelectiveScanThroughTime) {
  const int E = 3, n = 4;
  const SeqShape seq{2, 6};
  Harness hs(E, E, seq);
  Param<double>* delta = hs.params.Add("delta", E, seq.cols());
  Param<double>* B = hs.params.Add("B", n, seq.cols());
  Param<double>* C = hs.params.Add("C", n, seq.cols());
  SelectiveScan<double> scan(hs.params, "", E, n);
  hs.Randomise(1.0);
  delta->w = delta->w.array().abs() + 0.05;  // Delta = softplus(.) > 0
  Mat<double> Y;
  auto loss = [&] {
    scan.Forward(hs.X->w, delta->w, B->w, C->w, seq, Y);
    return hs.Dot(Y);
  };
  auto grad = [&] {
    hs.params.ZeroGrad();
    scan.Forward(hs.X->w, delta->w, B->w, C->w, seq, Y);
    scan.Backward(hs.R, hs.X->g, delta->g, B->g, C->g);
  };
  const auto report = CheckGradients(hs.params, loss, grad);
  EXPECT_LE(report.max_rel_error, kTol) << report.Describe();
}

void CheckMixer(MixerShape shape) {
  Harness hs(shape.D, shape.D);
  MambaMixer<double> mixer(hs.params, "m.", shape, 2, hs.rng);
  hs.Randomise(0.5);
  for (Param<double>& p : hs.params.all()) {
    if (p.name == "m.A_log") p.w.array() += 0.5;  // keep A = -exp(A_log) decaying
  }
  Mat<double> Y;
  auto loss = [&] {
    mixer.Forward(hs.X->w, kSeq, Y);
    return hs.Dot(Y);
  };
  auto grad = [&] {
    hs.params.ZeroGrad();
    mixer.Forward(hs.X->w, kSeq, Y);
    mixer.Backward(hs.R, hs.X->g);
  };
  const auto report = CheckGradients(hs.params, loss, grad);
  EXPECT_LE(report.max_rel_error, kTol) << report.Describe();
}

TEST(LayerGradientTest, MambaMixerSelective) { CheckMixer({4, 6, 3, 3, true}); }
TEST(LayerGradientTest, MambaMixerNotSelective) { CheckMixer({4, 6, 3, 2, false}); }
TEST(LayerGradientTest, MambaMixerWithoutConv) { CheckMixer({4, 6, 3, 0, true}); }

void CheckAttention(bool softmax) {
  Harness hs(6, 6);
  CausalSelfAttention<double> attn(hs.params, "a.", 6, 2, softmax, 2, hs.rng);
  hs.Randomise(0.7);
  Mat<double> Y;
  auto loss = [&] {
    attn.Forward(hs.X->w, kSeq, Y);
    return hs.Dot(Y);
  };
  auto grad = [&] {
    hs.params.ZeroGrad();
    attn.Forward(hs.X->w, kSeq, Y);
    attn.Backward(hs.R, hs.X->g);
  };
  const auto report = CheckGradients(hs.params, loss, grad);
  EXPECT_LE(report.max_rel_error, kTol) << report.Describe();
}

TEST(LayerGradientTest, SoftmaxAttention) { CheckAttention(true); }
TEST(LayerGradientTest, LinearAttention) { CheckAttention(false); }

}  // namespace
}  // namespace sweep::numerics::nets
