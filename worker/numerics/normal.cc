#include "worker/numerics/normal.h"

#include <algorithm>
#include <cmath>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

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
  for (int i = 0; i < 256; ++i) pairs_[2 * i] = x_[i], pairs_[2 * i + 1] = x_[i + 1];
}

void ZigguratNormal::Fill(TaskRng& rng, double* out, std::size_t count) const {
  alignas(32) uint64_t bits[kBlock];
  for (std::size_t start = 0; start < count; start += kBlock) {
    const std::size_t m = std::min(kBlock, count - start);
    double* o = out + start;
    rng.Fill(bits, m);
    std::size_t k = 0;
#if defined(__AVX2__)
    // Fast path, four words at a time: layer i = low 8 bits, x = Symmetric(bits) * x_[i],
    // accepted when |x| < x_[i + 1] (about 99%). Same operations as FromBits' first test.
    const __m256i one = _mm256_set1_epi64x(0x3ff0000000000000LL);
    const __m256d three = _mm256_set1_pd(3.0);
    const __m256d abs_mask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
    for (; k + 4 <= m; k += 4) {
      const __m256i w = _mm256_load_si256(reinterpret_cast<const __m256i*>(bits + k));
      const __m256d f = _mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(w, 12), one));
      const __m256d u = _mm256_sub_pd(_mm256_add_pd(f, f), three);
      // x_[i] and x_[i + 1] of the four layers: one 16-byte load each from pairs_ and two
      // unpacks (cheaper than two gathers, notably on AMD). The layer indices come from
      // the words in memory with scalar loads: storing the vector i and reloading its lanes
      // stalled on store forwarding (a fifth of Fill's time).
      const double* l0 = &pairs_[2 * (bits[k] & 0xff)];
      const double* l1 = &pairs_[2 * (bits[k + 1] & 0xff)];
      const double* l2 = &pairs_[2 * (bits[k + 2] & 0xff)];
      const double* l3 = &pairs_[2 * (bits[k + 3] & 0xff)];
      const __m256d p02 = _mm256_set_m128d(_mm_load_pd(l2), _mm_load_pd(l0));
      const __m256d p13 = _mm256_set_m128d(_mm_load_pd(l3), _mm_load_pd(l1));
      const __m256d xi = _mm256_unpacklo_pd(p02, p13);
      const __m256d xi1 = _mm256_unpackhi_pd(p02, p13);
      const __m256d x = _mm256_mul_pd(u, xi);
      _mm256_storeu_pd(o + k, x);
      const int ok = _mm256_movemask_pd(_mm256_cmp_pd(_mm256_and_pd(x, abs_mask), xi1, _CMP_LT_OQ));
      if (ok != 0xf) {
        for (int l = 0; l < 4; ++l) {
          if (!(ok >> l & 1)) o[k + l] = FromBits(bits[k + l], rng);
        }
      }
    }
#endif
    for (; k < m; ++k) {
      const int i = static_cast<int>(bits[k] & 0xff);
      const double x = Symmetric(bits[k]) * x_[i];
      o[k] = std::abs(x) < x_[i + 1] ? x : FromBits(bits[k], rng);
    }
  }
}

double ZigguratNormal::Tail(TaskRng& rng, bool negative) const {
  // Marsaglia's tail method for |x| > R.
  for (;;) {
    const double x = std::log(Uniform01(rng())) / kR;
    const double y = std::log(Uniform01(rng()));
    if (-2.0 * y >= x * x) return negative ? x - kR : kR - x;
  }
}

}  // namespace sweep::numerics
