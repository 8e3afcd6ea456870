// Linear layer Y = W X (+ b), X (in, cols), W (out, in), b (out, 1). Stateless apart from
// its parameters: the caller keeps the forward input X (it usually holds it anyway) and
// passes it to Backward, so no activation is stored twice. Every product is one Eigen
// GEMM over all tokens of the batch.
#pragma once

#include <string>

#include "worker/numerics/nets/tensor.h"

namespace sweep::numerics::nets {

template <typename T>
class Linear {
 public:
  Linear() = default;
  // Registers `weight_name` (out, in) and, unless bias_name is empty, `bias_name` (out, 1).
  Linear(ParamSet<T>& params, const std::string& weight_name, const std::string& bias_name, int in,
         int out) {
    W_ = params.Add(weight_name, out, in);
    if (!bias_name.empty()) b_ = params.Add(bias_name, out, 1);
  }

  void Forward(const Mat<T>& X, Mat<T>& Y) const {
    Y.resize(W_->w.rows(), X.cols());
    Y.noalias() = W_->w * X;
    if (b_ != nullptr) Y.colwise() += b_->w.col(0);
  }
  // Accumulates dW += dY X^T and db; writes dX = W^T dY unless dX is null (an input that
  // needs no gradient, e.g. the tokens).
  void Backward(const Mat<T>& X, const Mat<T>& dY, Mat<T>* dX) const {
    W_->g.noalias() += dY * X.transpose();
    if (b_ != nullptr) b_->g.col(0) += dY.rowwise().sum();
    if (dX != nullptr) {
      dX->resize(W_->w.cols(), dY.cols());
      dX->noalias() = W_->w.transpose() * dY;
    }
  }
  // Same as Backward but adds W^T dY into dX instead of overwriting it.
  void BackwardAdd(const Mat<T>& X, const Mat<T>& dY, Mat<T>& dX) const {
    W_->g.noalias() += dY * X.transpose();
    if (b_ != nullptr) b_->g.col(0) += dY.rowwise().sum();
    dX.noalias() += W_->w.transpose() * dY;
  }

  Param<T>* weight() const { return W_; }
  Param<T>* bias() const { return b_; }

 private:
  Param<T>* W_ = nullptr;
  Param<T>* b_ = nullptr;
};

}  // namespace sweep::numerics::nets
