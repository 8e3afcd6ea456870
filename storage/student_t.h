// Confidence intervals over seeds: the mean of `count` values plus or minus
// t_{0.975, count-1} standard errors (Student t, two-sided 95%). The quantile comes from
// Boost.Math (header-only, Debian's libboost-dev); docs/statistics.md states the
// definitions users cite.
#pragma once

#include <cstdint>

namespace sweep::storage {

// t_{0.975, dof}: the two-sided 95% Student t quantile with `dof` degrees of freedom
// (12.706 at 1, 4.303 at 2, 2.262 at 9). NaN for dof < 1.
double StudentT975(int64_t dof);

// A two-sided 95% interval for the mean; both ends NaN when it is undefined (count < 2,
// or a NaN input).
struct Interval {
  double lo = 0, hi = 0;
};
Interval ConfidenceInterval95(int64_t count, double mean, double se);

}  // namespace sweep::storage
