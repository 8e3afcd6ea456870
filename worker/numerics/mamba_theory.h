// `mamba-theory` (docs/science.md section 3): the one-layer gated SSM with a diagonal
// key-query product and a random-feature ReLU head that the paper analyses.
//
// For a prompt with context (x_j, y_j), j < n, and query x_q:
//   s_j = sigmoid(w^T [x_j; y_j] + b_g)        (gate: none -> s_j = 1/N)
//   G_j = s_j prod_{j<k<n} (1 - s_k)           (computed in log space)
//   q_j = x_q^T diag(gamma) x_j
//   u = (sum G q, sum G y q, sum G q^2, |gamma . x_q|^2 sum G)
//   f = a_0 + sum_k a_k ReLU(v_k^T u~ + c_k),  u~ = standardised u
// In stage 1 u~ uses the batch's mean and std and the gradient flows through them (as
// autograd would); after Refit (stage 2) they are frozen. Everything is float64: the
// model is tiny and float64 makes the finite-difference checks meaningful.
//
// Layout: batch-level matrices are (feature, prompt): u is (4, count), H is (m, count).
// Not thread-safe, not even const methods (they share scratch buffers): one model per job.
//
// Threads (`threads: k`): Features, LossAndGrad and Predict take the job's ThreadPool
// (null: the calling thread alone). Prompts go in chunks of kChunk, a partition fixed by
// the batch size; each chunk writes only its own columns and, in LossAndGrad, its own
// partial gradient, and the partial gradients are added in chunk order. So the floats do
// not depend on k, nor on which thread ran which chunk (docs/science.md section 5).
#pragma once

#include <functional>
#include <random>
#include <vector>

#include <Eigen/Core>

#include "worker/numerics/task.h"
#include "worker/numerics/thread_pool.h"

namespace sweep::numerics {

struct TheoryShape {
  int d = 0;
  int N = 0;    // configured context length: sets b_g's init and the `none` gate
  int m = 256;  // ReLU units of the head
  bool gated = true;
};

// The trained parameters (stage 1 trains all of them; stage 2 refits only a).
struct TheoryParams {
  Eigen::VectorXd gamma;  // (d) key-query diagonal
  Eigen::VectorXd w;      // (d + 1) gate weights on [x; y]
  double b_g = 0;         // gate bias
  Eigen::VectorXd a;      // (m + 1): a(0) = a_0, a(k) = output weight of unit k

  static TheoryParams Zero(const TheoryShape& shape);
  int Size() const { return int(gamma.size() + w.size() + 1 + a.size()); }
  // Order: gamma, w, b_g, a (used by Adam and the gradient checker).
  Eigen::VectorXd Flatten() const;
  void Unflatten(const Eigen::Ref<const Eigen::VectorXd>& flat);
};

class MambaTheory {
 public:
  // gamma = 1, w = (0, .., 0, 1), b_g = -log N; head v_k ~ N(0, I_4), c_k ~ Unif[-1, 1],
  // a_k ~ N(0, 1/m), a_0 = 0, all from `init_rng`. Standardisation starts at (0, 1).
  MambaTheory(const TheoryShape& shape, std::mt19937_64& init_rng);

  const TheoryShape& shape() const { return shape_; }
  TheoryParams& params() { return params_; }
  const TheoryParams& params() const { return params_; }
  // The fixed random head: v_k^T as rows (m, 4) and c_k (m).
  const Eigen::MatrixXd& head_directions() const { return V_; }
  const Eigen::VectorXd& head_offsets() const { return c_; }
  // The standardisation of u (4): (0, 1) until Refit, then the stage-2 mean and std.
  const Eigen::VectorXd& input_mean() const { return mean_; }
  const Eigen::VectorXd& input_std() const { return std_; }

  // Prompts per work item of the threaded loops (see the file comment).
  static constexpr int kChunk = 16;

  // Raw head inputs u (4, count) of `prompts` using their first n context examples.
  void Features(const PromptBatch& prompts, int n, Eigen::MatrixXd& u,
                ThreadPool* pool = nullptr) const;

