#include "worker/numerics/nets/evaluate_net.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "worker/numerics/eval.h"
#include "worker/numerics/rng.h"

namespace sweep::numerics::nets {
namespace {

// Must equal eval.cc's chunk so that the interleaved path draws the same prompts.
constexpr int kEvalChunk = 200;

absl::StatusOr<std::vector<EvalPoint>> EvaluateInterleaved(TrainedModel& model,
                                                           const TaskSampler& sampler,
                                                           const JobConfig& config,
                                                           const RunHooks& hooks) {
  SWEEP_RETURN_IF_ERROR(ValidateEvalConfig(config));
  const std::vector<int> lengths = EvaluatedLengths(config);  // always ends at N
  TaskRng rng = MakeTaskStream(config.seed, Stream::kEval);
  EvalAccumulator acc(lengths, sampler.SecondMoment());
  const int rows = int(lengths.size());
  PromptBatch prompts;
  Eigen::MatrixXd pred(rows, 0), target(rows, 0);
  for (int done = 0; done < config.eval_tasks;) {
    if (hooks.stop.stop_requested()) {
      return absl::CancelledError(absl::StrCat("evaluation cancelled after ", done, " prompts"));
    }
    const int count = std::min(kEvalChunk, config.eval_tasks - done);
    sampler.Sample(count, config.N, rng, prompts);
    SWEEP_ASSIGN_OR_RETURN(const Eigen::MatrixXd all, Predict(model, prompts));
    pred.resize(rows, count);
    target.resize(rows, count);
    for (int i = 0; i < rows; ++i) {
      const int n = lengths[i];
      pred.row(i) = all.row(n);
      for (int p = 0; p < count; ++p) target(i, p) = prompts.y(prompts.Col(p, n));
    }
    acc.Add(pred, target);
    done += count;
    if (hooks.on_progress) hooks.on_progress(done, config.eval_tasks);  // as Evaluate() does
  }
  return acc.Curve();
}

// The first n context examples and the query of every prompt.
PromptBatch Truncate(const PromptBatch& in, int n) {
  PromptBatch out;
  out.count = in.count, out.N = n, out.d = in.d;
  out.x.resize(in.d, in.count * (n + 1));
  out.y.resize(in.count * (n + 1));
  for (int p = 0; p < in.count; ++p) {
    out.x.middleCols(out.Col(p, 0), n) = in.x.middleCols(in.Col(p, 0), n);
    out.y.segment(out.Col(p, 0), n) = in.y.segment(in.Col(p, 0), n);
    out.x.col(out.Col(p, n)) = in.x.col(in.Col(p, in.N));
    out.y(out.Col(p, n)) = in.y(in.Col(p, in.N));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<EvalPoint>> EvaluateNet(TrainedModel& model, const TaskSampler& sampler,
                                                   const JobConfig& config, const RunHooks& hooks) {
  if (model.format() == PromptFormat::kInterleaved) {
    return EvaluateInterleaved(model, sampler, config, hooks);
  }
  QueryPredictor predictor = [&model](const PromptBatch& prompts, const std::vector<int>& lengths,
                                      Eigen::MatrixXd& pred) -> absl::Status {
    for (size_t i = 0; i < lengths.size(); ++i) {
      SWEEP_ASSIGN_OR_RETURN(const Eigen::MatrixXd row,
                             Predict(model, Truncate(prompts, lengths[i])));
      pred.row(i) = row.row(0);
    }
    return absl::OkStatus();
  };
  return Evaluate(config, sampler, predictor, hooks);
}

}  // namespace sweep::numerics::nets
