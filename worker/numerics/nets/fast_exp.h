// exp(x) for float x <= 0, written as a plain loop that GCC vectorises (8 lanes with
// AVX2) without a call per element: the decay exp(Delta A) of the selective scan, about
// 4 billion evaluations per default `mamba` job, where Eigen's general exp (NaN, +inf,
// overflow and denormal handling) was a fifth of a training step (docs/performance.md).
//
// Method: n = round(x / ln 2), r = x - n ln 2 in two parts (Cody-Waite, so r is exact to
// float rounding even for x = -87), e^r by its Taylor polynomial to degree 7 on
// |r| <= 0.35 (truncation < 5e-9), times 2^n built from the exponent bits. Inputs below
// -87 are clamped to -87 (exp(-87) = 1.6e-38: no denormals). Relative error <= 2e-7 (a
// few float ulps; tests/worker/numerics/nets/fast_exp_test.cc), i.e. float rounding, not a model
// change.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>

namespace sweep::numerics::nets {

// exp(x) for one float x <= 0 (larger x: undefined). Inline so that a loop calling it
// (the fused scan loops of selective_scan.cc) vectorises as the loop below does, with the
// same operations in the same order: every caller gets the same bits.
inline float ExpNonPositiveOne(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;  // few mantissa bits: n * kLn2Hi is exact
  constexpr float kLn2Lo = -2.12194440e-4f;
  constexpr uint32_t kMinusBits = std::bit_cast<uint32_t>(-87.0f);
  // Clamp to -87 on the bits: for x <= 0 a larger unsigned pattern is a larger |x|, and
  // an integer min vectorises where a float compare (which may trap) does not.
  const uint32_t clamped = std::min(std::bit_cast<uint32_t>(x), kMinusBits);
  const float v = std::bit_cast<float>(clamped);
  // Round to nearest by truncation: v * log2(e) - 0.5 < 0, and truncation of a negative
  // value rounds up (a plain conversion that vectorises, unlike std::floor here).
  const int32_t k = static_cast<int32_t>(v * kLog2e - 0.5f);
  const float n = static_cast<float>(k);
  const float r = (v - n * kLn2Hi) - n * kLn2Lo;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t bits = (k + 127) << 23;  // 2^n, n in [-126, 0]
  return p * std::bit_cast<float>(bits);
}

// out[i] = exp(x[i]) for x[i] <= 0 (larger x: undefined), i < count. out must not
// overlap x (__restrict is what lets GCC vectorise the loop).
inline void ExpNonPositive(int count, const float* __restrict x, float* __restrict out) {
  for (int i = 0; i < count; ++i) out[i] = ExpNonPositiveOne(x[i]);
}

}  // namespace sweep::numerics::nets
