#include "worker/numerics/nets/sequence_model_job.h"

#include <chrono>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "worker/numerics/eval.h"
#include "worker/numerics/nets/checkpoint.h"
#include "worker/numerics/nets/evaluate_net.h"
#include "worker/numerics/nets/trained_model.h"
#include "worker/numerics/nets/trainer.h"
#include "worker/numerics/rng.h"
#include "worker/numerics/task.h"

namespace sweep::numerics::nets {
namespace {

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

absl::Status ValidateTraining(const JobConfig& c) {
  if (c.steps < 1) return absl::InvalidArgumentError(absl::StrCat("steps: ", c.steps, " < 1"));
  if (!(c.lr > 0)) return absl::InvalidArgumentError(absl::StrCat("lr: ", c.lr, " (must be > 0)"));
  if (!(c.clip >= 0)) return absl::InvalidArgumentError(absl::StrCat("clip: ", c.clip, " < 0"));
  if (c.warmup < 0) return absl::InvalidArgumentError(absl::StrCat("warmup: ", c.warmup, " < 0"));
  if (c.curriculum && !(c.curriculum_start > 0 && c.curriculum_start <= 1 &&
                        c.curriculum_ramp >= 0 && c.curriculum_ramp <= 1)) {
    return absl::InvalidArgumentError(
        "curriculum_start/curriculum_ramp: must lie in (0, 1] and [0, 1]");
  }
  return absl::OkStatus();
}

// Training prompts: Stream::kTrain of the job seed, one Sample() per step.
BatchSource TrainBatches(const TaskSampler& sampler, uint64_t seed) {
  auto rng = std::make_shared<TaskRng>(MakeTaskStream(seed, Stream::kTrain));
  return [&sampler, rng](const CurriculumStage& stage, int count, PromptBatch& out) {
    sampler.Sample(count, stage.N, *rng, out, stage.d_active);
  };
}

absl::StatusOr<TrainOutcome> TrainModel(TrainedModel& model, const TaskSampler& sampler,
                                        const JobConfig& config, const RunHooks& hooks) {
  const TrainOptions options = TrainOptionsFromConfig(config);
  const BatchSource source = TrainBatches(sampler, config.seed);
  if (model.f32() != nullptr) return Train(*model.f32(), options, source, hooks);
  return Train(*model.f64(), options, source, hooks);
}

}  // namespace

absl::StatusOr<TrainedModel> TrainSequenceModel(const JobConfig& config, const TaskSampler& sampler,
                                                const RunHooks& hooks, TrainOutcome& outcome) {
  SWEEP_RETURN_IF_ERROR(ValidateTraining(config));
  SWEEP_ASSIGN_OR_RETURN(TrainedModel model, TrainedModel::Create(config));
  SWEEP_ASSIGN_OR_RETURN(outcome, TrainModel(model, sampler, config, hooks));
  return model;
}

absl::StatusOr<JobResult> EvaluateSequenceModel(TrainedModel& model, const JobConfig& config,
                                                const RunHooks& hooks) {
  SWEEP_ASSIGN_OR_RETURN(const TaskSampler sampler, TaskSampler::FromConfig(config));
  JobResult result;
  FillTaskFacts(sampler, result);
  const auto t0 = std::chrono::steady_clock::now();
  SWEEP_ASSIGN_OR_RETURN(const std::vector<EvalPoint> curve,
                         EvaluateNet(model, sampler, config, hooks));
  result.eval_seconds = Since(t0);
  FillSummary(curve, config.eps, result);
  return result;
}

absl::StatusOr<JobResult> RunSequenceModelJob(const JobConfig& config, const RunHooks& hooks) {
  SWEEP_ASSIGN_OR_RETURN(const TaskSampler sampler, TaskSampler::FromConfig(config));
  const auto t0 = std::chrono::steady_clock::now();
  TrainOutcome outcome;
  SWEEP_ASSIGN_OR_RETURN(TrainedModel model, TrainSequenceModel(config, sampler, hooks, outcome));
  const double train_seconds = Since(t0);
  JobResult result;
  if (outcome.divergence.empty()) {
    // Hand the trained model out before evaluating it, so that the caller can store it
    // for later jobs with the same TrainingHash (docs/checkpoints.md).
    if (hooks.on_trained_checkpoint) hooks.on_trained_checkpoint(SaveCheckpoint(model));
    if (hooks.on_model_source) hooks.on_model_source(ModelSource::kTrained);
    SWEEP_ASSIGN_OR_RETURN(result, EvaluateSequenceModel(model, config, hooks));
  } else {
    // A failed job: no evaluation of a broken model. mse/nmse are NaN, as mamba-theory's
    // (job_result.h): a 0 would read as a perfect fit in an aggregate that misses the flag.
    FillTaskFacts(sampler, result);
    result.mse = result.nmse = std::numeric_limits<double>::quiet_NaN();
    result.divergence = outcome.divergence;
  }
  result.train_seconds = train_seconds;
  result.loss_curve = outcome.loss_curve;
  return result;
}

}  // namespace sweep::numerics::nets
