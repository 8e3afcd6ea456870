#include "worker/numerics/link.h"

#include <cmath>

#include "common/status.h"

namespace sweep::numerics {

double Hermite(int k, double z) {
  SWEEP_CHECK(k >= 0 && k <= kMaxLinkDegree);
  double prev = 1.0, cur = z;  // h_0, h_1
  if (k == 0) return prev;
  for (int j = 1; j < k; ++j) {
    const double next = (z * cur - std::sqrt(double(j)) * prev) / std::sqrt(double(j + 1));
    prev = cur;
    cur = next;
  }
  return cur;
}

double EvalLink(const LinkExpr& link, double z) {
  double prev = 1.0, cur = z;  // h_0, h_1
  double g = link.c[0];
  if (link.degree >= 1) g += link.c[1] * z;
  for (int j = 1; j < link.degree; ++j) {
    const double next = (z * cur - std::sqrt(double(j)) * prev) / std::sqrt(double(j + 1));
    prev = cur;
    cur = next;
    g += link.c[j + 1] * cur;
  }
  return g;
}

LinkPolynomial ToPolynomial(const LinkExpr& link) {
  // Monomial coefficients of He_k by He_{k+1} = z He_k - k He_{k-1}.
  using Coeffs = std::array<double, kMaxLinkDegree + 1>;
  Coeffs prev{}, cur{};
  prev[0] = 1.0;  // He_0
  cur[1] = 1.0;   // He_1
  LinkPolynomial poly;
  poly.degree = link.degree;
  double factorial = 1.0;
  for (int k = 0; k <= link.degree; ++k) {
    const Coeffs& he = k == 0 ? prev : cur;
    if (k >= 1) factorial *= k;
    for (int i = 0; i <= k; ++i) poly.p[i] += link.c[k] * he[i] / std::sqrt(factorial);
    if (k >= 1) {
      Coeffs next{};
      for (int i = 0; i < kMaxLinkDegree; ++i) next[i + 1] = cur[i];
      for (int i = 0; i <= kMaxLinkDegree; ++i) next[i] -= k * prev[i];
      prev = cur;
      cur = next;
    }
  }
  return poly;
}

void EvalLink(const LinkPolynomial& poly, const Eigen::Ref<const Eigen::ArrayXd>& z,
              Eigen::Ref<Eigen::ArrayXd> out) {
  out.setConstant(poly.p[poly.degree]);
  for (int i = poly.degree - 1; i >= 0; --i) out = out * z + poly.p[i];
}

}  // namespace sweep::numerics
