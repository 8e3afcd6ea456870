#include "worker/numerics/mamba_theory.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>

#include <Eigen/Cholesky>

#include "common/status.h"
#include "worker/numerics/theory_kernels.h"

namespace sweep::numerics {
void MambaTheory::PromptCache::Resize(int d, int n_ctx, int count) {
  n = n_ctx;
  G.resize(n_ctx, count), q.resize(n_ctx, count), s.resize(n_ctx, count);
  gx.resize(d, count);
}

TheoryParams TheoryParams::Zero(const TheoryShape& shape) {
  TheoryParams p;
  p.gamma = Eigen::VectorXd::Zero(shape.d);
  p.w = Eigen::VectorXd::Zero(shape.d + 1);
  p.a = Eigen::VectorXd::Zero(shape.m + 1);
  return p;
}

Eigen::VectorXd TheoryParams::Flatten() const {
  Eigen::VectorXd flat(Size());
  flat << gamma, w, b_g, a;
  return flat;
}

void TheoryParams::Unflatten(const Eigen::Ref<const Eigen::VectorXd>& flat) {
  SWEEP_CHECK(flat.size() == Size());
  Eigen::Index at = 0;
  gamma = flat.segment(at, gamma.size()), at += gamma.size();
  w = flat.segment(at, w.size()), at += w.size();
  b_g = flat(at++);
  a = flat.segment(at, a.size());
}

MambaTheory::MambaTheory(const TheoryShape& shape, std::mt19937_64& init_rng)
    : shape_(shape), params_(TheoryParams::Zero(shape)) {
  params_.gamma.setOnes();
  params_.w(shape.d) = 1.0;  // rho0 = 1 on the label channel
  params_.b_g = -std::log(double(shape.N));
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> unif(-1.0, 1.0);
  V_.resize(shape.m, 4);
  c_.resize(shape.m);
  for (int k = 0; k < shape.m; ++k) {
    for (int i = 0; i < 4; ++i) V_(k, i) = normal(init_rng);
    c_(k) = unif(init_rng);
  }
  // Small random output weights, so that stage 1's first step already moves the features.
  for (int k = 1; k <= shape.m; ++k) params_.a(k) = normal(init_rng) / std::sqrt(double(shape.m));
}

void MambaTheory::GateWeights(PromptCache& cache, Scratch& scratch, int p, int n) const {
  // With e = exp(-|pre|): s = 1 / (1 + e) and 1 - s = e / (1 + e) for pre >= 0, the other
  // way round for pre < 0, so neither loses digits to cancellation and one exp serves
  // both. G_j = s_j prod_{k>j} (1 - s_k) is an exclusive suffix product; a product too
  // small for a double flushes to 0, which is what G_j is then. One exp and a division
  // per example instead of the log-space form's three exps and a log (results version 3,
  // docs/science.md section 5).
  double* __restrict G = cache.G.col(p).data();  // in: pre-activations; out: G
  double* __restrict s = cache.s.col(p).data();
  scratch.one_minus.resize(n);
  double* __restrict one_minus = scratch.one_minus.data();
  scratch.one_minus.array() = (-cache.G.col(p).head(n).array().abs()).exp();  // e
  for (int j = 0; j < n; ++j) {
    const double inv = 1.0 / (1.0 + one_minus[j]), e_inv = one_minus[j] * inv;
    const bool positive = G[j] >= 0.0;
    s[j] = positive ? inv : e_inv;
    one_minus[j] = positive ? e_inv : inv;
  }
  double suffix = 1.0;
  for (int j = n - 1; j >= 0; --j) {
    G[j] = s[j] * suffix;
    suffix *= one_minus[j];
  }
}

void MambaTheory::ForwardPrompt(const PromptBatch& prompts, int p, int n, PromptCache& cache,
                                Scratch& scratch, double* u, const double* dots) const {
  const int d = shape_.d;
  const auto y = prompts.y.segment(prompts.Col(p, 0), n);
  auto gx = cache.gx.col(p);
  gx = params_.gamma.cwiseProduct(prompts.x.col(prompts.Col(p, prompts.N)));
  auto q = cache.q.col(p).head(n);
  auto G = cache.G.col(p).head(n);
  auto s = cache.s.col(p).head(n);
  const double* X = prompts.x.col(prompts.Col(p, 0)).data();  // (d, n), column = example
  if (shape_.gated) {
    // pre_j = w^T [x_j; y_j] + b_g (held in G until GateWeights). One pass over X for
    // both products (theory_kernels.h), or the caller's (dots: the columns q and x^T w
    // of scratch.dots), which do not depend on n.
    if (dots != nullptr) {
      q = Eigen::Map<const Eigen::VectorXd>(dots, n);
      G = Eigen::Map<const Eigen::VectorXd>(dots + scratch.dots.rows(), n);
    } else {
      TwoDots(X, d, n, gx.data(), params_.w.data(), q.data(), G.data());
    }
    G += params_.w(d) * y;
    G.array() += params_.b_g;
    GateWeights(cache, scratch, p, n);
  } else {
    const auto Xm = prompts.x.middleCols(prompts.Col(p, 0), n);
    q.noalias() = Xm.transpose() * gx;
    const double s0 = 1.0 / shape_.N;
    for (int j = 0; j < n; ++j) s(j) = s0, G(j) = s0 * std::pow(1.0 - s0, n - 1 - j);
  }
  u[0] = G.dot(q);
  u[1] = G.dot(y.cwiseProduct(q));
  u[2] = G.dot(q.cwiseProduct(q));
  u[3] = gx.squaredNorm() * G.sum();
}

void MambaTheory::RunChunks(ThreadPool* pool, int chunks, const std::function<void()>& side,
                            const std::function<void(int, int)>& fn) const {
  const int threads = pool == nullptr ? 1 : pool->size();
  if (int(scratch_.size()) < threads) scratch_.resize(threads);
  if (threads == 1) {
    if (side) side();
    for (int c = 0; c < chunks; ++c) fn(c, 0);
    return;
  }
  // One item per thread, each taking chunks from a shared counter: the calling thread may
  // spend part of the pass on `side`, and the others pick up its share meanwhile. Which
  // thread runs a chunk changes no float (the file comment in mamba_theory.h).
  std::atomic<int> next{0};
  pool->ParallelFor(threads, [&](int, int thread) {
    if (thread == 0 && side) side();
    for (int c = next.fetch_add(1); c < chunks; c = next.fetch_add(1)) fn(c, thread);
  });
}

void MambaTheory::Features(const PromptBatch& prompts, int n, Eigen::MatrixXd& u,
                           ThreadPool* pool) const {
  SWEEP_CHECK(n >= 0 && n <= prompts.N && prompts.d == shape_.d);
  work_.Resize(shape_.d, n, prompts.count);
  u.resize(4, prompts.count);
  const int chunks = (prompts.count + kChunk - 1) / kChunk;
  RunChunks(pool, chunks, nullptr, [&](int c, int thread) {
    const int end = std::min(prompts.count, (c + 1) * kChunk);
    for (int p = c * kChunk; p < end; ++p) {
      ForwardPrompt(prompts, p, n, work_, scratch_[thread], u.col(p).data());
    }
  });
}

void MambaTheory::PredictAtLengths(const PromptBatch& prompts, const std::vector<int>& lengths,
                                   Eigen::MatrixXd& pred, ThreadPool* pool) const {
  const int count = prompts.count, L = int(lengths.size());
  const int n_max = L == 0 ? 0 : *std::max_element(lengths.begin(), lengths.end());
  SWEEP_CHECK(n_max <= prompts.N && prompts.d == shape_.d);
  work_.Resize(shape_.d, n_max, count);
  std::vector<Eigen::MatrixXd> u(L, Eigen::MatrixXd(4, count));
  const int chunks = (count + kChunk - 1) / kChunk;
  RunChunks(pool, chunks, nullptr, [&](int c, int thread) {
    Scratch& scratch = scratch_[thread];
    for (int p = c * kChunk; p < std::min(count, (c + 1) * kChunk); ++p) {
      const double* dots = nullptr;
      if (shape_.gated) {  // q_j and x_j^T w once for the longest length
        scratch.dots.resize(n_max, 2);
        const Eigen::VectorXd gx =
            params_.gamma.cwiseProduct(prompts.x.col(prompts.Col(p, prompts.N)));
        TwoDots(prompts.x.col(prompts.Col(p, 0)).data(), shape_.d, n_max, gx.data(),
                params_.w.data(), scratch.dots.col(0).data(), scratch.dots.col(1).data());
        dots = scratch.dots.data();
      }
      for (int i = 0; i < L; ++i) {
        ForwardPrompt(prompts, p, lengths[i], work_, scratch, u[i].col(p).data(), dots);
      }
    }
  });
  pred.resize(L, count);
  Eigen::MatrixXd H;
  Eigen::VectorXd f;
  for (int i = 0; i < L; ++i) {
    const Eigen::MatrixXd ut = (u[i].colwise() - mean_).array().colwise() / std_.array();
    Head(ut, H, f);
    pred.row(i) = f.transpose();
  }
}

void MambaTheory::Head(const Eigen::MatrixXd& ut, Eigen::MatrixXd& H, Eigen::VectorXd& f) const {
  H.noalias() = V_ * ut;
  H.colwise() += c_;
  f.noalias() = H.cwiseMax(0.0).transpose() * params_.a.tail(shape_.m);
  f.array() += params_.a(0);
}

void MambaTheory::Predict(const PromptBatch& prompts, int n, Eigen::VectorXd& pred,
                          ThreadPool* pool) const {
  Eigen::MatrixXd u, H;
  Features(prompts, n, u, pool);
  const Eigen::MatrixXd ut = (u.colwise() - mean_).array().colwise() / std_.array();
  Head(ut, H, pred);
}

}  // namespace sweep::numerics
