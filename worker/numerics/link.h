// Evaluating link functions (docs/science.md section 1): normalised probabilists' Hermite
// polynomials h_k = He_k / sqrt(k!) and sums of them (a parsed LinkExpr).
#pragma once

#include <array>

#include <Eigen/Core>

#include "common/link_expr.h"

namespace sweep::numerics {

// h_k(z) = He_k(z) / sqrt(k!) for 0 <= k <= kMaxLinkDegree, by the three-term
// recurrence h_{k+1} = (z h_k - sqrt(k) h_{k-1}) / sqrt(k+1) (He_{k+1} = z He_k - k He_{k-1}
// divided by sqrt((k+1)!)), which avoids the large factorials.
double Hermite(int k, double z);

// g(z) = sum_k c_k h_k(z), one recurrence pass for all degrees.
double EvalLink(const LinkExpr& link, double z);

// g as an ordinary polynomial sum_i p_i z^i, for fast batch evaluation (Horner). Its
// values agree with EvalLink to round-off (|z| < 10 in practice).
struct LinkPolynomial {
  std::array<double, kMaxLinkDegree + 1> p{};
  int degree = 0;
};
LinkPolynomial ToPolynomial(const LinkExpr& link);

// out = g(z) elementwise, vectorised.
void EvalLink(const LinkPolynomial& poly, const Eigen::Ref<const Eigen::ArrayXd>& z,
              Eigen::Ref<Eigen::ArrayXd> out);

}  // namespace sweep::numerics
