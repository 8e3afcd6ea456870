// RunSequenceModelJob: pretrains a `mamba` or `transformer` model (docs/science.md section 3)
// on the in-context single-index task and evaluates it (section 4). Called by RunJob()
// for those two models; a pure function of (config, seed) on one thread (section 5).
#pragma once

#include "absl/status/statusor.h"
#include "common/job_config.h"
#include "common/job_result.h"
#include "worker/numerics/nets/trained_model.h"
#include "worker/numerics/nets/trainer.h"
#include "worker/numerics/run_hooks.h"
#include "worker/numerics/task.h"

namespace sweep::numerics::nets {

// Errors: INVALID_ARGUMENT for a shape the models cannot run, CANCELLED when hooks.stop
// fired between steps. A diverged run (NaN/Inf loss) is not an error: the JobResult has
// `divergence` set and keeps the partial loss curve.
// Unless a divergence is reported, the result holds the curve at config.eval_lengths and
// the summary metrics; train_seconds and eval_seconds are wall-clock (not compared by
// determinism checks).
absl::StatusOr<JobResult> RunSequenceModelJob(const JobConfig& config, const RunHooks& hooks);

// The evaluation half alone: evaluates an already trained model (e.g. one loaded from
// the checkpoint stored under TrainingHash(config)) with config's eval keys (eval_tasks,
// eval_lengths, eps). Fills everything but loss_curve and train_seconds. Errors:
// INVALID_ARGUMENT for bad task/eval keys or prompts the model cannot take, CANCELLED.
absl::StatusOr<JobResult> EvaluateSequenceModel(TrainedModel& model, const JobConfig& config,
                                                const RunHooks& hooks);

// The training half alone (for checkpoint storage keyed by the training hash): returns
// the trained model and fills `outcome` (loss curve, divergence). Same errors.
absl::StatusOr<TrainedModel> TrainSequenceModel(const JobConfig& config, const TaskSampler& sampler,
                                                const RunHooks& hooks, TrainOutcome& outcome);

}  // namespace sweep::numerics::nets
