#include "worker/numerics/nets/attention.h"

#include <cmath>

#include "worker/numerics/nets/init.h"

namespace sweep::numerics::nets {

template <typename T>
CausalSelfAttention<T>::CausalSelfAttention(ParamSet<T>& params, const std::string& prefix, int D,
                                            int H, bool softmax, int num_layers,
                                            std::mt19937_64& rng)
    : D_(D), H_(H), dh_(D / H), softmax_(softmax), scale_(T(1) / std::sqrt(T(D / H))) {
  W_qkv_ = Linear<T>(params, prefix + "W_qkv", prefix + "b_qkv", D, 3 * D);
  FillNormal(W_qkv_.weight(), 0.02, rng);
  W_o_ = Linear<T>(params, prefix + "W_o", prefix + "b_o", D, D);
  FillNormal(W_o_.weight(), 0.02 / std::sqrt(2.0 * num_layers), rng);
}

// P = causal weights of head h of sequence b, (keys, queries). Recomputed in Backward
// rather than stored: keeping every P costs batch * H * T^2 scalars (1 GB at N = 512,
// batch 64), recomputing costs one small GEMM and a softmax per head.
template <typename T>
void CausalSelfAttention<T>::Weights(int b, int h, Mat<T>& P) const {
  const int T_len = seq_.T, c0 = b * T_len;
  auto Q = qkv_.block(h * dh_, c0, dh_, T_len);
  auto K = qkv_.block(D_ + h * dh_, c0, dh_, T_len);
  P.resize(T_len, T_len);
  P.noalias() = K.transpose() * Q;
  for (int t = 0; t < T_len; ++t) {
    auto col = P.col(t).head(t + 1);
    if (softmax_) {
      col *= scale_;
      col.array() = (col.array() - col.maxCoeff()).exp();
      col /= col.sum();
    } else {
      col *= scale_ / T(t + 1);
    }
    P.col(t).tail(T_len - t - 1).setZero();
  }
}

template <typename T>
void CausalSelfAttention<T>::Forward(const Mat<T>& X, SeqShape seq, Mat<T>& out) {
  seq_ = seq;
  X_ = X;
  W_qkv_.Forward(X, qkv_);
  ctx_.resize(D_, X.cols());
  for (int b = 0; b < seq.batch; ++b) {
    for (int h = 0; h < H_; ++h) {
      Weights(b, h, P_);
      auto V = qkv_.block(2 * D_ + h * dh_, b * seq.T, dh_, seq.T);
      ctx_.block(h * dh_, b * seq.T, dh_, seq.T).noalias() = V * P_;
    }
  }
  W_o_.Forward(ctx_, out);
}

// Gradient of the scores from dP: softmax dS = P (.) (dP - <P, dP>) * scale; linear
// dS = dP * scale / (t + 1); zero above the diagonal.
template <typename T>
void CausalSelfAttention<T>::ScoreGradient(const Mat<T>& P, Mat<T>& dP) const {
  const int T_len = int(P.rows());
  for (int t = 0; t < T_len; ++t) {
    auto col = dP.col(t).head(t + 1);
    if (softmax_) {
      const T dot = P.col(t).head(t + 1).dot(col);
      col.array() = P.col(t).head(t + 1).array() * (col.array() - dot) * scale_;
    } else {
      col *= scale_ / T(t + 1);
    }
    dP.col(t).tail(T_len - t - 1).setZero();
  }
}

template <typename T>
void CausalSelfAttention<T>::Backward(const Mat<T>& dout, Mat<T>& dX) {
  Mat<T>& dctx = dctx_;
  Mat<T>& dqkv = dqkv_;
  Mat<T>& dP = dP_;
  W_o_.Backward(ctx_, dout, &dctx);
  dqkv.resize(3 * D_, dout.cols());  // every block is written below
  const int T_len = seq_.T;
  for (int b = 0; b < seq_.batch; ++b) {
    for (int h = 0; h < H_; ++h) {
      const int c0 = b * T_len;
      auto Q = qkv_.block(h * dh_, c0, dh_, T_len);
      auto K = qkv_.block(D_ + h * dh_, c0, dh_, T_len);
      auto V = qkv_.block(2 * D_ + h * dh_, c0, dh_, T_len);
      auto dO = dctx.block(h * dh_, c0, dh_, T_len);
      Weights(b, h, P_);
      dqkv.block(2 * D_ + h * dh_, c0, dh_, T_len).noalias() = dO * P_.transpose();
      dP.noalias() = V.transpose() * dO;
      ScoreGradient(P_, dP);
      dqkv.block(h * dh_, c0, dh_, T_len).noalias() = K * dP;
      dqkv.block(D_ + h * dh_, c0, dh_, T_len).noalias() = Q * dP.transpose();
    }
  }
  W_qkv_.Backward(X_, dqkv, &dX);
}

template class CausalSelfAttention<float>;
template class CausalSelfAttention<double>;

}  // namespace sweep::numerics::nets
