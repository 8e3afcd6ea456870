// The stage-1 loss and its hand-written gradient, and the stage-2 ridge refit of
// `mamba-theory` (docs/science.md section 3). Derivations are in the comments next to each
// step; tests/worker/numerics/mamba_theory_gradient_test.cc checks them by central
// differences.
#include <algorithm>
#include <cmath>
#include <functional>

#include <Eigen/Cholesky>

#include "common/status.h"
#include "worker/numerics/mamba_theory.h"
#include "worker/numerics/theory_kernels.h"

namespace sweep::numerics {
namespace {

constexpr double kVarEps = 1e-12;  // variance floor of the standardisation

}  // namespace

void MambaTheory::BackwardPrompt(const PromptBatch& prompts, int p, PromptCache& cache,
                                 Scratch& scratch, const double* du, TheoryParams& grad) const {
  const int d = shape_.d, n = cache.n;
  const auto X = prompts.x.middleCols(prompts.Col(p, 0), n);
  const auto y = prompts.y.segment(prompts.Col(p, 0), n);
  const auto xq = prompts.x.col(prompts.Col(p, prompts.N));
  const auto G = cache.G.col(p);
  const auto q = cache.q.col(p);
  const auto gx = cache.gx.col(p);
  // u0 = G.q, u1 = G.(y q), u2 = G.q^2, u3 = |gx|^2 sum G.
  const double gx2 = gx.squaredNorm();
  // q_j = sum_c gamma_c xq_c x_jc; |gx|^2 = sum_c gamma_c^2 xq_c^2. proj is scratch
  // for (dq, dpre).
  scratch.proj.resize(n, 2);
  scratch.xsum.resize(d, 2);
  auto dq = scratch.proj.col(0);
  dq = G.cwiseProduct((du[0] + du[1] * y.array() + 2.0 * du[2] * q.array()).matrix());
  grad.gamma += (2.0 * du[3] * G.sum()) * params_.gamma.cwiseProduct(xq.cwiseAbs2());
  if (!shape_.gated) {
    grad.gamma += xq.cwiseProduct(X * dq);
    return;
  }
  // dl_j = dG_j G_j (G = exp l); l_j = log s_j + sum_{k>j} log(1 - s_k), so
  // dpre_j = dl_j (1 - s_j) - s_j sum_{i<j} dl_i.
  const auto s = cache.s.col(p);
  auto dpre = scratch.proj.col(1);
  double prefix = 0;
  for (int j = 0; j < n; ++j) {
    const double dG = du[0] * q(j) + du[1] * y(j) * q(j) + du[2] * q(j) * q(j) + du[3] * gx2;
    const double dl = dG * G(j);
    dpre(j) = dl * (1.0 - s(j)) - s(j) * prefix;
    prefix += dl;
  }
  // X dq and X dpre in one pass over X (theory_kernels.h).
  auto Xdq = scratch.xsum.col(0), Xdpre = scratch.xsum.col(1);
  TwoAxpys(X.data(), d, n, dq.data(), dpre.data(), Xdq.data(), Xdpre.data());
  grad.gamma += xq.cwiseProduct(Xdq);
  grad.w.head(d) += Xdpre;
  grad.w(d) += y.dot(dpre);
  grad.b_g += dpre.sum();
}

double MambaTheory::LossAndGrad(const PromptBatch& prompts, TheoryParams& grad, ThreadPool* pool,
                                const std::function<void(int)>& side,
                                const std::function<void(int)>& draw) const {
  SWEEP_CHECK(prompts.d == shape_.d && prompts.count >= 1);
  SWEEP_CHECK(!draw || pool == nullptr || pool->size() == 1);
  const int count = prompts.count, m = shape_.m, d = shape_.d;
  const int chunks = (count + kChunk - 1) / kChunk;
  auto chunk_end = [&](int c) { return std::min(count, (c + 1) * kChunk); };
  auto side_of = [&](int phase) -> std::function<void()> {
    if (!side) return nullptr;
    return [&side, phase] { side(phase); };
  };
  PromptCache& cache = work_;
  cache.Resize(d, prompts.N, count);
  Eigen::MatrixXd u(4, count);
  RunChunks(pool, chunks, side_of(0), [&](int c, int thread) {
    for (int p = c * kChunk; p < chunk_end(c); ++p) {
      if (draw) draw(p);
      ForwardPrompt(prompts, p, prompts.N, cache, scratch_[thread], u.col(p).data());
    }
  });
  // Batch standardisation: ut = (u - mean) / sigma, sigma = sqrt(var + eps).
  const Eigen::VectorXd mean = u.rowwise().mean();
  const Eigen::MatrixXd centred = u.colwise() - mean;
  const Eigen::VectorXd sigma =
      (centred.array().square().rowwise().mean() + kVarEps).sqrt().matrix();
  const Eigen::MatrixXd ut = centred.array().colwise() / sigma.array();
  // H and dH (m, count) are members: 512 KB each at the defaults, which malloc would map
  // and unmap (and the kernel zero) on every step.
  Eigen::MatrixXd& H = head_pre_;
  Eigen::VectorXd f;
  Head(ut, H, f);
  Eigen::VectorXd target(count);
  for (int p = 0; p < count; ++p) target(p) = prompts.QueryY(p);
  const Eigen::VectorXd resid = f - target;
  const double loss = resid.squaredNorm() / count;
  // Head: f = a_0 + a^T ReLU(H), H = V ut + c.
  const Eigen::VectorXd df = (2.0 / count) * resid;
  grad = TheoryParams::Zero(shape_);
  grad.a(0) = df.sum();
  grad.a.tail(m).noalias() = H.cwiseMax(0.0) * df;
  Eigen::MatrixXd& dH = head_grad_;
  dH.noalias() = params_.a.tail(m) * df.transpose();
  dH.array() *= (H.array() > 0).cast<double>();
  const Eigen::MatrixXd dut = V_.transpose() * dH;  // (4, count)
  // Standardisation backward (batch-norm): du = (dut - mean(dut) - ut mean(dut ut)) / sigma.
  const Eigen::VectorXd m1 = dut.rowwise().mean();
  const Eigen::VectorXd m2 = dut.cwiseProduct(ut).rowwise().mean();
  const Eigen::MatrixXd du =
      ((dut.colwise() - m1) - (ut.array().colwise() * m2.array()).matrix()).array().colwise() /
      sigma.array();
  // Each chunk's gradient from zero, in prompt order; then the chunks in chunk order.
  chunk_grads_.resize(chunks);
  RunChunks(pool, chunks, side_of(1), [&](int c, int thread) {
    TheoryParams& part = chunk_grads_[c];
    part.gamma.setZero(d), part.w.setZero(d + 1), part.b_g = 0;
    for (int p = c * kChunk; p < chunk_end(c); ++p) {
      BackwardPrompt(prompts, p, cache, scratch_[thread], du.col(p).data(), part);
    }
  });
  for (const TheoryParams& part : chunk_grads_) {
    grad.gamma += part.gamma, grad.w += part.w, grad.b_g += part.b_g;
  }
  return loss;
}

void MambaTheory::Refit(const Eigen::Ref<const Eigen::MatrixXd>& u,
                        const Eigen::Ref<const Eigen::VectorXd>& y, double lambda) {
  const Eigen::Index T = u.cols();
  const int m = shape_.m;
  mean_ = u.rowwise().mean();
  const Eigen::MatrixXd centred = u.colwise() - mean_;
  std_ = (centred.array().square().rowwise().mean() + kVarEps).sqrt().matrix();
  const Eigen::MatrixXd ut = centred.array().colwise() / std_.array();
  Eigen::MatrixXd H = V_ * ut;
  H.colwise() += c_;
  Eigen::MatrixXd phi(m + 1, T);  // row 0: the constant feature of a_0
  phi.row(0).setOnes();
  phi.bottomRows(m) = H.cwiseMax(0.0);
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(m + 1, m + 1);
  A.selfadjointView<Eigen::Lower>().rankUpdate(phi, 1.0 / double(T));
  A = A.selfadjointView<Eigen::Lower>();
  A.diagonal().tail(m).array() += lambda;
  const Eigen::VectorXd rhs = phi * y / double(T);
  params_.a = A.ldlt().solve(rhs);
}

}  // namespace sweep::numerics
