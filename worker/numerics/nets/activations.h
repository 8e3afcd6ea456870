// Elementwise nonlinearities of the models (docs/science.md section 3) with their derivatives:
// SiLU (Mamba's conv output and z gate), softplus (Mamba's Delta) and GELU (GPT-2's MLP,
// tanh approximation as in GPT-2). Backward functions take the forward *input* x and the
// upstream gradient dy and return dx, so callers cache inputs only.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
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
void SiluBackwardFromSigmoid(const Eigen::Ref<const Mat<T>>& x,
                             const Eigen::Ref<const Mat<T>>& sig,
                             const Eigen::Ref<const Mat<T>>& dy, Eigen::Ref<Mat<T>> dx) {
  dx.array() = dy.array() * sig.array() * (T(1) + x.array() * (T(1) - sig.array()));
}

// log1p(t) for float t in [0, 1] (softplus' log1p(e^-|x|)): 2 atanh(z), z = t / (2 + t)
// in [0, 1/3], by its series in z^2 to z^15 (truncation < 1.3e-8 relative): a few ulps,
// and a plain expression that vectorises where Eigen's log1p is a pass of its own.
inline float Log1pUnit(float t) {
  const float z = t / (2.0f + t), w = z * z;
  float p = 1.0f / 15.0f;
  p = std::fma(p, w, 1.0f / 13.0f);
  p = std::fma(p, w, 1.0f / 11.0f);
  p = std::fma(p, w, 1.0f / 9.0f);
  p = std::fma(p, w, 1.0f / 7.0f);
  p = std::fma(p, w, 1.0f / 5.0f);
  p = std::fma(p, w, 1.0f / 3.0f);
  p = std::fma(p, w, 1.0f);
  return 2.0f * z * p;
}

// Softplus that keeps its derivative sigmoid(x) for the backward pass, both from one
// t = e^-|x|: softplus = max(x, 0) + log1p(t) (neither overflows nor loses the small
// values Delta takes at initialisation), sigmoid = 1 / (1 + t) for x >= 0 and t / (1 + t)
// below (no cancellation either way). One exp where softplus and a separate sigmoid in
// the backward pass took two; for float one pass over x.
template <typename T>
void SoftplusKeepSigmoid(const Eigen::Ref<const Mat<T>>& x, Mat<T>& y, Mat<T>& sig) {
  y.resize(x.rows(), x.cols());
  sig.resize(x.rows(), x.cols());
  if constexpr (std::is_same_v<T, float>) {
    const Eigen::Index rows = x.rows();
    for (Eigen::Index c = 0; c < x.cols(); ++c) {
      const float* __restrict in = x.col(c).data();
      float* __restrict out = y.col(c).data();
      float* __restrict s = sig.col(c).data();
      for (Eigen::Index r = 0; r < rows; ++r) {
        // The sign on the bits (negative: all ones), so that the choices vectorise (a
        // float compare, which may trap, does not); -0 goes either way to the same values.
        const float v = in[r];
        const int32_t neg = std::bit_cast<int32_t>(v) >> 31;
        const float t = ExpOne(-std::abs(v));
        const float inv = 1.0f / (1.0f + t);
        const float v_plus = std::bit_cast<float>(std::bit_cast<int32_t>(v) & ~neg);  // max(v, 0)
        const float t_or_1 = std::bit_cast<float>((std::bit_cast<int32_t>(t) & neg) |
                                                  (std::bit_cast<int32_t>(1.0f) & ~neg));
        out[r] = v_plus + Log1pUnit(t);
        s[r] = t_or_1 * inv;
      }
    }
  } else {
    Mat<T>& t = sig;  // e^-|x| first, then sigmoid in place
    t.array() = (-x.array().abs()).exp();
    y.array() = x.array().max(T(0)) + t.array().log1p();
    sig.array() = (x.array() >= T(0)).select(T(1), t.array()) / (T(1) + t.array());
  }
}

