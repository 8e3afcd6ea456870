// Parameter initialisation helpers. All draws come from the job's own std::mt19937_64,
// passed down explicitly (docs/design.md section 7), in the order the parameters are created, so a
// config + seed always gives the same initial model.
#pragma once

#include <cmath>
#include <random>

#include "worker/numerics/nets/tensor.h"

namespace sweep::numerics::nets {

// U(-bound, bound): PyTorch's nn.Linear / nn.Conv1d default with bound = 1/sqrt(fan_in).
template <typename T>
void FillUniform(Param<T>* p, double bound, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> dist(-bound, bound);
  for (Eigen::Index i = 0; i < p->w.size(); ++i) p->w.data()[i] = T(dist(rng));
}

// N(0, std^2): GPT-2's initialisation.
template <typename T>
void FillNormal(Param<T>* p, double std, std::mt19937_64& rng) {
  std::normal_distribution<double> dist(0.0, std);
  for (Eigen::Index i = 0; i < p->w.size(); ++i) p->w.data()[i] = T(dist(rng));
}

}  // namespace sweep::numerics::nets
