#include "worker/numerics/nets/mamba_mixer.h"

#include <cmath>

#include "worker/numerics/nets/activations.h"
#include "worker/numerics/nets/init.h"

namespace sweep::numerics::nets {

// Initialisation follows mamba_simple.py of the reference implementation
// (state-spaces/mamba): PyTorch defaults U(+-1/sqrt(fan_in)) for the projections and the
// conv; Delta's bias is softplus^-1 of dt ~ logU[1e-3, 1e-1]; W_dt ~ U(+-1/sqrt(E));
// A_log = log(k+1), D = 1 (in SelectiveScan); W_out is divided by sqrt(L) (GPT-2's
// residual rescaling, as Mamba does).
template <typename T>
MambaMixer<T>::MambaMixer(ParamSet<T>& params, const std::string& prefix, const MixerShape& shape,
                          int num_layers, std::mt19937_64& rng, MixerGradBuffers<T>* shared)
    : shape_(shape), grads_(shared != nullptr ? shared : &own_grads_) {
  const int D = shape.D, E = shape.E, n = shape.n;
  W_xz_ = Linear<T>(params, prefix + "W_xz", "", D, 2 * E);
  FillUniform(W_xz_.weight(), 1.0 / std::sqrt(D), rng);
  if (shape.conv > 0) {
    conv_ = CausalConv1d<T>(params, prefix, E, shape.conv);
    FillUniform(conv_.weight(), 1.0 / std::sqrt(shape.conv), rng);
    FillUniform(conv_.bias(), 1.0 / std::sqrt(shape.conv), rng);
  }
  if (shape.selective) {
    W_dt_ = Linear<T>(params, prefix + "W_dt", "", E, E);
    FillUniform(W_dt_.weight(), 1.0 / std::sqrt(E), rng);
    W_B_ = Linear<T>(params, prefix + "W_B", "", E, n);
    FillUniform(W_B_.weight(), 1.0 / std::sqrt(E), rng);
    W_C_ = Linear<T>(params, prefix + "W_C", "", E, n);
    FillUniform(W_C_.weight(), 1.0 / std::sqrt(E), rng);
  } else {
    B_vec_ = params.Add(prefix + "B", n, 1);
    FillUniform(B_vec_, 1.0, rng);
    C_vec_ = params.Add(prefix + "C", n, 1);
    FillUniform(C_vec_, 1.0, rng);
  }
  b_dt_ = params.Add(prefix + "b_dt", E, 1);
  std::uniform_real_distribution<double> log_dt(std::log(1e-3), std::log(1e-1));
  for (int e = 0; e < E; ++e) {
    const double dt = std::exp(log_dt(rng));
    b_dt_->w(e, 0) = T(dt + std::log(-std::expm1(-dt)));  // softplus^-1(dt)
  }
  scan_ = SelectiveScan<T>(params, prefix, E, n);
  W_out_ = Linear<T>(params, prefix + "W_out", "", E, D);
  FillUniform(W_out_.weight(), 1.0 / std::sqrt(E) / std::sqrt(num_layers), rng);
}

// Delta = softplus(W_dt a + b_dt) (keeping its derivative), B = W_B a, C = W_C a; the
// three products as one GEMM with the stacked weights. dbc_ holds the GEMM's output,
// Delta's pre-activation in its first E rows, and the bias add and softplus turn those
// rows into Delta in place: the scan reads Delta, B and C as blocks of dbc_.
template <typename T>
void MambaMixer<T>::ComputeDeltaBC() {
  const int E = shape_.E, n = shape_.n, cols = int(a_.cols());
  dbc_.resize(E + 2 * n, cols);
  if (shape_.selective) {
    W_dbc_.resize(E + 2 * n, E);
    W_dbc_.topRows(E) = W_dt_.weight()->w;
    W_dbc_.middleRows(E, n) = W_B_.weight()->w;
    W_dbc_.bottomRows(n) = W_C_.weight()->w;
    dbc_.noalias() = W_dbc_ * a_;
    SoftplusBiasInPlace<T>(dbc_.topRows(E), b_dt_->w.data(), sig_);
  } else {
    dbc_.topRows(E) = b_dt_->w.col(0).replicate(1, cols);
    dbc_.middleRows(E, n) = B_vec_->w.col(0).replicate(1, cols);
    dbc_.bottomRows(n) = C_vec_->w.col(0).replicate(1, cols);
    SoftplusBiasInPlace<T>(dbc_.topRows(E), nullptr, sig_);
  }
}

template <typename T>
void MambaMixer<T>::Forward(const Mat<T>& U, SeqShape seq, Mat<T>& out) {
  const int E = shape_.E;
  const int n = shape_.n;
  seq_ = seq;
  if (&U != &U_) U_ = U;
  W_xz_.Forward(U_, xz_);
  if (shape_.conv > 0) {
    conv_.Forward(xz_.topRows(E), seq, a_conv_);
  } else {
    a_conv_ = xz_.topRows(E);
  }
  SiluForwardKeep<T>(a_conv_, a_, sig_a_);
  ComputeDeltaBC();
  scan_.Forward(a_, dbc_.topRows(E), dbc_.middleRows(E, n), dbc_.bottomRows(n), seq, y_);
  GateForward<T>(xz_.bottomRows(E), y_, yg_, sig_z_);
  W_out_.Forward(yg_, out);
}

// From the scan's gradients in ddbc ([dDelta_pre; dB; dC]: the scan has multiplied
// dDelta by softplus' = the kept sigmoid) to the parameters and da: one GEMM for the
// three weight gradients and one for da += [W_dt; W_B; W_C]^T ddbc.
template <typename T>
void MambaMixer<T>::BackwardDeltaBC() {
  const int E = shape_.E, n = shape_.n;
  Mat<T>& ddbc = grads_->ddbc;
  b_dt_->g.col(0) += ddbc.topRows(E).rowwise().sum();
  if (shape_.selective) {
    Mat<T>& gW = grads_->gW;
    gW.resize(E + 2 * n, E);
    gW.noalias() = ddbc * a_.transpose();
    W_dt_.weight()->g += gW.topRows(E);
    W_B_.weight()->g += gW.middleRows(E, n);
    W_C_.weight()->g += gW.bottomRows(n);
    grads_->da.noalias() += W_dbc_.transpose() * ddbc;
  } else {
    B_vec_->g.col(0) += ddbc.middleRows(E, n).rowwise().sum();
    C_vec_->g.col(0) += ddbc.bottomRows(n).rowwise().sum();
  }
}

namespace {

// The gate's backward over `cols` columns: yg = y (.) SiLU(z), SiLU(z) = z sig, so
// dz = SiLU'(z) (.) dyg (.) y and, in place of dyg, dy = dyg (.) SiLU(z). xz and dxz
// point at [a; z] and [da; dz] columns (2E rows), the others at E-row columns.
template <typename T>
void GateBackward(int E, int cols, T* __restrict dyg, const T* __restrict y,
                  const T* __restrict xz, const T* __restrict sig, T* __restrict dxz) {
  for (int c = 0; c < cols; ++c) {
    const long o = long(c) * E, o2 = 2 * long(c) * E + E;
    for (int e = 0; e < E; ++e) {
      const T d = dyg[o + e];
      dxz[o2 + e] = d * y[o + e] * sig[o + e] * (T(1) + xz[o2 + e] * (T(1) - sig[o + e]));
      dyg[o + e] = d * (xz[o2 + e] * sig[o + e]);
    }
  }
}

}  // namespace

template <typename T>
void MambaMixer<T>::Backward(const Mat<T>& dout, Mat<T>& dU) {
  const int E = shape_.E, n = shape_.n, cols = int(dout.cols());
  MixerGradBuffers<T>& g = *grads_;
  W_out_.Backward(yg_, dout, &g.dyg);
  // yg = y (.) SiLU(z), SiLU(z) = z sig: dz = SiLU'(z) (.) dyg (.) y and, in place of
  // dyg, dy = dyg (.) SiLU(z), in one pass over a sequence's columns right before the
  // scan reads its dy (still in cache then).
  g.dxz.resize(2 * E, cols);
  const typename SelectiveScan<T>::SequenceHook gate_backward = [&](int col0, int len) {
    GateBackward(E, len, g.dyg.col(col0).data(), y_.col(col0).data(), xz_.col(col0).data(),
                 sig_z_.col(col0).data(), g.dxz.col(col0).data());
  };
  g.ddbc.resize(E + 2 * n, cols);
  scan_.BackwardInto(g.dyg, g.da, g.ddbc.topRows(E), g.ddbc.middleRows(E, n),
                     g.ddbc.bottomRows(n), &sig_, &gate_backward);
  BackwardDeltaBC();
  SiluBackwardFromSigmoid<T>(a_conv_, sig_a_, g.da, g.da);  // in place: elementwise
  if (shape_.conv > 0) {
    conv_.Backward(xz_.topRows(E), g.da, seq_, g.dxz.topRows(E));
  } else {
    g.dxz.topRows(E) = g.da;
  }
  W_xz_.Backward(U_, g.dxz, &dU);
}

template class MambaMixer<float>;
template class MambaMixer<double>;

}  // namespace sweep::numerics::nets
