#include "worker/numerics/run_job.h"

#include "absl/strings/str_cat.h"
#include "common/job_keys.h"
#include "common/status.h"
#include "worker/numerics/krr_job.h"
#include "worker/numerics/mamba_theory_job.h"
#include "worker/numerics/nets/checkpoint.h"
#include "worker/numerics/nets/sequence_model_job.h"
#include "worker/numerics/nets/trained_model.h"

namespace sweep::numerics {
namespace {

// Evaluates the model in hooks.input_checkpoint with `config`'s eval keys instead of
// training. Only a model trained with the same training keys may stand in for training:
// anything else would silently report another model's error.
absl::StatusOr<JobResult> RunFromCheckpoint(const JobConfig& config, const RunHooks& hooks) {
  absl::StatusOr<nets::TrainedModel> model = nets::LoadCheckpoint(hooks.input_checkpoint);
  if (!model.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("input_checkpoint: ", std::string(model.status().message())));
  }
  const std::string want = TrainingHash(config);
  const std::string have = TrainingHash(model->config());
  if (want != have) {
    return absl::InvalidArgumentError(absl::StrCat("input_checkpoint: trained for training hash ",
                                                   have, ", the job needs ", want));
  }
  if (hooks.on_model_source) hooks.on_model_source(ModelSource::kReused);
  // A reused model did no training: loss_curve stays empty and train_seconds 0.
  return nets::EvaluateSequenceModel(*model, config, hooks);
}

}  // namespace

absl::StatusOr<JobResult> RunJob(const JobConfig& config, const RunHooks& hooks) {
  // Eigen sizes its GEMM blocks from the CPU's caches; fixing them makes every model's
  // floats independent of the worker machine (docs/science.md section 5).
  nets::FixGemmBlocking();
  switch (config.model) {
    case ModelKind::kKrr:
      return RunKrrJob(config, hooks);
    case ModelKind::kMambaTheory:
      return RunMambaTheoryJob(config, hooks);
    case ModelKind::kMamba:
    case ModelKind::kTransformer:
      if (!hooks.input_checkpoint.empty()) return RunFromCheckpoint(config, hooks);
      return nets::RunSequenceModelJob(config, hooks);
    case ModelKind::kExec:
      // A program outside this library; the worker's exec runner runs it (docs/exec.md).
      return absl::InvalidArgumentError(
          absl::StrCat("model: exec job \"", config.exec,
                       "\" needs a worker that allows it (sweep-worker --allow-exec NAME=PATH)"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("model: value ", int(config.model), " is not a ModelKind"));
}

}  // namespace sweep::numerics
