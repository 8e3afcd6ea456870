// Causal depthwise 1-D convolution over time (Mamba's conv, docs/science.md section 3):
// y[:, t] = bias + sum_{j<K} w[:, j] (.) x[:, t - (K-1) + j], with x = 0 before the start
// of each sequence (no leakage between the sequences of a batch). Stateless apart from
// its parameters; the caller passes the forward input to Backward.
#pragma once

#include <string>

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
  void Forward(const Eigen::Ref<const Mat<T>>& X, SeqShape shape, Mat<T>& Y) const {
    const int K = static_cast<int>(w_->w.cols());
    Y.resize(X.rows(), X.cols());
    Y.colwise() = b_->w.col(0);
    for (int b = 0; b < shape.batch; ++b) {
      const int c0 = b * shape.T;
      for (int j = 0; j < K; ++j) {
        const int shift = K - 1 - j;  // output t reads input t - shift
        const int len = shape.T - shift;
        if (len <= 0) continue;
        Y.middleCols(c0 + shift, len).array() +=
            X.middleCols(c0, len).array().colwise() * w_->w.col(j).array();
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
    const int K = static_cast<int>(w_->w.cols());
    b_->g.col(0) += dY.rowwise().sum();
    dX.setZero();
    for (int b = 0; b < shape.batch; ++b) {
      const int c0 = b * shape.T;
      for (int j = 0; j < K; ++j) {
        const int shift = K - 1 - j;
        const int len = shape.T - shift;
        if (len <= 0) continue;
        w_->g.col(j) += (dY.middleCols(c0 + shift, len).array() * X.middleCols(c0, len).array())
                            .rowwise()
                            .sum()
                            .matrix();
        dX.middleCols(c0, len).array() +=
            dY.middleCols(c0 + shift, len).array().colwise() * w_->w.col(j).array();
      }
    }
  }

  Param<T>* weight() const { return w_; }
  Param<T>* bias() const { return b_; }

 private:
  Param<T>* w_ = nullptr;
  Param<T>* b_ = nullptr;
};

}  // namespace sweep::numerics::nets
