// Evaluation of a trained net (docs/science.md section 4) on fresh prompts from the job's eval
// stream, through the shared eval code (worker/numerics/eval.h).
//   interleaved: one forward pass per chunk of prompts; the prediction at x token n (n
//     context examples before it) is compared with that example's label y_n. Examples
//     are exchangeable, so this is the error with n examples; at n = N it is the query.
//     Prompts are drawn exactly as Evaluate() draws them (same stream, same chunks), so
//     every model of a job sees the same eval prompts.
//   paired: Evaluate() with a predictor that, for each evaluated n, runs the prompt cut
//     to its first n examples plus the query.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "common/job_config.h"
#include "common/job_result.h"
#include "worker/numerics/nets/trained_model.h"
#include "worker/numerics/run_hooks.h"
#include "worker/numerics/task.h"

namespace sweep::numerics::nets {

// Errors: INVALID_ARGUMENT for bad eval keys, CANCELLED when hooks.stop fires between
// chunks.
absl::StatusOr<std::vector<EvalPoint>> EvaluateNet(TrainedModel& model, const TaskSampler& sampler,
                                                   const JobConfig& config, const RunHooks& hooks);

}  // namespace sweep::numerics::nets