  // Stage-1 loss mean_p (f_p - y_p)^2 over the prompts (all N context examples), with
  // batch standardisation; writes dLoss/dparams into `grad` (resized). No weight decay.
  // side(phase), if given, runs on the calling thread at the start of the forward pass
  // (phase 0) and of the backward pass (phase 1), next to the other threads' chunks: the
  // job draws its next batch there. It must not touch `prompts` or this model.
  // draw(p), if given, fills prompt p of `prompts` (shaped already) right before its
  // forward pass; only on one thread (pool null or of size 1), where the prompts are drawn
  // in order. The job draws a stage-1 batch this way with threads 1: each prompt's
  // examples are still in cache when the forward pass reads them (a batch is 16 MB at
  // the reference shape, and reading it back from memory was most of the products'
  // cost). Same draws, same floats as drawing the batch first.
  double LossAndGrad(const PromptBatch& prompts, TheoryParams& grad, ThreadPool* pool = nullptr,
                     const std::function<void(int phase)>& side = nullptr,
                     const std::function<void(int p)>& draw = nullptr) const;

  // Stage 2: freezes the standardisation at the mean and std of u (4, T) and refits a by
  // ridge regression min (1/T)|Phi a - y|^2 + lambda |a_{1..m}|^2 (a_0 not penalised).
  void Refit(const Eigen::Ref<const Eigen::MatrixXd>& u, const Eigen::Ref<const Eigen::VectorXd>& y,
             double lambda);

  // Predictions (lengths.size(), count) for every n in `lengths` (each <= N): Predict per
  // length up to rounding, with each prompt's products over its examples computed once
  // for the longest length (they do not depend on n). What evaluation calls.
  void PredictAtLengths(const PromptBatch& prompts, const std::vector<int>& lengths,
                        Eigen::MatrixXd& pred, ThreadPool* pool = nullptr) const;

  // Predictions (count) with the frozen standardisation, first n context examples.
  void Predict(const PromptBatch& prompts, int n, Eigen::VectorXd& pred,
               ThreadPool* pool = nullptr) const;

 private:
  // Forward quantities of a batch, one column per prompt, kept for the backward pass.
  struct PromptCache {
    Eigen::MatrixXd G, q, s;  // (n, count)
    Eigen::MatrixXd gx;       // (d, count): gamma . x_q
    int n = 0;
    void Resize(int d, int n_ctx, int count);
  };
  // Per-thread scratch of one prompt's forward and backward pass.
  struct Scratch {
    Eigen::VectorXd one_minus;  // (n) GateWeights: 1 - s
    Eigen::MatrixXd proj;       // (n, 2) backward: (dq, dpre)
    Eigen::MatrixXd xsum;       // (d, 2) backward: (X dq, X dpre)
    Eigen::MatrixXd dots;       // (n, 2) PredictAtLengths: (q, x^T w) of one prompt
  };
  // u of prompt p from its first n examples (cache rows >= n). dots, if given, holds
  // q_j and x_j^T w_x for j < n as the two columns of scratch.dots (PredictAtLengths).
  void ForwardPrompt(const PromptBatch& prompts, int p, int n, PromptCache& cache,
                     Scratch& scratch, double* u, const double* dots = nullptr) const;
  // Turns the gate pre-activations in cache.G.col(p).head(n) into G and s.
  void GateWeights(PromptCache& cache, Scratch& scratch, int p, int n) const;
  void BackwardPrompt(const PromptBatch& prompts, int p, PromptCache& cache, Scratch& scratch,
                      const double* du, TheoryParams& grad) const;
  // Runs fn(chunk, thread) for chunk = 0..chunks-1 on the pool's threads, handing the
  // next chunk to whichever thread is free; the calling thread runs `side` first.
  void RunChunks(ThreadPool* pool, int chunks, const std::function<void()>& side,
                 const std::function<void(int chunk, int thread)>& fn) const;
  // Head on standardised inputs ut (4, count): pre-activations H (m, count), f (count).
  void Head(const Eigen::MatrixXd& ut, Eigen::MatrixXd& H, Eigen::VectorXd& f) const;

  TheoryShape shape_;
  TheoryParams params_;
  Eigen::MatrixXd V_;  // (m, 4) fixed ReLU directions v_k^T
  Eigen::VectorXd c_;  // (m) fixed ReLU offsets
  // Dynamic, not Vector4d: a fixed-size vectorisable member makes the class layout depend
  // on -march (this library is built with x86-64-v3, its callers may not be).
  Eigen::VectorXd mean_ = Eigen::VectorXd::Zero(4);
  Eigen::VectorXd std_ = Eigen::VectorXd::Ones(4);
  // Scratch reused across calls, so a training step allocates nothing per prompt.
  mutable PromptCache work_;
  mutable std::vector<Scratch> scratch_;           // one per thread
  mutable std::vector<TheoryParams> chunk_grads_;  // LossAndGrad: one per chunk
  mutable Eigen::MatrixXd head_pre_, head_grad_;   // LossAndGrad: H and dH (m, count)
};

}  // namespace sweep::numerics
