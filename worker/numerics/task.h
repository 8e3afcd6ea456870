// The in-context single-index task of docs/science.md section 1: a fixed subspace U, per-prompt
// directions beta = U v, Gaussian inputs and noisy Hermite-link labels. Shared by every
// model (krr, mamba-theory, and the trained nets in nets/).
//
// Layout (worker/numerics/README.md): a PromptBatch stores examples as COLUMNS. Example j
// of prompt p is column p * (N + 1) + j; j = 0..N-1 are the context examples, j = N is the
// query. Thread-safety: a TaskSampler is immutable after construction; the generator is
// passed in by the caller, so one sampler may serve several streams.
#pragma once

#include <Eigen/Core>
#include <cstdint>

#include "absl/status/statusor.h"
#include "common/job_config.h"
#include "common/link_expr.h"
#include "worker/numerics/link.h"
#include "worker/numerics/normal.h"
#include "worker/numerics/rng.h"

namespace sweep::numerics {

// `count` prompts of N context examples plus one query each.
struct PromptBatch {
  int count = 0;
  int N = 0;
  int d = 0;
  Eigen::MatrixXd x;     // (d, count * (N + 1)), column = example
  Eigen::VectorXd y;     // (count * (N + 1)), labels including noise
  Eigen::MatrixXd beta;  // (d, count), column p = the task direction of prompt p

  int Col(int p, int j) const { return p * (N + 1) + j; }
  double QueryY(int p) const { return y(Col(p, N)); }
};

// The task parameters of a job, validated.
struct TaskSpec {
  int d = 0;
  int r = 0;
  LinkExpr link;
  double tau = 0;
  bool random_subspace = false;
};

// Validates the task keys of `config` (d >= 1, 1 <= r <= d, tau >= 0 and finite, link
// parses, subspace known). Errors: INVALID_ARGUMENT naming the key.
absl::StatusOr<TaskSpec> TaskSpecFromConfig(const JobConfig& config);

class TaskSampler {
 public:
  // Draws U from Stream::kSubspace of `seed` when spec.random_subspace (QR of a d x r
  // Gaussian); otherwise U = first r coordinate vectors.
  TaskSampler(const TaskSpec& spec, uint64_t seed);

  // Shortcut: TaskSpecFromConfig + constructor with config.seed.
  static absl::StatusOr<TaskSampler> FromConfig(const JobConfig& config);

  const TaskSpec& spec() const { return spec_; }
  const Eigen::MatrixXd& U() const { return U_; }                             // (d, r), U^T U = I
  double SecondMoment() const { return spec_.link.SecondMoment(spec_.tau); }  // E[y^2]

  // Overwrites `out` with `count` fresh prompts of N context examples (buffers are
  // reused when the shape matches). Per prompt: v ~ Unif(S^{r-1}), beta = U v; per
  // example x ~ N(0, I_d), y = g(<beta, x>) + zeta, zeta ~ Unif{-tau, +tau}.
  // d_active in [1, d] (curriculum, nets only): coordinates >= d_active of every x are
  // zero and y is computed from that zeroed x; d_active <= 0 means d.
  void Sample(int count, int N, TaskRng& rng, PromptBatch& out, int d_active = 0) const;

  // Sample() in two parts, so that a batch can be drawn piecewise (mamba-theory draws the
  // next batch while its threads train on the current one): Shape() sizes `out` for
  // `count` prompts; SamplePrompts() draws prompts [first, first + count) into it. Drawing
  // [0, a) and then [a, count) takes the same words from rng as one Sample(); so does
  // drawing one prompt at a time.
  void Shape(int count, int N, PromptBatch& out) const;
  void SamplePrompts(int first, int count, TaskRng& rng, PromptBatch& out,
                     int d_active = 0) const;

 private:
  TaskSpec spec_;
  LinkPolynomial poly_;  // g in monomials, for batch evaluation
  Eigen::MatrixXd U_;    // (d, r)
  // Built once: mamba-theory draws one prompt per SamplePrompts call (mamba_theory.h,
  // LossAndGrad's draw), and building the tables per call cost more than the draw.
  ZigguratNormal normal_;
};

}  // namespace sweep::numerics
