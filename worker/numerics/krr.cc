#include "worker/numerics/krr.h"

#include <cmath>
#include <limits>

namespace sweep::numerics {

void KernelMatrix(const KrrOptions& options, const Eigen::Ref<const Eigen::MatrixXd>& A,
                  const Eigen::Ref<const Eigen::MatrixXd>& B, Eigen::MatrixXd& K) {
  const double dim = double(A.rows());
  K.resize(A.cols(), B.cols());
  K.noalias() = A.transpose() * B;
  if (options.kernel == KernelKind::kRbf) {
    // |a-b|^2 = |a|^2 + |b|^2 - 2<a,b>; ell^2 = dim.
    const Eigen::VectorXd na = A.colwise().squaredNorm().transpose();
    const Eigen::RowVectorXd nb = B.colwise().squaredNorm();
    K = (-(((-2.0 * K).colwise() + na).rowwise() + nb).array().max(0.0) / (2.0 * dim)).exp();
  } else {
    K = (1.0 + K.array() / dim).pow(double(options.poly_degree));
  }
}

void KrrFitter::Fit(const Eigen::Ref<const Eigen::MatrixXd>& F,
                    const Eigen::Ref<const Eigen::VectorXd>& y) {
  F_ = F;
  y_ = y;
  KernelMatrix(options_, F_, F_, K_);
  eig_.compute(K_, Eigen::ComputeEigenvectors);
  evals_ = eig_.eigenvalues().cwiseMax(0.0);
  qty_.noalias() = eig_.eigenvectors().transpose() * y_;
  double best = std::numeric_limits<double>::infinity();
  for (double lambda : options_.lambdas) {
    const double loo = LooResiduals(lambda).squaredNorm();
    if (loo < best) best = loo, lambda_ = lambda;
  }
  alpha_.noalias() = eig_.eigenvectors() * (qty_.array() / (evals_.array() + lambda_)).matrix();
}

Eigen::VectorXd KrrFitter::LooResiduals(double lambda) const {
  const Eigen::MatrixXd& Q = eig_.eigenvectors();
  const Eigen::ArrayXd denom = evals_.array() + lambda;
  const Eigen::VectorXd fitted = Q * (evals_.array() / denom * qty_.array()).matrix();
  // 1 - H_ii = sum_k Q_ik^2 lambda / (l_k + lambda) (rows of Q have unit norm): no
  // cancellation when H_ii is close to 1 (small lambda, full-rank K).
  const Eigen::VectorXd one_minus_h = Q.array().square().matrix() * (lambda / denom).matrix();
  return ((y_ - fitted).array() / one_minus_h.array()).matrix();
}

double KrrFitter::Predict(const Eigen::Ref<const Eigen::VectorXd>& query) const {
  KernelMatrix(options_, query, F_, kq_);
  return (kq_ * alpha_)(0);
}

}  // namespace sweep::numerics
