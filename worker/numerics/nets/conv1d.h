// Causal depthwise 1-D convolution over time (Mamba's conv, docs/science.md section 3):
// y[:, t] = bias + sum_{j<K} w[:, j] (.) x[:, t - (K-1) + j], with x = 0 before the start
// of each sequence (no leakage between the sequences of a batch). Stateless apart from
// its parameters; the caller passes the forward input to Backward.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "worker/numerics/nets/tensor.h"

namespace sweep::numerics::nets {

template <typename T>
class CausalConv1d {
 public:
  CausalConv1d() = default;
  CausalConv1d(ParamSet<T>& params, const std::string& prefix, int channels, int kernel) {
    w_ = params.Add(prefix + "conv_w", channels, kernel);
    b_ = params.Add(prefix + "conv_b", channels, 1);
  }

  // X may be a block of a larger matrix (the mixer's a rows of [a; z]): no copy.
  // One pass over the output, column by column: y = bias, then + x[t - (K-1) + j] w[:, j]
  // for j = 0..K-1, the sum kept in registers (the floats of K separate shifted passes
  // over Y, which this replaces).
  void Forward(const Eigen::Ref<const Mat<T>>& X, SeqShape shape, Mat<T>& Y) const {
    const int K = static_cast<int>(w_->w.cols());
    Y.resize(X.rows(), X.cols());
    std::vector<const T*> src(K), taps(K);  // the column's inputs and their taps
    for (int b = 0; b < shape.batch; ++b) {
      const int c0 = b * shape.T;
      for (int t = 0; t < shape.T; ++t) {
        int m = 0;
        for (int j = std::max(0, K - 1 - t); j < K; ++j, ++m) {  // input t - (K-1) + j >= 0
          src[m] = X.col(c0 + t - (K - 1) + j).data();
          taps[m] = w_->w.col(j).data();
        }
        SumOfProducts(X.rows(), b_->w.data(), m, src.data(), taps.data(), Y.col(c0 + t).data());
      }
    }
  }

  void Backward(const Eigen::Ref<const Mat<T>>& X, const Mat<T>& dY, SeqShape shape,
                Mat<T>& dX) const {
    dX.resize(X.rows(), X.cols());
    Backward(X, dY, shape, Eigen::Ref<Mat<T>>(dX));
  }
  // Writes dX in place, e.g. into the a rows of the mixer's [da; dz] (sized like X).
  void Backward(const Eigen::Ref<const Mat<T>>& X, const Mat<T>& dY, SeqShape shape,
                Eigen::Ref<Mat<T>> dX) const {
    BackwardBias(dY);
    for (int b = 0; b < shape.batch; ++b) BackwardSequence(X, dY, shape.T, b * shape.T, dX);
  }
  // Backward in parts, for a caller that produces dY a sequence at a time (the mixer):
  // the bias gradient over every column, and the weight gradient and dX of the sequence
  // at columns [c0, c0 + T), sequence after sequence (the order of the sums above).
  void BackwardBias(const Mat<T>& dY) const { b_->g.col(0) += dY.rowwise().sum(); }
  void BackwardSequence(const Eigen::Ref<const Mat<T>>& X, const Eigen::Ref<const Mat<T>>& dY,
                        int T_len, int c0, Eigen::Ref<Mat<T>> dX) const {
    const int K = static_cast<int>(w_->w.cols());
    const Eigen::Index rows = X.rows();
    for (int j = 0; j < K; ++j) {
      const int shift = K - 1 - j;
      const int len = T_len - shift;
      if (len <= 0) continue;
      w_->g.col(j) += (dY.middleCols(c0 + shift, len).array() * X.middleCols(c0, len).array())
                          .rowwise()
                          .sum()
                          .matrix();
    }
    // dx[t] = 0 + dy[t + K-1-j] w[:, j] for j = 0..K-1 (the outputs that read input t),
    // in one pass: the floats of zeroing dX and K shifted passes.
    std::vector<const T*> src(K), taps(K);  // the column's inputs and their taps
    for (int t = 0; t < T_len; ++t) {
      int m = 0;
      for (int j = 0; j < K; ++j) {
        const int out = t + K - 1 - j;
        if (out >= T_len) continue;
        src[m] = dY.col(c0 + out).data();
        taps[m++] = w_->w.col(j).data();
      }
      SumOfProducts(rows, nullptr, m, src.data(), taps.data(), dX.col(c0 + t).data());
    }
  }

  Param<T>* weight() const { return w_; }
  Param<T>* bias() const { return b_; }

 private:
  // out = init + src[0] (.) taps[0] + ... + src[m-1] (.) taps[m-1] over `rows`, added in
  // that order (init = 0 when null), one 32-byte vector of rows at a time with the sum in
  // a register. GCC vector types: the compiler's own vectorisation of this loop nest used
  // 128-bit and scalar pieces. a + x * w is contracted to one fused multiply-add here as
  // GCC contracts it in the elementwise Eigen expressions this replaced (nets_fingerprint:
  // the same floats).
  static void SumOfProducts(Eigen::Index rows, const T* __restrict init, int m,
                            const T* const* src, const T* const* taps, T* __restrict out) {
    constexpr int kLanes = 32 / sizeof(T);
    typedef T V __attribute__((vector_size(32)));
    Eigen::Index r0 = 0;
    for (; r0 + kLanes <= rows; r0 += kLanes) {
      V acc = {};
      if (init != nullptr) std::memcpy(&acc, init + r0, sizeof(V));
      for (int j = 0; j < m; ++j) {
        V x, w;
        std::memcpy(&x, src[j] + r0, sizeof(V));
        std::memcpy(&w, taps[j] + r0, sizeof(V));
        acc = acc + x * w;
      }
      std::memcpy(out + r0, &acc, sizeof(V));
    }
    for (Eigen::Index r = r0; r < rows; ++r) {
      T acc = init != nullptr ? init[r] : T(0);
      for (int j = 0; j < m; ++j) acc = acc + src[j][r] * taps[j][r];
      out[r] = acc;
    }
  }

  Param<T>* w_ = nullptr;
  Param<T>* b_ = nullptr;
};

}  // namespace sweep::numerics::nets
