#include "worker/numerics/normal.h"

#include <algorithm>
#include <cmath>

namespace sweep::numerics {
namespace {

constexpr double kR = 3.654152885361008796;  // start of the tail
constexpr double kV = 0.00492867323399;      // area of each layer

double Pdf(double x) { return std::exp(-0.5 * x * x); }

}  // namespace

ZigguratNormal::ZigguratNormal() {
  x_[0] = kV / Pdf(kR);
  x_[1] = kR;
  for (int i = 2; i < 256; ++i) {
    x_[i] = std::sqrt(-2.0 * std::log(kV / x_[i - 1] + Pdf(x_[i - 1])));
  }
  x_[256] = 0.0;
  for (int i = 0; i < 257; ++i) f_[i] = Pdf(x_[i]);
}

void ZigguratNormal::Fill(std::mt19937_64& rng, double* out, std::size_t count) const {
  constexpr std::size_t kBlock = 256;
  uint64_t bits[kBlock];
  for (std::size_t start = 0; start < count; start += kBlock) {
    const std::size_t m = std::min(kBlock, count - start);
    for (std::size_t k = 0; k < m; ++k) bits[k] = rng();
    for (std::size_t k = 0; k < m; ++k) {
      const int i = static_cast<int>(bits[k] & 0xff);
      const double x = (2.0 * ((bits[k] >> 11) * 0x1.0p-53) - 1.0) * x_[i];
      // The fast path (about 99% of draws) inline; the rest restarts from the same word.
      out[start + k] = std::abs(x) < x_[i + 1] ? x : FromBits(bits[k], rng);
    }
  }
}

double ZigguratNormal::Tail(std::mt19937_64& rng, double u) const {
  // Marsaglia's tail method for |x| > R.
  for (;;) {
    const double x = std::log(Uniform01(rng)) / kR;
    const double y = std::log(Uniform01(rng));
    if (-2.0 * y >= x * x) return u < 0 ? x - kR : kR - x;
  }
}

}  // namespace sweep::numerics
