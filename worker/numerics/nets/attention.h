// Causal multi-head self-attention of the GPT-2 baseline (docs/science.md section 3) on a
// batch of sequences X (D, cols): [q; k; v] = W_qkv x + b_qkv, per head h (width
// dh = D / H) and query t,
//   softmax: P[:, t] = softmax_j<=t (k_j . q_t / sqrt(dh))
//   linear:  P[j, t] = k_j . q_t / (sqrt(dh) (t + 1))  for j <= t (no softmax; the 1/(t+1)
//            keeps the output's scale independent of the position, as softmax's weights do)
//   o_t = sum_j P[j, t] v_j;  out = W_o [o_1; ..; o_H] + b_o.
// Tensor names: "<prefix>W_qkv", "b_qkv", "W_o", "b_o".
#pragma once

#include <random>
#include <string>

#include "worker/numerics/nets/linear.h"
#include "worker/numerics/nets/tensor.h"

namespace sweep::numerics::nets {

template <typename T>
class CausalSelfAttention {
 public:
  // GPT-2 init: weights N(0, 0.02^2), W_o N(0, (0.02 / sqrt(2 L))^2), biases 0.
  CausalSelfAttention(ParamSet<T>& params, const std::string& prefix, int D, int H, bool softmax,
                      int num_layers, std::mt19937_64& rng);
  CausalSelfAttention(const CausalSelfAttention&) = delete;
  CausalSelfAttention& operator=(const CausalSelfAttention&) = delete;

  void Forward(const Mat<T>& X, SeqShape seq, Mat<T>& out);
  void Backward(const Mat<T>& dout, Mat<T>& dX);

 private:
  void Weights(int b, int h, Mat<T>& P) const;
  void ScoreGradient(const Mat<T>& P, Mat<T>& dP) const;

  int D_, H_, dh_;
  bool softmax_;
  T scale_;
  SeqShape seq_;
  Linear<T> W_qkv_, W_o_;
  Mat<T> X_, qkv_, ctx_;
  Mat<T> P_;  // (T, T) scratch: column t = weights of query t (one head at a time)
  Mat<T> dctx_, dqkv_, dP_;  // Backward's scratch, kept: no allocation per call
};

extern template class CausalSelfAttention<float>;
extern template class CausalSelfAttention<double>;

}  // namespace sweep::numerics::nets
