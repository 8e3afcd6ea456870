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

}  // namespace sweep::numerics
