// A fast standard normal sampler: the 256-layer ziggurat of Marsaglia & Tsang (2000),
// driven by TaskRng (rng.h). Sampling Gaussian inputs dominates a mamba-theory job
// (~520M draws), so Fill() runs the fast path four draws at a time (AVX2 gathers when
// compiled for x86-64-v3, the same arithmetic in scalar code otherwise: both give the
// same bits). The exact transform is written down in docs/science.md section 5.
// Deterministic: a pure function of the generator state. Not thread-safe per generator.
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "worker/numerics/rng.h"

namespace sweep::numerics {

class ZigguratNormal {
 public:
  ZigguratNormal();  // builds the tables (a few microseconds)

  double operator()(TaskRng& rng) const { return FromBits(rng(), rng); }

  // out[0..count) = independent normals. Block by block (kBlock outputs): the block's
  // words are drawn first, the fast path maps them, then every rejected position, in
  // increasing order, restarts from its own word and draws further words (after the
  // block's) as FromBits does. Not the same numbers as an operator() loop.
  void Fill(TaskRng& rng, double* out, std::size_t count) const;

  static constexpr std::size_t kBlock = 256;

 private:
  // One ziggurat draw starting from the word `bits`; rejections draw more from rng.
  double FromBits(uint64_t bits, TaskRng& rng) const {
    for (;;) {
      const int i = static_cast<int>(bits & 0xff);
      const double x = Symmetric(bits) * x_[i];
      if (std::abs(x) < x_[i + 1]) return x;
      if (i == 0) return Tail(rng, x < 0);
      if (f_[i + 1] + (f_[i] - f_[i + 1]) * Uniform01(rng()) < std::exp(-0.5 * x * x)) return x;
      bits = rng();
    }
  }

  // The upper 52 bits as a double in [1, 2), mapped to [-1, 1): exact in any precision.
  static double Symmetric(uint64_t bits) {
    return 2.0 * std::bit_cast<double>((bits >> 12) | 0x3ff0000000000000ULL) - 3.0;
  }
  static double Uniform01(uint64_t bits) {  // in (0, 1): safe for log
    return ((bits >> 11) + 0.5) * 0x1.0p-53;
  }
  double Tail(TaskRng& rng, bool negative) const;

  std::array<double, 257> x_{};
  std::array<double, 257> f_{};
  alignas(16) std::array<double, 512> pairs_{};  // (x_[i], x_[i + 1]) for the fast path
};

}  // namespace sweep::numerics
