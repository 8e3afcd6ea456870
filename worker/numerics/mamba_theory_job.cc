#include "worker/numerics/mamba_theory_job.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "worker/numerics/eval.h"
#include "worker/numerics/rng.h"
#include "worker/numerics/task.h"

namespace sweep::numerics {
namespace {

constexpr int kLossEvery = 50;     // loss curve spacing (docs/science.md section 4)
constexpr int kStage2Chunk = 256;  // stage-2 prompts drawn per chunk (bounded memory)
constexpr int kStage2CacheChunk = 8;  // the same with one thread (Stage2)

absl::Status Invalid(const std::string& msg) { return absl::InvalidArgumentError(msg); }

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Adam (Kingma & Ba) on the flattened parameters, with L2 weight decay in the gradient.
class Adam {
 public:
  Adam(Eigen::Index size, double lr, double weight_decay)
      : lr_(lr),
        wd_(weight_decay),
        m_(Eigen::VectorXd::Zero(size)),
        v_(Eigen::VectorXd::Zero(size)) {}
  void Step(Eigen::VectorXd& theta, const Eigen::VectorXd& grad) {
    constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEps = 1e-8;
    ++t_;
    const Eigen::VectorXd g = grad + wd_ * theta;
    m_ = kBeta1 * m_ + (1 - kBeta1) * g;
    v_ = kBeta2 * v_ + (1 - kBeta2) * g.cwiseAbs2();
    const double c1 = 1 - std::pow(kBeta1, t_), c2 = 1 - std::pow(kBeta2, t_);
    theta.array() -= lr_ * (m_.array() / c1) / ((v_.array() / c2).sqrt() + kEps);
  }

