// exp(x) for float x, written as plain loops that GCC vectorises (8 lanes with AVX2)
// without a call per element: the decay exp(Delta A) of the selective scan (about 4
// billion evaluations per default `mamba` job, where Eigen's general exp was a fifth of a
// training step) and the SiLU / softplus of the mixer (docs/performance.md).
//
// ExpOne's method: n = round(x / ln 2), r = x - n ln 2 in two parts (Cody-Waite, so r is exact to
// float rounding even for x = -87), e^r by its Taylor polynomial to degree 7 on
// |r| <= 0.35 (truncation < 5e-9), times 2^n built from the exponent bits. Every
// multiply-add is an explicit fused std::fma (one rounding, one instruction with FMA;
// not left to GCC's own contraction of a * b + c), which halves the polynomial's
// instructions (results version 4, docs/science.md section 5). Relative error <= 2e-7
// (a few float ulps; tests/worker/numerics/nets/fast_exp_test.cc), i.e. float rounding,
// not a model change. Scalar and vector code run the same operations: the same bits
// wherever an element sits.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

namespace sweep::numerics::nets {

namespace detail {

// e^v = e^r 2^k with r = v - n ln 2 (ExpOne). k must be in [-126, 127].
inline float ExpReduced(float v, float n, int32_t k) {
  constexpr float kLn2Hi = 0.693359375f;  // few mantissa bits: n * kLn2Hi is exact
  constexpr float kLn2Lo = -2.12194440e-4f;
  const float r = std::fma(-n, kLn2Lo, std::fma(-n, kLn2Hi, v));
  float p = 1.0f / 5040.0f;
  p = std::fma(p, r, 1.0f / 720.0f);
  p = std::fma(p, r, 1.0f / 120.0f);
  p = std::fma(p, r, 1.0f / 24.0f);
  p = std::fma(p, r, 1.0f / 6.0f);
  p = std::fma(p, r, 0.5f);
  p = std::fma(p, r, 1.0f);
  p = std::fma(p, r, 1.0f);
  const int32_t bits = (k + 127) << 23;  // 2^k
  return p * std::bit_cast<float>(bits);
}

}  // namespace detail

// 2^x for one float x <= 0 (larger x: undefined): the scan's decay exp(Delta A) as
// 2^(Delta A log2 e), with A log2 e computed once per pass (selective_scan.cc). Against
// ExpOne this saves the Cody-Waite reduction: n = round(x) by adding and subtracting
// 1.5 * 2^23 (plus the exponent bias, so the sum's low bits are already n + 127), r = x - n
// exactly, 2^r by its degree-6 minimax polynomial on [-0.5, 0.5] (error 1.9e-9, under
// 0.7 ulp with float rounding), times 2^n from the exponent bits. Inputs below -126 are
// clamped to -126 (2^-126 = 1.2e-38: no denormals); a positive NaN stays NaN (a NaN
// Delta reaches the loss through Delta a anyway). Inline so that the
// scan's fused loops vectorise it; every caller gets the same bits.
inline float Exp2NonPositiveOne(float x) {
  constexpr float kShift = 12582912.0f + 127.0f;  // 1.5 * 2^23 + the exponent bias
  constexpr uint32_t kMinBits = std::bit_cast<uint32_t>(-126.0f);
  // Clamp to -126 on the bits: for x <= 0 a larger unsigned pattern is a larger |x|, and
  // an integer min vectorises where a float compare (which may trap) does not.
  const float v = std::bit_cast<float>(std::min(std::bit_cast<uint32_t>(x), kMinBits));
  const float shifted = v + kShift;        // 1.5 * 2^23 + 127 + round(v), ties to even
  const float r = v - (shifted - kShift);  // exact: |r| <= 0.5
  float p = 1.534581243e-4f;
  p = std::fma(p, r, 1.339993090e-3f);
  p = std::fma(p, r, 9.618489072e-3f);
  p = std::fma(p, r, 5.550328642e-2f);
  p = std::fma(p, r, 2.402264625e-1f);
  p = std::fma(p, r, 6.931471825e-1f);
  p = std::fma(p, r, 1.0f);
  // The low 9 bits of `shifted` are n + 127 in [1, 127]; shifted left by 23 they are the
  // exponent field of 2^n, and the higher bits fall off the word.
  const uint32_t bits = std::bit_cast<uint32_t>(shifted) << 23;
  return p * std::bit_cast<float>(bits);
}

// exp(x) for any float x, clamped to [-87, 88] first (exp(88) = 1.7e38, so 1 + e^-x
// never overflows in the SiLU; exp(-87) = 1.6e-38: no denormals). The clamp runs on an
// integer key that orders floats like their values (the magnitude bits flipped for
// negative x), because an integer min/max vectorises where a float compare (which may
// trap) does not; a NaN is clamped like a number, and a NaN activation still reaches the
// loss through the SiLU's x / (1 + e^-x). Rounds to the nearest n by adding and
// subtracting 1.5 * 2^23, which also vectorises.
inline float ExpOne(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kShift = 12582912.0f;  // 1.5 * 2^23
  const auto key = [](float f) {
    const int32_t bits = std::bit_cast<int32_t>(f);
    return bits ^ ((bits >> 31) & 0x7fffffff);  // an involution: also key -> bits
  };
  const float v = std::bit_cast<float>(key(std::bit_cast<float>(
      std::min(std::max(key(x), key(-87.0f)), key(88.0f)))));
  const float shifted = std::fma(v, kLog2e, kShift);
  const float n = shifted - kShift;
  const int32_t k = std::bit_cast<int32_t>(shifted) - std::bit_cast<int32_t>(kShift);
  return detail::ExpReduced(v, n, k);
}

}  // namespace sweep::numerics::nets
