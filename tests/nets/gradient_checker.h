// Central finite-difference gradient checker for the nets (STYLE.md 2.7, Ceres'
// GradientChecker): perturbs every scalar of every parameter in float64 and compares the
// five-point central difference
//   f = (-L(w+2h) + 8 L(w+h) - 8 L(w-h) + L(w-2h)) / 12h      (truncation O(h^4))
// with the analytic gradient a. With h = 1e-4 the rounding noise is ~1e-12 for an O(1)
// loss, so gradients down to ~1e-7 are resolved (the two-point rule's ~1e-10 noise made
// the tiny A_log gradients of a freshly initialised scan uncheckable).
// Relative error per scalar: |a - f| / max(|a|, |f|, floor), floor = max(1e-3 times the
// largest |a| of that tensor, 1e-7): an entry whose gradient is ~0 is compared on the
// tensor's own scale instead of dividing noise by noise.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "worker/numerics/nets/tensor.h"

namespace sweep::numerics::nets::testing {

inline std::string FormatG(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

struct GradientReport {
  std::string worst_param;
  double worst_rel_err = 0;
  double worst_analytic = 0;  // the two values compared at the worst scalar
  double worst_numeric = 0;
  int checked = 0;
  std::string Describe() const {
    return worst_param + ": analytic " + FormatG(worst_analytic) + " numeric " +
           FormatG(worst_numeric);
  }
};

// `loss` runs a forward pass and returns the scalar loss; `gradient` zeroes the
// gradients, runs forward + backward and leaves dL/dw in every Param::g.
inline GradientReport CheckGradients(ParamSet<double>& params,
                                     const std::function<double()>& loss,
                                     const std::function<void()>& gradient, double h = 1e-4) {
  gradient();
  std::vector<Mat<double>> analytic;
  for (const Param<double>& p : params.all()) analytic.push_back(p.g);
  GradientReport report;
  size_t index = 0;
  for (Param<double>& p : params.all()) {
    const Mat<double>& a = analytic[index++];
    const double floor = std::max(1e-3 * a.cwiseAbs().maxCoeff(), 1e-7);
    for (Eigen::Index i = 0; i < p.w.size(); ++i) {
      const double w = p.w.data()[i];
      auto at = [&](double x) {
        p.w.data()[i] = x;
        return loss();
      };
      const double f = (-at(w + 2 * h) + 8 * at(w + h) - 8 * at(w - h) + at(w - 2 * h)) / (12 * h);
      p.w.data()[i] = w;
      const double an = a.data()[i];
      const double err = std::abs(an - f) / std::max({std::abs(an), std::abs(f), floor});
      ++report.checked;
      if (err > report.worst_rel_err) {
        report.worst_rel_err = err;
        report.worst_param = p.name + "[" + std::to_string(i) + "]";
        report.worst_analytic = an;
        report.worst_numeric = f;
      }
    }
  }
  return report;
}

}  // namespace sweep::numerics::nets::testing