namespace detail {

// SoftplusKeepSigmoid's operations on v = x + bias (HasBias) or v = x, in place of x.
template <bool HasBias>
void SoftplusColumnInPlace(Eigen::Index rows, float* __restrict io,
                           const float* __restrict bias, float* __restrict s) {
  for (Eigen::Index r = 0; r < rows; ++r) {
    const float v = HasBias ? io[r] + bias[r] : io[r];
    const int32_t neg = std::bit_cast<int32_t>(v) >> 31;
    const float t = ExpOne(-std::abs(v));
    const float inv = 1.0f / (1.0f + t);
    const float v_plus = std::bit_cast<float>(std::bit_cast<int32_t>(v) & ~neg);
    const float t_or_1 = std::bit_cast<float>((std::bit_cast<int32_t>(t) & neg) |
                                              (std::bit_cast<int32_t>(1.0f) & ~neg));
    io[r] = v_plus + Log1pUnit(t);
    s[r] = t_or_1 * inv;
  }
}

}  // namespace detail

// The mixer's Delta in place: x <- softplus(x + bias) over the rows of x (a block of the
// mixer's stacked [Delta; B; C], bias (rows) or null), keeping sigmoid(x + bias) in sig.
// For float the bias add, softplus and sigmoid run in one pass with the floats of a
// separate bias add and SoftplusKeepSigmoid; double computes SoftplusKeepSigmoid into a
// fresh matrix and copies it back (Eigen's double exp and log1p give bits that depend on
// where an element sits in the destination, so the destination stays what it was).
template <typename T>
void SoftplusBiasInPlace(Eigen::Ref<Mat<T>> x, const T* bias, Mat<T>& sig) {
  sig.resize(x.rows(), x.cols());
  if constexpr (std::is_same_v<T, float>) {
    for (Eigen::Index c = 0; c < x.cols(); ++c) {
      if (bias != nullptr) {
        detail::SoftplusColumnInPlace<true>(x.rows(), x.col(c).data(), bias, sig.col(c).data());
      } else {
        detail::SoftplusColumnInPlace<false>(x.rows(), x.col(c).data(), nullptr,
                                             sig.col(c).data());
      }
    }
  } else {
    if (bias != nullptr) {
      x.colwise() += Eigen::Map<const Vec<T>>(bias, x.rows());
    }
    Mat<T> y;
    SoftplusKeepSigmoid<T>(x, y, sig);
    x = y;
  }
}

// The mixer's gate: sig = sigmoid(z) and yg = y (.) SiLU(z) = y (.) (z sig) in one pass
// for float, with the floats of SiluForwardKeep followed by the product; SiLU(z) itself
// is not stored (the backward pass recomputes z sig, the same float).
template <typename T>
void GateForward(const Eigen::Ref<const Mat<T>>& z, const Mat<T>& y, Mat<T>& yg, Mat<T>& sig) {
  yg.resize(z.rows(), z.cols());
  sig.resize(z.rows(), z.cols());
  if constexpr (std::is_same_v<T, float>) {
    const Eigen::Index rows = z.rows();
    for (Eigen::Index c = 0; c < z.cols(); ++c) {
      const float* __restrict in = z.col(c).data();
      const float* __restrict yc = y.col(c).data();
      float* __restrict s = sig.col(c).data();
      float* __restrict out = yg.col(c).data();
      for (Eigen::Index r = 0; r < rows; ++r) {
        s[r] = 1.0f / (1.0f + ExpOne(-in[r]));
        out[r] = yc[r] * (in[r] * s[r]);
      }
    }
  } else {
    Mat<T> gate;
    SiluForwardKeep<T>(z, gate, sig);
    yg.array() = y.array() * gate.array();
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

// `th` is scratch for tanh of the inner term (sized here): a caller that keeps it across
// steps saves an allocation of x's size per call.
template <typename T>
void GeluBackward(const Mat<T>& x, const Mat<T>& dy, Mat<T>& dx,
                  Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic>& th) {
  const T c = T(0.7978845608028654);
  th.resize(x.rows(), x.cols());
  th = (c * (x.array() + T(0.044715) * x.array().cube())).tanh();
  dx.resize(x.rows(), x.cols());
  dx.array() =
      dy.array() * (T(0.5) * (T(1) + th) + T(0.5) * x.array() * (T(1) - th.square()) * c *
                                               (T(1) + T(3 * 0.044715) * x.array().square()));
}

}  // namespace sweep::numerics::nets
