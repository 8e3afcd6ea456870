// Central finite-difference gradient checks in float64 (docs/design.md section 8.2, Ceres'
// GradientChecker pattern), shared by tests/worker/numerics (mamba-theory) and
// tests/worker/numerics/nets.
// A report names the worst coordinate, so a test can assert both that a correct gradient
// passes and that a deliberately wrong one (BadTestTerm) is flagged at the right place.
//
// Two rules:
//   kCentral3  (f(w+h) - f(w-h)) / 2h                               truncation O(h^2)
//   kCentral5  (-f(w+2h) + 8 f(w+h) - 8 f(w-h) + f(w-2h)) / 12h     truncation O(h^4)
// With h = 1e-4 the five-point rule's rounding noise is ~1e-12 for an O(1) loss, so
// gradients down to ~1e-7 are resolved (the nets' tiny A_log gradients at init need it).
// Relative error per coordinate: |a - f| / max(|a|, |f|, floor).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <Eigen/Core>

namespace sweep::testing {

enum class DifferenceRule { kCentral3, kCentral5 };

// d phi / dx at x by `rule` with step h.
inline double NumericDerivative(const std::function<double(double)>& phi, double x, double h,
                                DifferenceRule rule) {
  if (rule == DifferenceRule::kCentral3) return (phi(x + h) - phi(x - h)) / (2 * h);
  return (-phi(x + 2 * h) + 8 * phi(x + h) - 8 * phi(x - h) + phi(x - 2 * h)) / (12 * h);
}

struct GradientReport {
  double max_rel_error = 0;
  Eigen::Index worst = -1;    // flat index of the worst coordinate over everything checked
  std::string worst_param;    // parameter-set checks: "name[i]" of the worst scalar
  double worst_analytic = 0;  // the two values compared at the worst coordinate
  double worst_numeric = 0;
  int checked = 0;

  // Records one comparison; keeps the worst.
  void Add(const std::string& name, double analytic, double numeric, double floor) {
    const double err =
        std::abs(analytic - numeric) / std::max({std::abs(analytic), std::abs(numeric), floor});
    if (err > max_rel_error) {
      max_rel_error = err, worst = checked, worst_param = name;
      worst_analytic = analytic, worst_numeric = numeric;
    }
    ++checked;
  }
  std::string Describe() const {
    char buf[160];
    std::snprintf(buf, sizeof(buf), "%s (coordinate %ld): analytic %.6g numeric %.6g",
                  worst_param.c_str(), long(worst), worst_analytic, worst_numeric);
    return buf;
  }
};

// A function of a flat parameter vector: f(theta, grad_or_null) returns the loss and,
// when grad is non-null, writes the analytic gradient. The step is relative:
// h_i = step * max(1, |theta_i|).
inline GradientReport CheckGradient(
    const std::function<double(const Eigen::VectorXd&, Eigen::VectorXd*)>& f,
    const Eigen::VectorXd& theta, double step = 1e-6, double floor = 1e-6,
    DifferenceRule rule = DifferenceRule::kCentral3) {
  Eigen::VectorXd analytic;
  f(theta, &analytic);
  GradientReport report;
  Eigen::VectorXd probe = theta;
  for (Eigen::Index i = 0; i < theta.size(); ++i) {
    auto at = [&](double x) {
      probe(i) = x;
      return f(probe, nullptr);
    };
    const double h = step * std::max(1.0, std::abs(theta(i)));
    const double fd = NumericDerivative(at, theta(i), h, rule);
    probe(i) = theta(i);
    report.Add("theta[" + std::to_string(i) + "]", analytic(i), fd, floor);
  }
  return report;
}

// A set of named float64 tensors (the nets' ParamSet<double>: all() yields objects with
// `name`, weights `w` and gradients `g`). `loss` runs a forward pass; `gradient` zeroes the
// gradients, runs forward + backward and leaves dL/dw in every g. Five-point rule; the
// floor is max(1e-3 times the largest |a| of that tensor, 1e-7), so an entry whose
// gradient is ~0 is compared on its tensor's own scale instead of dividing noise by noise.
template <typename ParamSet>
GradientReport CheckGradients(ParamSet& params, const std::function<double()>& loss,
                              const std::function<void()>& gradient, double h = 1e-4) {
  gradient();
  std::vector<Eigen::MatrixXd> analytic;
  for (const auto& p : params.all()) analytic.push_back(p.g);
  GradientReport report;
  size_t index = 0;
  for (auto& p : params.all()) {
    const Eigen::MatrixXd& a = analytic[index++];
    const double floor = std::max(1e-3 * a.cwiseAbs().maxCoeff(), 1e-7);
    for (Eigen::Index i = 0; i < p.w.size(); ++i) {
      const double w = p.w.data()[i];
      auto at = [&](double x) {
        p.w.data()[i] = x;
        return loss();
      };
      const double numeric = NumericDerivative(at, w, h, DifferenceRule::kCentral5);
      p.w.data()[i] = w;
      report.Add(p.name + "[" + std::to_string(i) + "]", a.data()[i], numeric, floor);
    }
  }
  return report;
}

}  // namespace sweep::testing
