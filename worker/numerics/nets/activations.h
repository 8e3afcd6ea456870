// Elementwise nonlinearities of the models (docs/science.md section 3) with their derivatives:
// SiLU (Mamba's conv output and z gate), softplus (Mamba's Delta) and GELU (GPT-2's MLP,
// tanh approximation as in GPT-2). Backward functions take the forward *input* x and the
// upstream gradient dy and return dx, so callers cache inputs only.
#pragma once

#include <cmath>

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

// SiLU that keeps den = 1 + e^-x for SiluBackwardFromDen: the backward pass then needs no
// exp. y is computed exactly as SiluForward computes it and s = 1 / den exactly as
// SiluBackward computes it, so the pair gives the same bits as the pair above.
template <typename T>
void SiluForwardKeep(const Mat<T>& x, Mat<T>& y, Mat<T>& den) {
  den.resize(x.rows(), x.cols());
  den.array() = T(1) + (-x.array()).exp();
  y.resize(x.rows(), x.cols());
  y.array() = x.array() / den.array();
}
template <typename T>
void SiluBackwardFromDen(const Mat<T>& x, const Mat<T>& den, const Mat<T>& dy, Mat<T>& dx) {
  dx.resize(x.rows(), x.cols());
  dx.array() = dy.array() * den.array().inverse() * (T(1) + x.array() * (T(1) - den.array().inverse()));
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
template <typename T>
void SoftplusForward(const Mat<T>& x, Mat<T>& y) {
  y.resize(x.rows(), x.cols());
  y.array() = x.array().max(T(0)) + (-x.array().abs()).exp().log1p();
}
// softplus'(x) = sigmoid(x).
template <typename T>
void SigmoidForward(const Mat<T>& x, Mat<T>& y) {
  y.resize(x.rows(), x.cols());
  y.array() = (T(1) + (-x.array()).exp()).inverse();
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
