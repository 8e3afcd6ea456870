// Evaluation of docs/science.md section 4: mse(n), its standard error and nmse(n) over fresh
// prompts for each evaluated context length n, plus the job's summary metrics.
//
// Two levels: EvalAccumulator (any model: feed predictions and targets, chunk by chunk)
// and Evaluate() (models that predict the query of a paired prompt: draws the eval
// prompts from Stream::kEval and calls a predictor).
#pragma once

#include <functional>
#include <vector>

#include <Eigen/Core>

#include "absl/status/statusor.h"
#include "common/job_config.h"
#include "common/job_result.h"
#include "worker/numerics/run_hooks.h"
#include "worker/numerics/task.h"

namespace sweep::numerics {

// Accumulates squared errors per context length in double (sum and sum of squares; a
// job is small enough that cancellation does not matter at double precision).
class EvalAccumulator {
 public:
  // lengths: the evaluated n, ascending; ey2: analytic E[y^2] (> 0).
  EvalAccumulator(std::vector<int> lengths, double ey2);

  // pred, target: (lengths.size(), count); row i holds the predictions for lengths[i].
  void Add(const Eigen::Ref<const Eigen::MatrixXd>& pred,
           const Eigen::Ref<const Eigen::MatrixXd>& target);

  // One point per length: mse, se = sqrt(sample var / count), nmse = mse / ey2.
  std::vector<EvalPoint> Curve() const;

 private:
  std::vector<int> lengths_;
  double ey2_;
  Eigen::VectorXd sum_, sum_sq_;
  long count_ = 0;
};

// Checks the eval keys: eval_tasks >= 1, eval_lengths non-empty, strictly ascending,
// inside [0, N]. Errors: INVALID_ARGUMENT naming the key.
absl::Status ValidateEvalConfig(const JobConfig& config);

// The context lengths a job evaluates: config.eval_lengths, plus N when the list lacks it,
// because the summary metrics are defined at n = N (docs/science.md section 4). Call after
// ValidateEvalConfig.
std::vector<int> EvaluatedLengths(const JobConfig& config);

// Fills result.curve, mse/nmse (at the largest evaluated n: N for a curve evaluated at
// EvaluatedLengths), n_at_eps (smallest n with nmse <= eps, or none). Leaves the other
// fields alone.
void FillSummary(const std::vector<EvalPoint>& curve, double eps, JobResult& result);

// Fills the task facts every result carries: ey2 (analytic E[y^2]), ie and ge.
void FillTaskFacts(const TaskSampler& sampler, JobResult& result);

// Predicts the query label of every prompt using only the first lengths[i] context
// examples: pred is (lengths.size(), prompts.count). A non-OK status aborts evaluation.
using QueryPredictor = std::function<absl::Status(
    const PromptBatch& prompts, const std::vector<int>& lengths, Eigen::MatrixXd& pred)>;

// Draws config.eval_tasks prompts of config.N context examples from Stream::kEval of
// config.seed, in fixed chunks (so the prompts do not depend on the predictor), and
// evaluates `predict` at EvaluatedLengths(config). Checks hooks.stop between chunks and calls
// hooks.on_progress(prompts done, eval_tasks) after each.
// Errors: INVALID_ARGUMENT for bad eval keys (eval_tasks < 1, a length outside [0, N],
// lengths not ascending), CANCELLED, or the predictor's status.
absl::StatusOr<std::vector<EvalPoint>> Evaluate(const JobConfig& config, const TaskSampler& sampler,
                                                const QueryPredictor& predict,
                                                const RunHooks& hooks);

}  // namespace sweep::numerics
