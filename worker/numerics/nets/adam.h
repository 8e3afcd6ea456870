// Optimiser pieces of the training loop (docs/science.md section 3): Adam (Kingma & Ba, with
// bias correction, no weight decay), gradient clipping at a global norm, and the
// learning-rate schedule (linear warmup, then constant or cosine decay to 0).
#pragma once

#include <vector>

#include "worker/numerics/nets/tensor.h"

namespace sweep::numerics::nets {

template <typename T>
class Adam {
 public:
  explicit Adam(ParamSet<T>& params, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8);
  // One update of every parameter from its gradient, at learning rate lr.
  void Step(double lr);
  // First and second moments, in the ParamSet's order (checkpoints of optimiser state
  // are not needed: jobs never resume mid-training).
  const std::vector<Mat<T>>& first_moments() const { return m_; }

 private:
  ParamSet<T>& params_;
  double beta1_, beta2_, eps_;
  long t_ = 0;
  std::vector<Mat<T>> m_, v_;
};

// Scales all gradients so that their global L2 norm is at most max_norm (max_norm <= 0:
// no clipping). Returns the norm before clipping (NaN/Inf when a gradient is).
template <typename T>
double ClipGradNorm(ParamSet<T>& params, double max_norm);

// lr at 0-based step `step` of `steps`: linear warmup over `warmup` steps from lr/warmup
// to lr, then constant, or cosine decay from lr to 0 at the last step.
double ScheduledLr(double lr, int step, int steps, int warmup, bool cosine);

extern template class Adam<float>;
extern template class Adam<double>;

}  // namespace sweep::numerics::nets
