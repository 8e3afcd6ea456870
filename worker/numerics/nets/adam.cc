#include "worker/numerics/nets/adam.h"

#include <cmath>
#include <numbers>

namespace sweep::numerics::nets {

template <typename T>
Adam<T>::Adam(ParamSet<T>& params, double beta1, double beta2, double eps)
    : params_(params), beta1_(beta1), beta2_(beta2), eps_(eps) {
  for (const Param<T>& p : params.all()) {
    m_.push_back(Mat<T>::Zero(p.w.rows(), p.w.cols()));
    v_.push_back(Mat<T>::Zero(p.w.rows(), p.w.cols()));
  }
}

template <typename T>
void Adam<T>::Step(double lr) {
  ++t_;
  const T b1 = T(beta1_), b2 = T(beta2_);
  // Bias corrections folded into the step size and epsilon (PyTorch's formulation).
  const double c1 = 1 - std::pow(beta1_, double(t_));
  const double c2 = 1 - std::pow(beta2_, double(t_));
  const T step = T(lr * std::sqrt(c2) / c1);
  const T eps = T(eps_ * std::sqrt(c2));
  size_t i = 0;
  for (Param<T>& p : params_.all()) {
    Mat<T>& m = m_[i];
    Mat<T>& v = v_[i];
    ++i;
    m.array() = b1 * m.array() + (T(1) - b1) * p.g.array();
    v.array() = b2 * v.array() + (T(1) - b2) * p.g.array().square();
    p.w.array() -= step * m.array() / (v.array().sqrt() + eps);
  }
}

template <typename T>
double ClipGradNorm(ParamSet<T>& params, double max_norm) {
  double sq = 0;
  for (const Param<T>& p : params.all()) sq += double(p.g.squaredNorm());
  const double norm = std::sqrt(sq);
  if (max_norm > 0 && norm > max_norm && std::isfinite(norm)) {
    const T scale = T(max_norm / norm);
    for (Param<T>& p : params.all()) p.g *= scale;
  }
  return norm;
}

double ScheduledLr(double lr, int step, int steps, int warmup, bool cosine) {
  if (step < warmup) return lr * double(step + 1) / double(warmup);
  if (!cosine) return lr;
  const int decay_steps = steps - warmup;
  if (decay_steps <= 1) return lr;
  const double progress = double(step - warmup) / double(decay_steps - 1);
  return lr * 0.5 * (1 + std::cos(std::numbers::pi * progress));
}

template class Adam<float>;
template class Adam<double>;
template double ClipGradNorm(ParamSet<float>&, double);
template double ClipGradNorm(ParamSet<double>&, double);

}  // namespace sweep::numerics::nets
