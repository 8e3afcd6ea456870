// A fast standard normal sampler: the 256-layer ziggurat of Marsaglia & Tsang (2000), in
// the formulation of Rust's rand_distr, driven by std::mt19937_64. Sampling Gaussian
// inputs dominates a mamba-theory job (hundreds of millions of draws), and
// std::normal_distribution's polar method is several times slower.
// Deterministic: a pure function of the generator state. Not thread-safe per generator.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>

namespace sweep::numerics {

class ZigguratNormal {
 public:
  ZigguratNormal();  // builds the tables (a few microseconds)

  double operator()(std::mt19937_64& rng) const { return FromBits(rng(), rng); }

  // out[0..count) = independent normals. Faster than calling operator() in a loop: the
  // generator's words are drawn in blocks first, so the ziggurat's table lookups do not
  // wait on the generator's state updates. Deterministic, but not the same numbers as
  // the operator() loop.
  void Fill(std::mt19937_64& rng, double* out, std::size_t count) const;

 private:
  // One ziggurat draw starting from the word `bits`; rejections draw more from rng.
  double FromBits(uint64_t bits, std::mt19937_64& rng) const {
    for (;;) {
      const int i = static_cast<int>(bits & 0xff);
      // Upper 53 bits -> u in (-1, 1), symmetric.
      const double u = 2.0 * ((bits >> 11) * 0x1.0p-53) - 1.0;
      const double x = u * x_[i];
      if (std::abs(x) < x_[i + 1]) return x;
      if (i == 0) return Tail(rng, u);
      if (f_[i + 1] + (f_[i] - f_[i + 1]) * Uniform01(rng) < std::exp(-0.5 * x * x)) return x;
      bits = rng();
    }
  }

  static double Uniform01(std::mt19937_64& rng) {  // in (0, 1): safe for log
    return ((rng() >> 11) + 0.5) * 0x1.0p-53;
  }
  double Tail(std::mt19937_64& rng, double u) const;

  std::array<double, 257> x_{};
  std::array<double, 257> f_{};
};

}  // namespace sweep::numerics
