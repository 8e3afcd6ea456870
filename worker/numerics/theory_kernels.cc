#include "worker/numerics/theory_kernels.h"

#include <cstddef>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace sweep::numerics {
namespace {

void TwoDotsScalar(const double* X, int d, int n, const double* a, const double* b, double* qa,
                   double* qb) {
  for (int j = 0; j < n; ++j) {
    const double* x = X + std::ptrdiff_t(j) * d;
    double sa = 0, sb = 0;
    for (int c = 0; c < d; ++c) sa += x[c] * a[c], sb += x[c] * b[c];
    qa[j] = sa, qb[j] = sb;
  }
}

void TwoAxpysScalar(const double* X, int d, int n, const double* a, const double* b, double* oa,
                    double* ob) {
  for (int c = 0; c < d; ++c) oa[c] = 0, ob[c] = 0;
  for (int j = 0; j < n; ++j) {
    const double* x = X + std::ptrdiff_t(j) * d;
    for (int c = 0; c < d; ++c) oa[c] += a[j] * x[c], ob[c] += b[j] * x[c];
  }
}

#if defined(__AVX2__) && defined(__FMA__)
// kB blocks of 4 coordinates (d = 4 kB). a and b stay in registers; per example the two
// dot products are kB fused multiply-adds each, then one horizontal sum for both.
template <int kB>
void TwoDotsAvx(const double* X, int n, const double* a, const double* b, double* qa,
                double* qb) {
  __m256d va[kB], vb[kB];
  for (int k = 0; k < kB; ++k) va[k] = _mm256_loadu_pd(a + 4 * k), vb[k] = _mm256_loadu_pd(b + 4 * k);
  for (int j = 0; j < n; ++j) {
    const double* x = X + std::ptrdiff_t(j) * 4 * kB;
    __m256d sa = _mm256_setzero_pd(), sb = _mm256_setzero_pd();
    for (int k = 0; k < kB; ++k) {
      const __m256d xv = _mm256_loadu_pd(x + 4 * k);
      sa = _mm256_fmadd_pd(xv, va[k], sa);
      sb = _mm256_fmadd_pd(xv, vb[k], sb);
    }
    // (sa0 + sa1, sb0 + sb1, sa2 + sa3, sb2 + sb3), then the two halves added.
    const __m256d h = _mm256_hadd_pd(sa, sb);
    const __m128d r = _mm_add_pd(_mm256_castpd256_pd128(h), _mm256_extractf128_pd(h, 1));
    qa[j] = _mm_cvtsd_f64(r);
    qb[j] = _mm_cvtsd_f64(_mm_unpackhi_pd(r, r));
  }
}

// The 2 kB accumulators stay in registers for the whole pass over X.
template <int kB>
void TwoAxpysAvx(const double* X, int n, const double* a, const double* b, double* oa,
                 double* ob) {
  __m256d sa[kB], sb[kB];
  for (int k = 0; k < kB; ++k) sa[k] = _mm256_setzero_pd(), sb[k] = _mm256_setzero_pd();
  for (int j = 0; j < n; ++j) {
    const double* x = X + std::ptrdiff_t(j) * 4 * kB;
    const __m256d aj = _mm256_set1_pd(a[j]), bj = _mm256_set1_pd(b[j]);
    for (int k = 0; k < kB; ++k) {
      const __m256d xv = _mm256_loadu_pd(x + 4 * k);
      sa[k] = _mm256_fmadd_pd(aj, xv, sa[k]);
      sb[k] = _mm256_fmadd_pd(bj, xv, sb[k]);
    }
  }
  for (int k = 0; k < kB; ++k) _mm256_storeu_pd(oa + 4 * k, sa[k]), _mm256_storeu_pd(ob + 4 * k, sb[k]);
}
#endif

}  // namespace

void TwoDots(const double* X, int d, int n, const double* a, const double* b, double* qa,
             double* qb) {
#if defined(__AVX2__) && defined(__FMA__)
  switch (d) {
    case 4: return TwoDotsAvx<1>(X, n, a, b, qa, qb);
    case 8: return TwoDotsAvx<2>(X, n, a, b, qa, qb);
    case 12: return TwoDotsAvx<3>(X, n, a, b, qa, qb);
    case 16: return TwoDotsAvx<4>(X, n, a, b, qa, qb);
    default: break;
  }
#endif
  TwoDotsScalar(X, d, n, a, b, qa, qb);
}

void TwoAxpys(const double* X, int d, int n, const double* a, const double* b, double* oa,
              double* ob) {
#if defined(__AVX2__) && defined(__FMA__)
  switch (d) {
    case 4: return TwoAxpysAvx<1>(X, n, a, b, oa, ob);
    case 8: return TwoAxpysAvx<2>(X, n, a, b, oa, ob);
    case 12: return TwoAxpysAvx<3>(X, n, a, b, oa, ob);
    case 16: return TwoAxpysAvx<4>(X, n, a, b, oa, ob);
    default: break;
  }
#endif
  TwoAxpysScalar(X, d, n, a, b, oa, ob);
}

}  // namespace sweep::numerics
