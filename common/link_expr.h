// Link functions written in normalized Hermite polynomials (docs/science.md section 1):
// "h2", "h2+h4", "0.6*h1+0.8*h3". Parsing lives in common because both the sweep
// validator and the numerics need it; evaluating h_k lives in worker/numerics.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace sweep {

// The highest Hermite degree a link may use.
inline constexpr int kMaxLinkDegree = 8;

struct LinkExpr {
  std::vector<double> c;    // c[k] = coefficient of h_k, size kMaxLinkDegree + 1
  int ie = 0;               // information exponent: smallest k >= 1 with c_k != 0
  int ge = 0;               // generative exponent: 2 if every k with c_k != 0 is even, else 1
  int degree = 0;           // largest k with c_k != 0
  double Variance() const;  // sum_{k>=1} c_k^2
  double SecondMoment(double tau) const;  // E[y^2] = c_0^2 + sum c_k^2 + tau^2
};

// Parses a sum of terms `c*hK` or `hK` (c a finite decimal, optionally signed; repeated
// degrees add up). Errors are INVALID_ARGUMENT naming the bad term, e.g.
// `link "h2+x3": bad term "x3" (expected c*hK or hK with K in 0..8)`.
// A link with no non-constant term is rejected (it carries no information about beta).
absl::StatusOr<LinkExpr> ParseLink(std::string_view text);

}  // namespace sweep
