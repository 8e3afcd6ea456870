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

template <typename T>
void MambaMixer<T>::ComputeDeltaBC() {
  const int cols = a_.cols();
  if (shape_.selective) {
    W_dt_.Forward(a_, dt_pre_);
    dt_pre_.colwise() += b_dt_->w.col(0);
    W_B_.Forward(a_, B_);
    W_C_.Forward(a_, C_);
  } else {
    dt_pre_ = b_dt_->w.col(0).replicate(1, cols);
    B_ = B_vec_->w.col(0).replicate(1, cols);
    C_ = C_vec_->w.col(0).replicate(1, cols);
  }
  SoftplusForward(dt_pre_, delta_);
}

template <typename T>
void MambaMixer<T>::Forward(const Mat<T>& U, SeqShape seq, Mat<T>& out) {
  const int E = shape_.E;
  seq_ = seq;
  U_ = U;
  Mat<T> xz;
  W_xz_.Forward(U, xz);
  a_pre_ = xz.topRows(E);
  z_ = xz.bottomRows(E);
  if (shape_.conv > 0) {
    conv_.Forward(a_pre_, seq, a_conv_);
  } else {
    a_conv_ = a_pre_;
  }
  SiluForwardKeep(a_conv_, a_, den_a_);
  ComputeDeltaBC();
  scan_.Forward(a_, delta_, B_, C_, seq, y_);
  SiluForwardKeep(z_, gate_, den_z_);
  yg_.array() = y_.array() * gate_.array();
  W_out_.Forward(yg_, out);
}

template <typename T>
void MambaMixer<T>::BackwardDeltaBC(const Mat<T>& ddelta, const Mat<T>& dB, const Mat<T>& dC,
                                    Mat<T>& da) {
  // softplus' = sigmoid.
  Mat<T> ddt;
  SigmoidForward(dt_pre_, ddt);
  ddt.array() *= ddelta.array();
  b_dt_->g.col(0) += ddt.rowwise().sum();
  if (shape_.selective) {
    W_dt_.BackwardAdd(a_, ddt, da);
    W_B_.BackwardAdd(a_, dB, da);
    W_C_.BackwardAdd(a_, dC, da);
  } else {
    B_vec_->g.col(0) += dB.rowwise().sum();
    C_vec_->g.col(0) += dC.rowwise().sum();
  }
}

template <typename T>
void MambaMixer<T>::Backward(const Mat<T>& dout, Mat<T>& dU) {
  const int E = shape_.E;
  Mat<T> dyg;
  W_out_.Backward(yg_, dout, &dyg);
  Mat<T> dy = dyg.array() * gate_.array();
  Mat<T> dgate = dyg.array() * y_.array();
  Mat<T> dxz(2 * E, dout.cols());
  Mat<T> dz;
  SiluBackwardFromDen(z_, den_z_, dgate, dz);
  dxz.bottomRows(E) = dz;
  Mat<T> da, ddelta, dB, dC;
  scan_.Backward(dy, da, ddelta, dB, dC);
  BackwardDeltaBC(ddelta, dB, dC, da);
  Mat<T> da_conv;
  SiluBackwardFromDen(a_conv_, den_a_, da, da_conv);
  if (shape_.conv > 0) {
    Mat<T> da_pre;
    conv_.Backward(a_pre_, da_conv, seq_, da_pre);
    dxz.topRows(E) = da_pre;
  } else {
    dxz.topRows(E) = da_conv;
  }
  W_xz_.Backward(U_, dxz, &dU);
}

template class MambaMixer<float>;
template class MambaMixer<double>;

}  // namespace sweep::numerics::nets
