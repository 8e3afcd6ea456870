// RunJob: the whole interface between the service and the numerics (docs/design.md section 1.2).
// A job is a pure function of its resolved config (docs/science.md section 5): same config,
// same build, one thread -> bit-identical result. No I/O, no logging, no globals.
#pragma once

#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/job_config.h"
#include "common/job_result.h"

namespace sweep::numerics {

// How a job's evaluated model got its weights.
enum class ModelSource { kTrained, kReused };

struct RunHooks {
  // Checked between steps; when stop is requested RunJob returns CANCELLED promptly.
  std::stop_token stop;
  // Called now and then with (step, total) so the worker can heartbeat progress.
  std::function<void(int64_t step, int64_t total)> on_progress;

  // Checkpoint reuse (docs/checkpoints.md, "Using checkpoints"); `krr` and `mamba-theory`
  // ignore all three. The bytes stay the caller's: RunJob reads, never stores them.
  // (Default initialisers keep `RunHooks{stop, on_progress}` -Wextra clean.)
  // Non-empty: a safetensors checkpoint trained earlier for this config's TrainingHash.
  // `mamba`/`transformer` then skip training and evaluate the loaded model
  // (INVALID_ARGUMENT when its stored config has another TrainingHash or it does not load).
  std::string_view input_checkpoint{};
  // Called once with the checkpoint of a freshly trained model, before its evaluation
  // (never for a diverged run: a broken model is not worth reusing).
  std::function<void(std::string bytes)> on_trained_checkpoint = nullptr;
  // Called once by `mamba`/`transformer` with how the evaluated model got its weights.
  std::function<void(ModelSource source)> on_model_source = nullptr;
};

// Runs one job end to end: pretraining (if the model has any) and evaluation.
// Errors: INVALID_ARGUMENT for a config the numerics cannot run (a deterministic job
// error, never retried), CANCELLED when hooks.stop fired. A diverged training run is
// not an error: it returns a JobResult whose `divergence` is set.
absl::StatusOr<JobResult> RunJob(const JobConfig& config, const RunHooks& hooks);

}  // namespace sweep::numerics
