// Elementwise nonlinearities of the models (SCIENCE.md section 3) with their derivatives:
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

// d/dx [x s(x)] = s (1 + x (1 - s)), s = sigmoid(x).
template <typename T>
void SiluBackward(const Mat<T>& x, const Mat<T>& dy, Mat<T>& dx) {
  dx.resize(x.rows(), x.cols());
  const Eigen::Index size = x.size();
  const T* xp = x.data();
  const T* dyp = dy.data();
  T* dxp = dx.data();
  for (Eigen::Index i = 0; i < size; ++i) {
    const T s = T(1) / (T(1) + std::exp(-xp[i]));
    dxp[i] = dyp[i] * s * (T(1) + xp[i] * (T(1) - s));
  }
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
  dx.resize(x.rows(), x.cols());
  const Eigen::Index size = x.size();
  for (Eigen::Index i = 0; i < size; ++i) {
    const T v = x.data()[i];
    const T th = std::tanh(c * (v + T(0.044715) * v * v * v));
    const T d = T(0.5) * (T(1) + th) +
                T(0.5) * v * (T(1) - th * th) * c * (T(1) + T(3 * 0.044715) * v * v);
    dx.data()[i] = dy.data()[i] * d;
  }
}

}  // namespace sweep::numerics::nets
