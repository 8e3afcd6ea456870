#include "worker/numerics/normal.h"

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

double ZigguratNormal::Tail(std::mt19937_64& rng, double u) const {
  // Marsaglia's tail method for |x| > R.
  for (;;) {
    const double x = std::log(Uniform01(rng)) / kR;
    const double y = std::log(Uniform01(rng));
    if (-2.0 * y >= x * x) return u < 0 ? x - kR : kR - x;
  }
}

}  // namespace sweep::numerics
