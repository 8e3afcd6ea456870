// Student t quantiles (see student_t.h).
#include "storage/student_t.h"

#include <cmath>
#include <limits>

#include "boost/math/distributions/students_t.hpp"

namespace sweep::storage {
namespace {

// Errors (none are expected for dof >= 1) become NaN results instead of exceptions:
// exceptions do not cross this project's APIs.
using NoThrow = boost::math::policies::policy<
    boost::math::policies::domain_error<boost::math::policies::ignore_error>,
    boost::math::policies::overflow_error<boost::math::policies::ignore_error>,
    boost::math::policies::evaluation_error<boost::math::policies::ignore_error>>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

double StudentT975(int64_t dof) {
  if (dof < 1) return kNaN;
  const boost::math::students_t_distribution<double, NoThrow> t(static_cast<double>(dof));
  return boost::math::quantile(t, 0.975);
}

Interval ConfidenceInterval95(int64_t count, double mean, double se) {
  const double half = StudentT975(count - 1) * se;
  if (!std::isfinite(half) || std::isnan(mean)) return Interval{kNaN, kNaN};
  return Interval{mean - half, mean + half};
}

}  // namespace sweep::storage
