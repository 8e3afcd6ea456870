#include "worker/numerics/cost_model.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/job_keys.h"
#include "worker/numerics/eval.h"
#include "worker/numerics/nets/data_parallel.h"

namespace sweep::numerics {
namespace {

constexpr int kEvalChunk = 200;    // prompts per evaluation chunk (eval.cc, evaluate_net.cc)
constexpr int kStage2Chunk = 256;  // mamba-theory stage-2 prompts per chunk
constexpr int kStage2CacheChunk = 8;  // the same with one thread
constexpr double kSetupSeconds = 0.005;

bool IsNet(const JobConfig& c) {
  return c.model == ModelKind::kMamba || c.model == ModelKind::kTransformer;
}

int Tokens(const JobConfig& c, int N) {
  return c.format == PromptFormat::kPaired ? N + 1 : 2 * N + 1;
}

// Forward FLOPs per token of a net (the formula bench_nets uses): read-in and readout,
// then per layer the GEMMs (2 FLOPs per multiply-add), the depthwise conv and the scan
// (5 E n per token) for mamba, the projections, MLP (4x) and attention (4 T D) for the
// transformer.
double NetTokenFlops(const JobConfig& c, int T) {
  const double D = c.D, E = double(c.expand) * c.D, n = c.n;
  const double io = 2.0 * (c.d + 1) * D + 2.0 * D;
  double layer = 0;
  if (c.model == ModelKind::kMamba) {
    layer = 2.0 * (D * 2 * E + E * E + 2 * E * n + E * D) + 2.0 * c.conv * E + 5.0 * E * n;
  } else {
    layer = 24.0 * D * D + 4.0 * T * D;
  }
  return io + c.L * layer;
}

// Context length of training step s under the curriculum (trainer.h): from
// ceil(start * N) growing linearly to N over the first ramp * steps steps.
int CurriculumN(const JobConfig& c, int s) {
  if (!c.curriculum) return c.N;
  const double n0 = std::ceil(c.curriculum_start * c.N);
  const double ramp = c.curriculum_ramp * c.steps;
  const double frac = ramp <= 0 ? 1.0 : std::min(1.0, s / ramp);
  return std::min(c.N, int(std::ceil(n0 + (c.N - n0) * frac)));
}

double NetFlops(const JobConfig& c) {
  double train = 0;
  if (c.curriculum) {
    for (int s = 0; s < c.steps; ++s) {
      const int T = Tokens(c, CurriculumN(c, s));
      train += 3.0 * c.batch * T * NetTokenFlops(c, T);
    }
  } else {
    const int T = Tokens(c, c.N);
    train = 3.0 * c.steps * c.batch * double(T) * NetTokenFlops(c, T);
  }
  const int T = Tokens(c, c.N);
  return train + double(c.eval_tasks) * T * NetTokenFlops(c, T);
}

double KrrFlops(const JobConfig& c) {
  const double dim = c.features == Features::kIntrinsic ? c.r : c.d;
  double per_prompt = 0;
  for (int n : EvaluatedLengths(c)) {
    // Kernel matrix (distances + exp), symmetric eigendecomposition with vectors (~9 n^3),
    // the leave-one-out scan over the ridge grid (a few n^2 products).
    per_prompt += 9.0 * n * n * n + double(n) * n * (2.0 * dim + 60.0);
  }
  return double(c.eval_tasks) * per_prompt;
}

double TheoryUnits(const JobConfig& c) {
  const double ex = double(c.N + 1) * c.d;  // example-dims of one prompt
  double eval_lengths = 0;
  for (int n : EvaluatedLengths(c)) eval_lengths += n;
  return 4.0 * c.K1 * c.T1 * ex + 2.0 * c.T2 * ex +
         double(c.eval_tasks) * (ex + eval_lengths * c.d);
}

// Bytes of a PromptBatch of `count` prompts (x, y, beta in float64).
double PromptBytes(const JobConfig& c, int count) {
  return 8.0 * count * ((c.N + 1.0) * (c.d + 1) + c.d);
}

// Coefficients counted from the layers' buffers and fitted to measured peaks (ru_maxrss)
// of default and off-default shapes (docs/performance.md, "Memory per job").
double NetBytes(const JobConfig& c) {
  const double sz = c.dtype == Dtype::kFloat64 ? 8 : 4;
  const int T = Tokens(c, c.N);
  const double D = c.D, E = double(c.expand) * c.D, n = c.n, H = c.H;
  // Scalars per token: training keeps every layer's activations for backward plus their
  // gradients; evaluation only the forward's working set.
  const double io = 2.0 * (c.d + 1) + 4.0 * D;
  double train_token = io, eval_token = 2.0 * (c.d + 1) + 2.0 * D;
  double params = 2.0 * (c.d + 1) * D + 2.0 * D;
  double scratch = 0, base = 14e6;  // allocator arenas, Eigen and first-touch code pages
  if (c.model == ModelKind::kMamba) {
    train_token += c.L * (16.0 * E + 2.0 * D + 4.0 * n);
    eval_token += c.L * (1.5 * E + D);
    params += c.L * (D * 2 * E + E * E + 2 * E * n + E * D + c.conv * E + E * n + 4 * E + 2 * D);
    scratch = c.L * 2.0 * E * n * T;  // the scan's per-sequence states and decays
  } else {
    train_token += c.L * (24.0 * D + 0.5 * H * T);
    eval_token += c.L * 2.0 * D;
    params += c.L * (12.0 * D * D + 10.0 * D) + double(T) * D;
    base = 10e6;
  }
  // Training runs micro-batches of nets::kMicroBatch prompts on one model replica per
  // thread (nets/data_parallel.h): activations for one micro-batch per replica, and each
  // replica's weights and gradients.
  const int micro = std::min(c.batch, nets::kMicroBatch);
  const int replicas = std::min(std::max(c.threads, 1), (c.batch + micro - 1) / micro);
  const double train = sz * double(replicas) * micro * T * train_token + PromptBytes(c, c.batch) +
                       sz * replicas * 2.0 * (params + scratch);
  const int eval_count = std::min(c.eval_tasks, kEvalChunk);
  const double eval = sz * double(eval_count) * T * eval_token + PromptBytes(c, eval_count) +
                      8.0 * eval_count * (c.N + 1.0) * 3;               // predictions and targets
  return base + std::max(train, eval) + sz * (4.0 * params + scratch);  // weights, grad, m, v
}

double TheoryBytes(const JobConfig& c) {
  // The largest prompt batch of the three phases and the model's per-example scratch
  // (gates, log-products, q and their gradients: ~12 doubles), the head's (m, count)
  // activations, and stage 2's refit: the (m, T2) head features and a temporary. With
  // threads >= 2 stage 1 holds a second batch of T1 prompts (the next one, drawn while
  // the current one trains) and stage 2 draws 256 prompts at a time; with one thread
  // each stage-1 prompt is drawn into the one batch right before its forward pass, and
  // stage 2 draws 8 at a time (mamba_theory_job.cc).
  const bool one_thread = c.threads <= 1;
  const int stage2 = std::min(c.T2, one_thread ? kStage2CacheChunk : kStage2Chunk);
  const int count = std::max({c.T1, stage2, std::min(c.eval_tasks, kEvalChunk)});
  const double next_batch = c.K1 > 1 && !one_thread ? PromptBytes(c, c.T1) : 0.0;
  return 2e6 + PromptBytes(c, count) + next_batch + 8.0 * 12.0 * count * (c.N + 1) +
         8.0 * (5.0 * c.T2 + 8.0 * c.m * count) + 16.0 * c.m * c.T2;
}

double KrrBytes(const JobConfig& c) {
  const std::vector<int> lengths = EvaluatedLengths(c);
  const double n = lengths.empty() ? 0 : *std::max_element(lengths.begin(), lengths.end());
  const int count = std::min(c.eval_tasks, kEvalChunk);
  // Kernel, eigenvectors and the solver's workspace: ~3.5 n x n doubles.
  return 2e6 + PromptBytes(c, count) + 28.0 * n * n + 8.0 * (c.d + 4.0) * (c.N + 1);
}

absl::Status UnknownModel(const JobConfig& c) {
  return absl::InvalidArgumentError(
      absl::StrCat("model: value ", int(c.model), " is not a ModelKind"));
}

}  // namespace

absl::StatusOr<double> EstimateJobFlops(const JobConfig& config) {
  switch (config.model) {
    case ModelKind::kMamba:
    case ModelKind::kTransformer:
      return NetFlops(config);
    case ModelKind::kKrr:
      return KrrFlops(config);
    case ModelKind::kMambaTheory:
      return TheoryUnits(config);
    case ModelKind::kExec:
      return 0.0;  // an outside program: its cost is unknown (docs/exec.md)
  }
  return UnknownModel(config);  // a value outside ModelKind, as RunJob
}

CostRates DefaultRates() {
  CostRates r;
  // `sweep estimate --calibrate` on the development machine, 2026-11-30, load ~14.
  r.net_f32 = 25e9;
  r.net_f64 = 8e9;
  r.krr = 9e9;
  r.theory = 0.65e9;
  r.source = "built-in (calibrated on the 2-core development machine)";
  return r;
}

absl::StatusOr<double> EstimateJobSeconds(const JobConfig& config, const CostRates& rates) {
  absl::StatusOr<double> work = EstimateJobFlops(config);
  if (!work.ok()) return work.status();
  double rate = rates.theory;
  if (IsNet(config)) rate = config.dtype == Dtype::kFloat64 ? rates.net_f64 : rates.net_f32;
  if (config.model == ModelKind::kKrr) rate = rates.krr;
  if (!(rate > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("rates: no positive rate for ", std::string(EnumName(config.model))));
  }
  return kSetupSeconds + *work / rate;
}

absl::StatusOr<int64_t> EstimateJobBytes(const JobConfig& config) {
  switch (config.model) {
    case ModelKind::kMamba:
    case ModelKind::kTransformer:
      return int64_t(NetBytes(config));
    case ModelKind::kKrr:
      return int64_t(KrrBytes(config));
    case ModelKind::kMambaTheory:
      return int64_t(TheoryBytes(config));
    case ModelKind::kExec:
      return int64_t{0};  // unknown: the worker's memory check lets it run
  }
  return UnknownModel(config);
}

double ExpectedJobSeconds(const JobConfig& config) {
  static const CostRates rates = DefaultRates();
  absl::StatusOr<double> seconds = EstimateJobSeconds(config, rates);
  return seconds.ok() ? *seconds : 0.0;
}

}  // namespace sweep::numerics
