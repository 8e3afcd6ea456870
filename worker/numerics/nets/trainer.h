// The pretraining loop of `mamba` and `transformer` (docs/science.md section 3): fresh prompts
// every step, squared loss over the read positions, global-norm clipping, Adam with the
// configured schedule, an optional curriculum on d and N, and the loss curve.
// Deterministic: the model's and the batch source's random numbers are the only inputs.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/job_config.h"
#include "common/job_result.h"
#include "worker/numerics/nets/prompt_tokens.h"
#include "worker/numerics/nets/sequence_model.h"
#include "worker/numerics/run_hooks.h"

namespace sweep::numerics::nets {

struct TrainOptions {
  int steps = 2000;
  int batch = 64;
  double lr = 1e-3;
  double clip = 1.0;
  int warmup = 0;
  bool cosine = false;
  PromptFormat format = PromptFormat::kInterleaved;
  int d = 0;
  int N = 0;
  bool curriculum = false;
  double curriculum_start = 0.25;
  double curriculum_ramp = 0.5;
  // Threads of the job (the `threads` key). Results do not depend on it: each step runs
  // in micro-batches whose gradients are summed in a fixed order (data_parallel.h).
  int threads = 1;
};

TrainOptions TrainOptionsFromConfig(const JobConfig& config);

// What one step trains on: the first d_active coordinates of x are live (the others
// are zero) and prompts have N context examples.
struct CurriculumStage {
  int d_active = 0;
  int N = 0;
};

// Garg et al. 2022 style: ceil(start * d) dims and ceil(start * N) examples at step 0,
// growing linearly to d and N at step ramp * steps; the full task without curriculum.
CurriculumStage CurriculumAt(const TrainOptions& options, int step);

// Fills `prompts` with `count` fresh prompts for the stage (called once per step, in
// order, so a deterministic source gives a deterministic run). With threads > 1 the call
// for step s + 1 runs on one of the job's threads while step s updates the model: a
// source must not touch the model (calls never overlap each other).
using BatchSource = std::function<void(const CurriculumStage&, int count, PromptBatch&)>;

struct TrainOutcome {
  // Mean training loss of the steps since the previous point, every 50 steps and at the
  // last step (step = number of steps done).
  std::vector<LossPoint> loss_curve;
  std::string divergence;  // "diverged at step K: loss nan", or empty
  int steps_done = 0;
};

// Errors: CANCELLED when hooks.stop fires (checked between steps). A NaN/Inf loss or
// gradient stops training and is reported in TrainOutcome::divergence, not as an error.
template <typename T>
absl::StatusOr<TrainOutcome> Train(SequenceModel<T>& model, const TrainOptions& options,
                                   const BatchSource& source, const RunHooks& hooks);

}  // namespace sweep::numerics::nets
