// RunHooks: what the caller of a job hands every model's job function (RunJob and the
// per-model RunKrrJob, RunMambaTheoryJob, RunSequenceModelJob, and the training and
// evaluation loops they call): cancellation, progress, checkpoint reuse. Its own header
// so that those functions need not include the dispatcher run_job.h that calls them.
#pragma once

#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>
#include <string_view>

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

}  // namespace sweep::numerics
