#include "worker/numerics/task.h"

#include <cmath>
#include <cstddef>
#include <string>

#include <Eigen/QR>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "worker/numerics/link.h"
#include "worker/numerics/normal.h"
#include "worker/numerics/rng.h"

namespace sweep::numerics {
namespace {

absl::Status Invalid(const std::string& msg) { return absl::InvalidArgumentError(msg); }

// Haar-distributed d x r orthonormal matrix: thin Q of the QR of a Gaussian matrix with
// the signs fixed so that diag(R) > 0 (Mezzadri 2007).
Eigen::MatrixXd RandomSubspace(int d, int r, uint64_t seed) {
  TaskRng rng = MakeTaskStream(seed, Stream::kSubspace);
  const ZigguratNormal normal;
  Eigen::MatrixXd g(d, r);
  for (int c = 0; c < r; ++c) {
    for (int i = 0; i < d; ++i) g(i, c) = normal(rng);
  }
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(g);
  Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(d, r);
  const Eigen::MatrixXd rr = qr.matrixQR().topRows(r).triangularView<Eigen::Upper>();
  for (int c = 0; c < r; ++c) {
    if (rr(c, c) < 0) q.col(c) = -q.col(c);
  }
  return q;
}

}  // namespace

absl::StatusOr<TaskSpec> TaskSpecFromConfig(const JobConfig& config) {
  if (config.d < 1) return Invalid(absl::StrCat("d: ", config.d, " < 1"));
  if (config.r < 1 || config.r > config.d) {
    return Invalid(absl::StrCat("r: ", config.r, " (must satisfy 1 <= r <= d = ", config.d, ")"));
  }
  if (!(config.tau >= 0) || !std::isfinite(config.tau)) {
    return Invalid(absl::StrCat("tau: ", config.tau, " (must be finite and >= 0)"));
  }
  TaskSpec spec;
  SWEEP_ASSIGN_OR_RETURN(spec.link, ParseLink(config.link));
  spec.d = config.d;
  spec.r = config.r;
  spec.tau = config.tau;
  spec.random_subspace = config.subspace == Subspace::kRandom;
  return spec;
}

TaskSampler::TaskSampler(const TaskSpec& spec, uint64_t seed)
    : spec_(spec), poly_(ToPolynomial(spec.link)) {
  U_ = spec.random_subspace ? RandomSubspace(spec.d, spec.r, seed)
                            : Eigen::MatrixXd::Identity(spec.d, spec.r);
}

absl::StatusOr<TaskSampler> TaskSampler::FromConfig(const JobConfig& config) {
  SWEEP_ASSIGN_OR_RETURN(TaskSpec spec, TaskSpecFromConfig(config));
  return TaskSampler(spec, config.seed);
}

void TaskSampler::Sample(int count, int N, TaskRng& rng, PromptBatch& out, int d_active) const {
  Shape(count, N, out);
  SamplePrompts(0, count, rng, out, d_active);
}

void TaskSampler::Shape(int count, int N, PromptBatch& out) const {
  const int d = spec_.d;
  out.count = count, out.N = N, out.d = d;
  out.x.resize(d, Eigen::Index(count) * (N + 1));
  out.y.resize(Eigen::Index(count) * (N + 1));
  out.beta.resize(d, count);
}

void TaskSampler::SamplePrompts(int first, int count, TaskRng& rng, PromptBatch& out,
                                int d_active) const {
  const int d = spec_.d, r = spec_.r, cols = out.N + 1;
  SWEEP_CHECK(first >= 0 && first + count <= out.count && out.d == d);
  if (d_active <= 0 || d_active > d) d_active = d;
  const ZigguratNormal& normal = normal_;
  Eigen::VectorXd v(r);
  Eigen::ArrayXd z(cols);
  for (int p = first; p < first + count; ++p) {
    // Draw order per prompt (part of the reproducibility contract): v, the x block in
    // column-major order (ZigguratNormal::Fill), then the noise signs 64 at a time.
    for (int i = 0; i < r; ++i) v(i) = normal(rng);
    out.beta.col(p).noalias() = U_ * (v / v.norm());
    auto xs = out.x.middleCols(Eigen::Index(p) * cols, cols);
    normal.Fill(rng, xs.data(), std::size_t(d) * cols);  // contiguous: column-major, d rows
    if (d_active < d) xs.bottomRows(d - d_active).setZero();
    z.matrix().noalias() = xs.transpose() * out.beta.col(p);
    Eigen::Map<Eigen::ArrayXd> y(out.y.data() + Eigen::Index(p) * cols, cols);
    EvalLink(poly_, z, y);
    // The sign by table lookup, not a branch: the bits are random, so a branch
    // mispredicts every other example (it was most of Sample's own time).
    const double noise[2] = {-spec_.tau, spec_.tau};
    uint64_t signs = 0;
    for (int j = 0; j < cols; ++j) {
      if (j % 64 == 0) signs = rng();
      y(j) += noise[(signs >> (j % 64)) & 1];
    }
  }
}

}  // namespace sweep::numerics