 private:
  double lr_, wd_;
  Eigen::VectorXd m_, v_;
  int t_ = 0;
};

// Stage 1. Returns the loss curve; sets `divergence` on a non-finite loss. With threads
// k >= 2 the batch of step t + 1 is drawn while step t trains (its first half during the
// forward pass, the rest during the backward pass, on the calling thread; LossAndGrad's
// `side`); with one thread each prompt is drawn right before its forward pass
// (LossAndGrad's `draw`). Either way the words come from the stream in the same order as
// drawing each batch at the top of its step, so the prompts, and the floats, are the
// same for every k.
absl::Status Stage1(const JobConfig& config, const TaskSampler& sampler, MambaTheory& model,
                    ThreadPool& pool, const RunHooks& hooks, JobResult& result) {
  TaskRng rng = MakeTaskStream(config.seed, Stream::kTrain);
  Adam adam(model.params().Size(), config.eta1, config.lambda1);
  PromptBatch batches[2];
  const bool one_thread = pool.size() == 1;
  if (config.K1 > 0 && !one_thread) sampler.Sample(config.T1, config.N, rng, batches[0]);
  const int half = config.T1 / 2;
  TheoryParams grad;
  double window = 0;
  int in_window = 0;
  for (int step = 0; step < config.K1; ++step) {
    if (hooks.stop.stop_requested()) {
      return absl::CancelledError(absl::StrCat("stage 1 cancelled at step ", step));
    }
    double loss = 0;
    if (one_thread) {  // each prompt drawn right before its forward pass (LossAndGrad)
      sampler.Shape(config.T1, config.N, batches[0]);
      loss = model.LossAndGrad(batches[0], grad, &pool, nullptr, [&](int p) {
        sampler.SamplePrompts(p, 1, rng, batches[0]);
      });
    } else {
      const PromptBatch& prompts = batches[step % 2];
      PromptBatch& next = batches[(step + 1) % 2];
      const bool draw_next = step + 1 < config.K1;
      if (draw_next) sampler.Shape(config.T1, config.N, next);
      auto side = [&](int phase) {
        if (!draw_next) return;
        if (phase == 0) sampler.SamplePrompts(0, half, rng, next);
        if (phase == 1) sampler.SamplePrompts(half, config.T1 - half, rng, next);
      };
      loss = model.LossAndGrad(prompts, grad, &pool, side);
    }
    if (!std::isfinite(loss)) {
      result.divergence =
          absl::StrCat("diverged at step ", step, ": loss ", std::isnan(loss) ? "nan" : "inf");
      return absl::OkStatus();
    }
    Eigen::VectorXd theta = model.params().Flatten();
    adam.Step(theta, grad.Flatten());
    model.params().Unflatten(theta);
    window += loss, ++in_window;
    if ((step + 1) % kLossEvery == 0 || step + 1 == config.K1) {
      result.loss_curve.push_back({step + 1, window / in_window});
      window = 0, in_window = 0;
    }
    if (hooks.on_progress) hooks.on_progress(step + 1, config.K1);
  }
  return absl::OkStatus();
}

// Stage 2: features of T2 fresh prompts (in chunks), then the ridge refit of a.
absl::Status Stage2(const JobConfig& config, const TaskSampler& sampler, MambaTheory& model,
                    ThreadPool& pool, const RunHooks& hooks) {
  TaskRng rng = MakeTaskStream(config.seed, Stream::kStage2);
  Eigen::MatrixXd u_all(4, config.T2), u;
  Eigen::VectorXd y_all(config.T2);
  PromptBatch prompts;
  for (int done = 0; done < config.T2;) {
    if (hooks.stop.stop_requested()) return absl::CancelledError("stage 2 cancelled");
    // One thread: chunks of kStage2CacheChunk prompts (0.5 MB at the reference shape),
    // whose examples are still in L2 when Features reads them. Features are per prompt
    // and the draws come in the same order: the chunk size changes no float.
    const int chunk = pool.size() == 1 ? kStage2CacheChunk : kStage2Chunk;
    const int count = std::min(chunk, config.T2 - done);
    sampler.Sample(count, config.N, rng, prompts);
    model.Features(prompts, config.N, u, &pool);
    u_all.middleCols(done, count) = u;
    for (int p = 0; p < count; ++p) y_all(done + p) = prompts.QueryY(p);
    done += count;
  }
  model.Refit(u_all, y_all, config.lambda2);
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateTheoryConfig(const JobConfig& c) {
  if (c.N < 1) return Invalid(absl::StrCat("N: ", c.N, " < 1"));
  if (c.K1 < 0) return Invalid(absl::StrCat("K1: ", c.K1, " < 0"));
  if (c.T1 < 1) return Invalid(absl::StrCat("T1: ", c.T1, " < 1"));
  if (c.T2 < 1) return Invalid(absl::StrCat("T2: ", c.T2, " < 1"));
  if (c.m < 1) return Invalid(absl::StrCat("m: ", c.m, " < 1"));
  if (!(c.eta1 > 0) || !std::isfinite(c.eta1)) return Invalid("eta1: must be finite and > 0");
  if (!(c.lambda1 >= 0) || !std::isfinite(c.lambda1)) {
    return Invalid("lambda1: must be finite and >= 0");
  }
  if (!(c.lambda2 > 0) || !std::isfinite(c.lambda2)) {
    return Invalid("lambda2: must be finite and > 0");
  }
  return absl::OkStatus();
}

absl::StatusOr<JobResult> RunMambaTheoryJob(const JobConfig& config, const RunHooks& hooks) {
  SWEEP_RETURN_IF_ERROR(ValidateTheoryConfig(config));
  SWEEP_ASSIGN_OR_RETURN(TaskSampler sampler, TaskSampler::FromConfig(config));
  JobResult result;
  FillTaskFacts(sampler, result);
  std::mt19937_64 init_rng = MakeStream(config.seed, Stream::kModelInit);
  MambaTheory model({config.d, config.N, config.m, config.gate == Gate::kSigmoid}, init_rng);
  // `threads: k`: one pool for the whole job (mamba_theory.h: the floats do not depend on k).
  ThreadPool pool(config.threads);
  const auto train_start = std::chrono::steady_clock::now();
  SWEEP_RETURN_IF_ERROR(Stage1(config, sampler, model, pool, hooks, result));
  if (!result.divergence.empty()) {
    result.mse = result.nmse = std::numeric_limits<double>::quiet_NaN();
    result.train_seconds = Seconds(train_start);
    return result;
  }
  SWEEP_RETURN_IF_ERROR(Stage2(config, sampler, model, pool, hooks));
  result.train_seconds = Seconds(train_start);
  const auto eval_start = std::chrono::steady_clock::now();
  auto predict = [&](const PromptBatch& prompts, const std::vector<int>& lengths,
                     Eigen::MatrixXd& pred) -> absl::Status {
    model.PredictAtLengths(prompts, lengths, pred, &pool);
    return absl::OkStatus();
  };
  SWEEP_ASSIGN_OR_RETURN(std::vector<EvalPoint> curve, Evaluate(config, sampler, predict, hooks));
  FillSummary(curve, config.eps, result);
  result.eval_seconds = Seconds(eval_start);
  return result;
}

}  // namespace sweep::numerics
