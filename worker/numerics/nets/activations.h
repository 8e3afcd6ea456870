// Elementwise nonlinearities of the models (docs/science.md section 3) with their derivatives:
// SiLU (Mamba's conv output and z gate), softplus (Mamba's Delta) and GELU (GPT-2's MLP,
// tanh approximation as in GPT-2). Backward functions take the forward *input* x and the
// upstream gradient dy and return dx, so callers cache inputs only.
#pragma once

#include <cmath>
#include <type_traits>

#include "worker/numerics/nets/fast_exp.h"
#include "worker/numerics/nets/tensor.h"

namespace sweep::numerics::nets {

template <typename T>
void SiluForward(const Mat<T>& x, Mat<T>& y) {
  y.resize(x.rows(), x.cols());
  y.array() = x.array() / (T(1) + (-x.array()).exp());
}

// d/dx [x s(x)] = s (1 + x (1 - s)), s = sigmoid(x). Array expressions throughout, so
// Eigen vectorises exp/tanh (scalar libm calls were ~10% of a Mamba step).
template <typename T>
void SiluBackward(const Mat<T>& x, const Mat<T>& dy, Mat<T>& dx) {
  const Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic> s = (T(1) + (-x.array()).exp()).inverse();
  dx.resize(x.rows(), x.cols());
  dx.array() = dy.array() * s * (T(1) + x.array() * (T(1) - s));
}

// The mixer's forms below take blocks (Eigen::Ref: the a and z rows of [a; z] without a
// copy) and, for float, compute e^x with ExpOne (fast_exp.h): a plain loop per column
// that GCC vectorises, instead of Eigen's general exp (results version 4,
// docs/science.md section 5). double (gradient checks, dtype float64) keeps Eigen's exp.
namespace detail {

// out = exp(sign * x), elementwise, out sized like x.
template <typename T>
void ExpSigned(const Eigen::Ref<const Mat<T>>& x, T sign, Mat<T>& out) {
  out.resize(x.rows(), x.cols());
  if constexpr (std::is_same_v<T, float>) {
    const Eigen::Index rows = x.rows();
    for (Eigen::Index c = 0; c < x.cols(); ++c) {
      const float* __restrict in = x.col(c).data();
      float* __restrict o = out.col(c).data();
      for (Eigen::Index r = 0; r < rows; ++r) o[r] = ExpOne(sign * in[r]);
    }
  } else {
    out.array() = (sign * x.array()).exp();
  }
}

}  // namespace detail

// SiLU y = x s, s = sigmoid(x) = 1 / (1 + e^-x), keeping s for SiluBackwardFromSigmoid:
// the backward pass then needs neither an exp nor a division. One pass per column.
template <typename T>
void SiluForwardKeep(const Eigen::Ref<const Mat<T>>& x, Mat<T>& y, Mat<T>& sig) {
  y.resize(x.rows(), x.cols());
  sig.resize(x.rows(), x.cols());
  if constexpr (std::is_same_v<T, float>) {
    const Eigen::Index rows = x.rows();
    for (Eigen::Index c = 0; c < x.cols(); ++c) {
      const float* __restrict in = x.col(c).data();
      float* __restrict s = sig.col(c).data();
      float* __restrict out = y.col(c).data();
      for (Eigen::Index r = 0; r < rows; ++r) {
        s[r] = 1.0f / (1.0f + ExpOne(-in[r]));
        out[r] = in[r] * s[r];
      }
    }
  } else {
    sig.array() = (T(1) + (-x.array()).exp()).inverse();
    y.array() = x.array() * sig.array();
  }
}
// d/dx [x s(x)] = s (1 + x (1 - s)).
template <typename T>
void SiluBackwardFromSigmoid(const Eigen::Ref<const Mat<T>>& x, const Mat<T>& sig,
                             const Mat<T>& dy, Eigen::Ref<Mat<T>> dx) {
  dx.array() = dy.array() * sig.array() * (T(1) + x.array() * (T(1) - sig.array()));
}

// Softplus that keeps its derivative sigmoid(x) for the backward pass, both from one
// t = e^-|x|: softplus = max(x, 0) + log1p(t) (neither overflows nor loses the small
// values Delta takes at initialisation), sigmoid = 1 / (1 + t) for x >= 0 and t / (1 + t)
// below (no cancellation either way). One exp where softplus and a separate sigmoid in
// the backward pass took two.
template <typename T>
void SoftplusKeepSigmoid(const Eigen::Ref<const Mat<T>>& x, Mat<T>& y, Mat<T>& sig) {
  Mat<T>& t = sig;  // e^-|x| first, then sigmoid in place
  t.resize(x.rows(), x.cols());
  if constexpr (std::is_same_v<T, float>) {
    const Eigen::Index rows = x.rows();
    for (Eigen::Index c = 0; c < x.cols(); ++c) {
      const float* __restrict in = x.col(c).data();
      float* __restrict o = t.col(c).data();
      for (Eigen::Index r = 0; r < rows; ++r) o[r] = ExpOne(-std::abs(in[r]));
    }
  } else {
    t.array() = (-x.array().abs()).exp();
  }
  y.resize(x.rows(), x.cols());
  y.array() = x.array().max(T(0)) + t.array().log1p();
  sig.array() = (x.array() >= T(0)).select(T(1), t.array()) / (T(1) + t.array());
}

// softplus(x) = log(1 + e^x), computed as max(x, 0) + log1p(e^-|x|) so that it neither
// overflows nor loses the small values Delta takes at initialisation.
template <typename T>
T Softplus(T x) {
  return std::max(x, T(0)) + std::log1p(std::exp(-std::abs(x)));
}
template <typename T>
T Sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}
// GPT-2's GELU: 0.5 x (1 + tanh(c (x + 0.044715 x^3))), c = sqrt(2 / pi).
template <typename T>
void GeluForward(const Mat<T>& x, Mat<T>& y) {
  const T c = T(0.7978845608028654);
  y.resize(x.rows(), x.cols());
  y.array() =
      T(0.5) * x.array() * (T(1) + (c * (x.array() + T(0.044715) * x.array().cube())).tanh());
}

template <typename T>
void GeluBackward(const Mat<T>& x, const Mat<T>& dy, Mat<T>& dx) {
  const T c = T(0.7978845608028654);
  const Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic> th =
      (c * (x.array() + T(0.044715) * x.array().cube())).tanh();
  dx.resize(x.rows(), x.cols());
  dx.array() =
      dy.array() * (T(0.5) * (T(1) + th) + T(0.5) * x.array() * (T(1) - th.square()) * c *
                                               (T(1) + T(3 * 0.044715) * x.array().square()));
}

}  // namespace sweep::numerics::nets
