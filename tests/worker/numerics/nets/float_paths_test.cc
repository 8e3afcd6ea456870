// The float-only kernels of the mamba layers against the float64 layers that
// layers_gradient_test.cc checks with finite differences: the scan's chunked backward
// (float, E a multiple of 8) and its generic float path, the 2^x decays, and the mixer's
// SiLU / softplus on ExpOne (fast_exp.h). Float and float64 must agree to float rounding
// on the outputs and on every gradient; a wrong index or a dropped term is off by O(1).
#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "worker/numerics/nets/activations.h"
#include "worker/numerics/nets/init.h"
#include "worker/numerics/nets/mamba_mixer.h"
#include "worker/numerics/nets/selective_scan.h"

namespace sweep::numerics::nets {
namespace {

// max |f - d| over max |d|: float rounding through a few layers is ~1e-6.
double RelDiff(const Mat<float>& f, const Mat<double>& d) {
  EXPECT_EQ(f.rows(), d.rows());
  EXPECT_EQ(f.cols(), d.cols());
  const double scale = std::max(d.cwiseAbs().maxCoeff(), 1e-30);
  return (f.cast<double>() - d).cwiseAbs().maxCoeff() / scale;
}

Mat<double> Random(int rows, int cols, std::mt19937_64& rng, double lo = -1, double hi = 1) {
  std::uniform_real_distribution<double> u(lo, hi);
  Mat<double> m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = u(rng);
  return m;
}

constexpr double kTol = 2e-5;

// Softplus' log1p on [0, 1] (t = e^-|x|) within a few ulps of the C library's.
TEST(Log1pUnitTest, WithinAFewUlpsOnZeroToOne) {
  double worst = 0;
  for (double v = 0; v <= 1.0; v += 1.1e-6) {
    const float t = float(v);
    const double want = std::log1p(double(t));
    if (want > 0) worst = std::max(worst, std::abs(double(Log1pUnit(t)) - want) / want);
  }
  EXPECT_LT(worst, 3e-7);
  EXPECT_EQ(Log1pUnit(0.0f), 0.0f);
  EXPECT_EQ(Log1pUnit(1e-30f), 1e-30f);  // tiny t: log1p(t) = t, no loss of digits
}

// E = 16: the chunked float backward; E = 12: the generic float path.
class ScanFloatTest : public ::testing::TestWithParam<int> {};

TEST_P(ScanFloatTest, MatchesFloat64) {
  const int E = GetParam(), n = 5;
  const SeqShape seq{3, 9};
  std::mt19937_64 rng(11);
  ParamSet<double> pd;
  ParamSet<float> pf;
  SelectiveScan<double> sd(pd, "", E, n);
  SelectiveScan<float> sf(pf, "", E, n);
  // A_log around the init log(k + 1), D around 1: realistic decays, no special values.
  pd.Find("A_log")->w.array() += Random(E, n, rng, -0.3, 0.3).array();
  pd.Find("D")->w = Random(E, 1, rng, 0.5, 1.5);
  for (const std::string name : {"A_log", "D"}) pf.Find(name)->w = pd.Find(name)->w.cast<float>();
  const Mat<double> a = Random(E, seq.cols(), rng), B = Random(n, seq.cols(), rng),
                    C = Random(n, seq.cols(), rng), dy = Random(E, seq.cols(), rng),
                    delta = Random(E, seq.cols(), rng, 0.01, 0.6);
  const Mat<float> af = a.cast<float>(), Bf = B.cast<float>(), Cf = C.cast<float>(),
                   dyf = dy.cast<float>(), deltaf = delta.cast<float>();
  Mat<double> yd, dad, ddd, dBd, dCd;
  Mat<float> yf, daf, ddf, dBf, dCf;
  sd.Forward(a, delta, B, C, seq, yd);
  sf.Forward(af, deltaf, Bf, Cf, seq, yf);
  sd.Backward(dy, dad, ddd, dBd, dCd);
  sf.Backward(dyf, daf, ddf, dBf, dCf);
  EXPECT_LT(RelDiff(yf, yd), kTol);
  EXPECT_LT(RelDiff(daf, dad), kTol);
  EXPECT_LT(RelDiff(ddf, ddd), kTol);
  EXPECT_LT(RelDiff(dBf, dBd), kTol);
  EXPECT_LT(RelDiff(dCf, dCd), kTol);
  EXPECT_LT(RelDiff(pf.Find("A_log")->g, pd.Find("A_log")->g), kTol);
  EXPECT_LT(RelDiff(pf.Find("D")->g, pd.Find("D")->g), kTol);
}

INSTANTIATE_TEST_SUITE_P(ChunkedAndGeneric, ScanFloatTest, ::testing::Values(16, 12));

// The whole mixer (stacked W_dt/W_B/W_C GEMM, kept sigmoids, float exps), selective and
// not, E = 16 (chunked scan) and E = 12: output, input gradient, every parameter gradient.
class MixerFloatTest : public ::testing::TestWithParam<MixerShape> {};

TEST_P(MixerFloatTest, MatchesFloat64) {
  const MixerShape shape = GetParam();
  const SeqShape seq{2, 11};
  std::mt19937_64 rng_d(5), rng_f(5), rng(9);
  ParamSet<double> pd;
  ParamSet<float> pf;
  MambaMixer<double> md(pd, "m.", shape, 2, rng_d);
  MambaMixer<float> mf(pf, "m.", shape, 2, rng_f);
  for (Param<double>& p : pd.all()) {
    if (p.name != "m.A_log" && p.name != "m.D" && p.name != "m.b_dt") {
      p.w += Random(int(p.w.rows()), int(p.w.cols()), rng, -0.2, 0.2);
    }
    pf.Find(p.name)->w = p.w.cast<float>();
  }
  const Mat<double> U = Random(shape.D, seq.cols(), rng, -2, 2);
  const Mat<double> dout = Random(shape.D, seq.cols(), rng);
  Mat<double> Yd, dUd;
  Mat<float> Yf, dUf;
  md.Forward(U, seq, Yd);
  mf.Forward(U.cast<float>(), seq, Yf);
  md.Backward(dout, dUd);
  mf.Backward(dout.cast<float>(), dUf);
  EXPECT_LT(RelDiff(Yf, Yd), kTol);
  EXPECT_LT(RelDiff(dUf, dUd), kTol);
  for (const Param<double>& p : pd.all()) {
    EXPECT_LT(RelDiff(pf.Find(p.name)->g, p.g), kTol) << p.name;
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, MixerFloatTest,
                         ::testing::Values(MixerShape{8, 16, 4, 4, true},
                                           MixerShape{8, 12, 4, 4, true},
                                           MixerShape{8, 16, 4, 0, true},
                                           MixerShape{8, 16, 4, 4, false}));

}  // namespace
}  // namespace sweep::numerics::nets
