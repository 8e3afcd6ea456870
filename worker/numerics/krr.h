// Kernel ridge regression on one prompt's context (docs/science.md section 3, `krr`): kernels
// rbf exp(-|a-b|^2 / (2 dim)) and poly (1 + <a,b>/dim)^p, ridge lambda chosen per prompt
// from a grid by the closed-form leave-one-out error.
//
// One eigendecomposition K = Q diag(l) Q^T per fit serves every lambda: the hat matrix is
// H = Q diag(l / (l + lambda)) Q^T, and the LOO residual of example i is
// (y_i - (H y)_i) / (1 - H_ii) (the classic closed form for linear smoothers).
// Not thread-safe: a KrrFitter owns reusable buffers; use one per thread.
#pragma once

#include <vector>

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include "common/job_config.h"

namespace sweep::numerics {

using ::sweep::KernelKind;  // the job key `kernel` (common/job_config.h)

struct KrrOptions {
  KernelKind kernel = KernelKind::kRbf;
  int poly_degree = 2;  // p of the poly kernel (the link's degree)
  std::vector<double> lambdas = {1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2};
};

// K(i, j) = k(A.col(i), B.col(j)); A is (dim, n), B is (dim, m), K is (n, m).
void KernelMatrix(const KrrOptions& options, const Eigen::Ref<const Eigen::MatrixXd>& A,
                  const Eigen::Ref<const Eigen::MatrixXd>& B, Eigen::MatrixXd& K);

class KrrFitter {
 public:
  explicit KrrFitter(KrrOptions options) : options_(std::move(options)) {}

  // Fits on features F (dim, n), n >= 1, labels y (n): eigendecomposes K and picks the
  // lambda with the smallest mean squared LOO residual (the first of ties).
  void Fit(const Eigen::Ref<const Eigen::MatrixXd>& F, const Eigen::Ref<const Eigen::VectorXd>& y);

  // Closed-form LOO residuals at `lambda` for the last Fit.
  Eigen::VectorXd LooResiduals(double lambda) const;

  // k(query, context)^T alpha at the chosen lambda; query is (dim).
  double Predict(const Eigen::Ref<const Eigen::VectorXd>& query) const;

  double lambda() const { return lambda_; }

 private:
  KrrOptions options_;
  Eigen::MatrixXd F_;  // (dim, n) context features of the last Fit
  Eigen::MatrixXd K_;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig_;
  Eigen::VectorXd evals_;  // eigenvalues clamped at 0 (round-off)
  Eigen::VectorXd qty_;    // Q^T y
  Eigen::VectorXd y_;
  Eigen::VectorXd alpha_;
  mutable Eigen::MatrixXd kq_;  // scratch for Predict (no per-call allocation)
  double lambda_ = 0;
};

}  // namespace sweep::numerics
