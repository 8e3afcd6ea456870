// Column-wise normalisations over the feature axis: RMSNorm (Mamba blocks, docs/science.md
// section 3) and LayerNorm (GPT-2 pre-LN blocks). Both have a learned gain ("weight",
// initialised to 1); LayerNorm also a bias (initialised to 0). eps = 1e-5 as in both
// reference implementations.
#pragma once

#include <string>

#include "worker/numerics/nets/tensor.h"

namespace sweep::numerics::nets {

template <typename T>
class Norm {
 public:
  enum class Kind { kRms, kLayer };
  Norm() = default;
  Norm(ParamSet<T>& params, const std::string& name, int dim, Kind kind) : kind_(kind) {
    w_ = params.Add(name + ".weight", dim, 1);
    w_->w.setOnes();
    if (kind == Kind::kLayer) b_ = params.Add(name + ".bias", dim, 1);
  }

  void Forward(const Mat<T>& X, Mat<T>& Y) {
    const T inv_dim = T(1) / T(X.rows());
    xhat_ = X;
    if (kind_ == Kind::kLayer) {
      RowVec<T> mu = X.colwise().sum() * inv_dim;
      xhat_.rowwise() -= mu;
    }
    rstd_ = ((xhat_.array().square().colwise().sum() * inv_dim) + T(1e-5)).rsqrt().matrix();
    xhat_.array().rowwise() *= rstd_.array();
    Y.resize(X.rows(), X.cols());
    Y.array() = xhat_.array().colwise() * w_->w.col(0).array();
    if (b_ != nullptr) Y.colwise() += b_->w.col(0);
  }

  // dx = rstd (g - mean(g) [LayerNorm only] - xhat mean(g xhat)), g = dy * weight.
  void Backward(const Mat<T>& dY, Mat<T>& dX) {
    const T inv_dim = T(1) / T(dY.rows());
    w_->g.col(0) += (dY.array() * xhat_.array()).rowwise().sum().matrix();
    if (b_ != nullptr) b_->g.col(0) += dY.rowwise().sum();
    dX.resize(dY.rows(), dY.cols());
    dX.array() = dY.array().colwise() * w_->w.col(0).array();
    RowVec<T> proj = (dX.array() * xhat_.array()).colwise().sum().matrix() * inv_dim;
    if (kind_ == Kind::kLayer) {
      RowVec<T> mean = dX.colwise().sum() * inv_dim;
      dX.rowwise() -= mean;
    }
    dX.array() -= xhat_.array().rowwise() * proj.array();
    dX.array().rowwise() *= rstd_.array();
  }

 private:
  Kind kind_ = Kind::kRms;
  Param<T>* w_ = nullptr;
  Param<T>* b_ = nullptr;
  Mat<T> xhat_;
  RowVec<T> rstd_;
};

}  // namespace sweep::numerics::nets
