// Shared vocabulary of the trained sequence models (docs/science.md section 3): Eigen aliases,
// named parameters with their gradients, and the shape of a batch of sequences.
//
// Layout (worker/numerics/nets/README.md): an activation is a column-major matrix
// (features, batch * T); column b * T + t is token t of sequence b, so one sequence is a
// contiguous block of columns and every big contraction is one Eigen GEMM.
// Every type here is templated on the scalar: float for training, double for gradient
// checks. Not thread-safe; a model and its parameters belong to one job.
#pragma once

#include <deque>
#include <string>

#include <Eigen/Core>

namespace sweep::numerics::nets {

template <typename T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
template <typename T>
using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
template <typename T>
using RowVec = Eigen::Matrix<T, 1, Eigen::Dynamic>;

// B sequences of T tokens each, stored as B * T consecutive columns.
struct SeqShape {
  int batch = 0;
  int T = 0;
  int cols() const { return batch * T; }
};

// One named parameter tensor (a checkpoint tensor, e.g. "layers.0.mixer.A_log") and the
// gradient accumulated into it by Backward().
template <typename T>
struct Param {
  std::string name;
  Mat<T> w;
  Mat<T> g;
};

// Owns all parameters of a model. A deque keeps Param addresses stable, so layers hold
// plain pointers into it.
template <typename T>
class ParamSet {
 public:
  ParamSet() = default;
  ParamSet(const ParamSet&) = delete;
  ParamSet& operator=(const ParamSet&) = delete;

  Param<T>* Add(const std::string& name, int rows, int cols) {
    Param<T>& p = params_.emplace_back();
    p.name = name;
    p.w = Mat<T>::Zero(rows, cols);
    p.g = Mat<T>::Zero(rows, cols);
    return &p;
  }
  void ZeroGrad() {
    for (Param<T>& p : params_) p.g.setZero();
  }
  Param<T>* Find(const std::string& name) {
    for (Param<T>& p : params_) {
      if (p.name == name) return &p;
    }
    return nullptr;
  }
  long NumScalars() const {
    long n = 0;
    for (const Param<T>& p : params_) n += p.w.size();
    return n;
  }
  std::deque<Param<T>>& all() { return params_; }
  const std::deque<Param<T>>& all() const { return params_; }

 private:
  std::deque<Param<T>> params_;
};

}  // namespace sweep::numerics::nets
