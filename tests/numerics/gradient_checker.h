// Central-difference gradient checker for float64 functions of a parameter vector
// (Ceres GradientChecker pattern): reports the worst relative error over the
// coordinates, so a test can assert both that a correct gradient passes and that a
// deliberately wrong one (BadTestTerm) is flagged.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>

#include <Eigen/Core>

namespace sweep::numerics::testing {

struct GradientReport {
  double max_rel_error = 0;
  Eigen::Index worst = -1;  // coordinate of the worst error
};

// f(theta, grad_or_null) returns the loss and, when grad is non-null, the analytic
// gradient. Relative error per coordinate: |fd - an| / max(|fd|, |an|, floor).
inline GradientReport CheckGradient(
    const std::function<double(const Eigen::VectorXd&, Eigen::VectorXd*)>& f,
    const Eigen::VectorXd& theta, double step = 1e-6, double floor = 1e-6) {
  Eigen::VectorXd analytic;
  f(theta, &analytic);
  GradientReport report;
  Eigen::VectorXd probe = theta;
  for (Eigen::Index i = 0; i < theta.size(); ++i) {
    const double h = step * std::max(1.0, std::abs(theta(i)));
    probe(i) = theta(i) + h;
    const double up = f(probe, nullptr);
    probe(i) = theta(i) - h;
    const double down = f(probe, nullptr);
    probe(i) = theta(i);
    const double fd = (up - down) / (2 * h);
    const double err =
        std::abs(fd - analytic(i)) / std::max({std::abs(fd), std::abs(analytic(i)), floor});
    if (err > report.max_rel_error) report.max_rel_error = err, report.worst = i;
  }
  return report;
}

}  // namespace sweep::numerics::testing
