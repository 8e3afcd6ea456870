// The `mamba-theory` job (docs/science.md section 3): two-stage pretraining of MambaTheory,
// then evaluation (section 4).
//   Stage 1: K1 Adam steps (lr eta1, L2 weight decay lambda1 added to the gradient, as
//            torch.optim.Adam(weight_decay=...) does) on (gamma, w, b_g, a), each on T1
//            fresh prompts of length N from Stream::kTrain.
//   Stage 2: gamma, w, b_g frozen; standardisation frozen at the stage-2 inputs; a refit
//            by ridge (lambda2) on T2 fresh prompts from Stream::kStage2.
// The head is initialised from Stream::kModelInit. Computes in float64 whatever `dtype`
// says (the model is tiny; float64 keeps its gradient checks meaningful).
#pragma once

#include "absl/status/statusor.h"
#include "common/job_config.h"
#include "common/job_result.h"
#include "worker/numerics/mamba_theory.h"
#include "worker/numerics/run_hooks.h"

namespace sweep::numerics {

// Validates the mamba-theory keys (gate, K1, T1, eta1, lambda1, T2, lambda2, m, N, format).
// Errors: INVALID_ARGUMENT naming the key.
absl::Status ValidateTheoryConfig(const JobConfig& config);

// Errors: INVALID_ARGUMENT for a bad config, CANCELLED when hooks.stop fired. A NaN/Inf
// stage-1 loss stops training and returns a result with `divergence` set (mse = nan).
absl::StatusOr<JobResult> RunMambaTheoryJob(const JobConfig& config, const RunHooks& hooks);

}  // namespace sweep::numerics
