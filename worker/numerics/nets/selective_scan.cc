#include "worker/numerics/nets/selective_scan.h"

#include <cmath>

namespace sweep::numerics::nets {
namespace {

// One state column of the reverse step: m = ds (.) s_{t-1} (.) exp(Delta A) is the
// gradient reaching Delta A; it feeds dDelta (times A) and dA (times Delta), then ds is
// carried one step back through the decay. __restrict lets GCC vectorise over e (without
// it the aliasing checks defeat the vectoriser and the loop runs scalar).
template <typename T>
void DecayColumn(int E, T* __restrict ds, const T* __restrict s_prev, const T* __restrict decay,
                 const T* __restrict A, const T* __restrict delta, T* __restrict ddelta,
                 T* __restrict gA) {
  for (int e = 0; e < E; ++e) {
    const T m = ds[e] * s_prev[e] * decay[e];
    ddelta[e] += m * A[e];
    gA[e] += m * delta[e];
    ds[e] *= decay[e];
  }
}

// One state column of the recurrence, s_out = decay (.) s_prev + u B_k (recompute pass,
// separate buffers) ...
template <typename T>
void StateColumn(int E, const T* __restrict decay, const T* __restrict u, T Bk,
                 const T* __restrict s_prev, T* __restrict s_out) {
  for (int e = 0; e < E; ++e) s_out[e] = decay[e] * s_prev[e] + u[e] * Bk;
}

// ... and in place with the readout y += C_k s (forward pass).
template <typename T>
void StateColumnReadout(int E, const T* __restrict decay, const T* __restrict u, T Bk, T Ck,
                        T* __restrict s, T* __restrict y) {
  for (int e = 0; e < E; ++e) {
    s[e] = decay[e] * s[e] + u[e] * Bk;
    y[e] += Ck * s[e];
  }
}

}  // namespace

template <typename T>
SelectiveScan<T>::SelectiveScan(ParamSet<T>& params, const std::string& prefix, int E, int n)
    : E_(E), n_(n) {
  A_log_ = params.Add(prefix + "A_log", E, n);
  for (int k = 0; k < n; ++k) A_log_->w.col(k).setConstant(std::log(T(k + 1)));
  D_ = params.Add(prefix + "D", E, 1);
  D_->w.setOnes();
}

template <typename T>
void SelectiveScan<T>::Forward(const Mat<T>& a, const Mat<T>& delta, const Mat<T>& B,
                               const Mat<T>& C, SeqShape shape, Mat<T>& y) {
  a_ = &a, delta_ = &delta, B_ = &B, C_ = &C, shape_ = shape;
  A_ = -A_log_->w.array().exp();
  y.resize(E_, a.cols());
  Mat<T> s(E_, n_), decay(E_, n_);
  Vec<T> u(E_);
  for (int b = 0; b < shape.batch; ++b) {
    s.setZero();
    for (int t = b * shape.T; t < (b + 1) * shape.T; ++t) {
      DecayBlock(delta.col(t), decay);
      u.array() = delta.col(t).array() * a.col(t).array();
      T* yt = y.col(t).data();
      y.col(t).array() = D_->w.col(0).array() * a.col(t).array();
      for (int k = 0; k < n_; ++k) {
        const int off = k * E_;
        StateColumnReadout(E_, decay.data() + off, u.data(), B(k, t), C(k, t), s.data() + off,
                           yt);
      }
    }
  }
}

// decay = exp(Delta_t A), (E, n). Column by column: Eigen vectorises exp on a column
// expression, but falls back to scalar expf on the broadcast (colwise) form of the whole
// block (that alone doubled the step time).
template <typename T>
template <typename Out>
void SelectiveScan<T>::DecayBlock(const Eigen::Ref<const Vec<T>>& delta_t, Out& decay) const {
  for (int k = 0; k < n_; ++k) decay.col(k).array() = (A_.col(k).array() * delta_t.array()).exp();
}

// Replays the forward recurrence of one sequence, keeping s_t and exp(Delta_t A).
template <typename T>
void SelectiveScan<T>::RecomputeStates(int col0, int T_len) {
  const Mat<T>& a = *a_;
  const Mat<T>& delta = *delta_;
  const Mat<T>& B = *B_;
  Vec<T> u(E_);
  const Vec<T> zero = Vec<T>::Zero(E_);
  for (int t = 0; t < T_len; ++t) {
    const int c = col0 + t;
    Eigen::Map<Mat<T>> dA(decay_.col(t).data(), E_, n_);
    DecayBlock(delta.col(c), dA);
    u.array() = delta.col(c).array() * a.col(c).array();
    for (int k = 0; k < n_; ++k) {
      const int off = k * E_;
      const T* prev = t > 0 ? states_.col(t - 1).data() + off : zero.data();
      StateColumn(E_, dA.data() + off, u.data(), B(k, c), prev, states_.col(t).data() + off);
    }
  }
}

// Reverse-time pass over one sequence. Per step: the small contractions over E (dC, dB,
// du) are Eigen mat-vecs on the (E, n) blocks; the elementwise chain through
// exp(Delta A) is one fused loop per state column that GCC vectorises over e.
template <typename T>
void SelectiveScan<T>::BackwardSequence(const Mat<T>& dy, int col0, int T_len, Mat<T>& da,
                                        Mat<T>& ddelta, Mat<T>& dB, Mat<T>& dC) {
  const Mat<T>& a = *a_;
  const Mat<T>& delta = *delta_;
  const Mat<T>& B = *B_;
  const Mat<T>& C = *C_;
  Mat<T> ds = Mat<T>::Zero(E_, n_);
  Vec<T> du(E_), u(E_);
  for (int t = T_len - 1; t >= 0; --t) {
    const int c = col0 + t;
    Eigen::Map<const Mat<T>> st(states_.col(t).data(), E_, n_);
    auto dyt = dy.col(c);
    D_->g.col(0).array() += dyt.array() * a.col(c).array();
    u.array() = delta.col(c).array() * a.col(c).array();
    ds.noalias() += dyt * C.col(c).transpose();  // y_t = s_t C_t
    dC.col(c).noalias() = st.transpose() * dyt;
    dB.col(c).noalias() = ds.transpose() * u;     // s_t = ... + u_t B_t^T
    du.noalias() = ds * B.col(c);
    auto dd = ddelta.col(c);
    dd.array() = du.array() * a.col(c).array();
    da.col(c).array() = dyt.array() * D_->w.col(0).array() + du.array() * delta.col(c).array();
    const T* dA = decay_.col(t).data();
    const T* sp = t > 0 ? states_.col(t - 1).data() : nullptr;
    const T* A = A_.data();
    const T* dl = delta.col(c).data();
    T* dsp = ds.data();
    T* ddp = dd.data();
    T* gA = gA_.data();
    if (sp == nullptr) continue;  // s_{-1} = 0: nothing flows further back
    for (int k = 0; k < n_; ++k) {
      const int off = k * E_;
      DecayColumn(E_, dsp + off, sp + off, dA + off, A + off, dl, ddp, gA + off);
    }
  }
}

template <typename T>
void SelectiveScan<T>::Backward(const Mat<T>& dy, Mat<T>& da, Mat<T>& ddelta, Mat<T>& dB,
                                Mat<T>& dC) {
  const int cols = a_->cols();
  da.resize(E_, cols);
  ddelta.resize(E_, cols);
  dB.resize(n_, cols);
  dC.resize(n_, cols);
  states_.resize(E_ * n_, shape_.T);
  decay_.resize(E_ * n_, shape_.T);
  gA_.setZero(E_, n_);
  for (int b = 0; b < shape_.batch; ++b) {
    RecomputeStates(b * shape_.T, shape_.T);
    BackwardSequence(dy, b * shape_.T, shape_.T, da, ddelta, dB, dC);
  }
  // A = -exp(A_log): dA/dA_log = A.
  A_log_->g.array() += gA_.array() * A_.array();
}

template class SelectiveScan<float>;
template class SelectiveScan<double>;

}  // namespace sweep::numerics::nets
