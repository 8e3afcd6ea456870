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
                          int num_layers, std::mt19937_64& rng)
    : shape_(shape) {
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
// three products as one GEMM with the stacked weights (rows of dbc_: Delta's
// pre-activation, then B, then C).
template <typename T>
void MambaMixer<T>::ComputeDeltaBC() {
  const int E = shape_.E, n = shape_.n, cols = int(a_.cols());
  if (shape_.selective) {
    W_dbc_.resize(E + 2 * n, E);
    W_dbc_.topRows(E) = W_dt_.weight()->w;
    W_dbc_.middleRows(E, n) = W_B_.weight()->w;
    W_dbc_.bottomRows(n) = W_C_.weight()->w;
    dbc_.resize(E + 2 * n, cols);
    dbc_.noalias() = W_dbc_ * a_;
    dbc_.topRows(E).colwise() += b_dt_->w.col(0);
    B_ = dbc_.middleRows(E, n);
    C_ = dbc_.bottomRows(n);
  } else {
    dbc_ = b_dt_->w.col(0).replicate(1, cols);
    B_ = B_vec_->w.col(0).replicate(1, cols);
    C_ = C_vec_->w.col(0).replicate(1, cols);
  }
  SoftplusKeepSigmoid<T>(dbc_.topRows(E), delta_, sig_);
}

template <typename T>
void MambaMixer<T>::Forward(const Mat<T>& U, SeqShape seq, Mat<T>& out) {
  const int E = shape_.E;
  seq_ = seq;
  U_ = U;
  W_xz_.Forward(U, xz_);
  if (shape_.conv > 0) {
    conv_.Forward(xz_.topRows(E), seq, a_conv_);
  } else {
    a_conv_ = xz_.topRows(E);
  }
  SiluForwardKeep<T>(a_conv_, a_, sig_a_);
  ComputeDeltaBC();
  scan_.Forward(a_, delta_, B_, C_, seq, y_);
  SiluForwardKeep<T>(xz_.bottomRows(E), gate_, sig_z_);
  yg_.resize(E, y_.cols());
  yg_.array() = y_.array() * gate_.array();
  W_out_.Forward(yg_, out);
}

// From the scan's ddelta, dB, dC (members) to the parameters and da_: softplus' = the
// kept sigmoid; the stacked gradient [dDelta_pre; dB; dC] goes through one GEMM for the
// three weight gradients and one for da += [W_dt; W_B; W_C]^T (.).
template <typename T>
void MambaMixer<T>::BackwardDeltaBC() {
  const int E = shape_.E, n = shape_.n, cols = int(a_.cols());
  if (shape_.selective) {
    ddbc_.resize(E + 2 * n, cols);
    ddbc_.topRows(E).array() = sig_.array() * ddelta_.array();
    ddbc_.middleRows(E, n) = dB_;
    ddbc_.bottomRows(n) = dC_;
    b_dt_->g.col(0) += ddbc_.topRows(E).rowwise().sum();
    gW_.resize(E + 2 * n, E);
    gW_.noalias() = ddbc_ * a_.transpose();
    W_dt_.weight()->g += gW_.topRows(E);
    W_B_.weight()->g += gW_.middleRows(E, n);
    W_C_.weight()->g += gW_.bottomRows(n);
    da_.noalias() += W_dbc_.transpose() * ddbc_;
  } else {
    b_dt_->g.col(0) += (sig_.array() * ddelta_.array()).matrix().rowwise().sum();
    B_vec_->g.col(0) += dB_.rowwise().sum();
    C_vec_->g.col(0) += dC_.rowwise().sum();
  }
}

template <typename T>
void MambaMixer<T>::Backward(const Mat<T>& dout, Mat<T>& dU) {
  const int E = shape_.E, cols = int(dout.cols());
  W_out_.Backward(yg_, dout, &dyg_);
  // yg = y (.) SiLU(z): dy = dyg (.) gate, dz = SiLU'(z) (.) dyg (.) y, in one pass.
  dy_.resize(E, cols);
  dxz_.resize(2 * E, cols);
  for (int c = 0; c < cols; ++c) {
    const T* __restrict dyg = dyg_.col(c).data();
    const T* __restrict gate = gate_.col(c).data();
    const T* __restrict y = y_.col(c).data();
    const T* __restrict z = xz_.col(c).data() + E;
    const T* __restrict sig = sig_z_.col(c).data();
    T* __restrict dy = dy_.col(c).data();
    T* __restrict dz = dxz_.col(c).data() + E;
    for (int e = 0; e < E; ++e) {
      dy[e] = dyg[e] * gate[e];
      dz[e] = dyg[e] * y[e] * sig[e] * (T(1) + z[e] * (T(1) - sig[e]));
    }
  }
  scan_.Backward(dy_, da_, ddelta_, dB_, dC_);
  BackwardDeltaBC();
  da_conv_.resize(E, cols);
  SiluBackwardFromSigmoid<T>(a_conv_, sig_a_, da_, da_conv_);
  if (shape_.conv > 0) {
    conv_.Backward(xz_.topRows(E), da_conv_, seq_, dxz_.topRows(E));
  } else {
    dxz_.topRows(E) = da_conv_;
  }
  W_xz_.Backward(U_, dxz_, &dU);
}

template class MambaMixer<float>;
template class MambaMixer<double>;

}  // namespace sweep::numerics::nets
