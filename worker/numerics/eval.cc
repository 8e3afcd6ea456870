#include "worker/numerics/eval.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "worker/numerics/rng.h"

namespace sweep::numerics {
namespace {

// Eval prompts are drawn in chunks of this many, so memory stays bounded and the drawn
// prompts do not depend on the model (part of the reproducibility contract).
constexpr int kEvalChunk = 200;

}  // namespace

absl::Status ValidateEvalConfig(const JobConfig& config) {
  if (config.eval_tasks < 1) {
    return absl::InvalidArgumentError(absl::StrCat("eval_tasks: ", config.eval_tasks, " < 1"));
  }
  if (config.eval_lengths.empty()) {
    return absl::InvalidArgumentError("eval_lengths: empty (the resolved config fills it)");
  }
  for (size_t i = 0; i < config.eval_lengths.size(); ++i) {
    const int n = config.eval_lengths[i];
    if (n < 0 || n > config.N) {
      return absl::InvalidArgumentError(
          absl::StrCat("eval_lengths: ", n, " outside [0, N = ", config.N, "]"));
    }
    if (i > 0 && n <= config.eval_lengths[i - 1]) {
      return absl::InvalidArgumentError("eval_lengths: not strictly ascending");
    }
  }
  return absl::OkStatus();
}

std::vector<int> EvaluatedLengths(const JobConfig& config) {
  std::vector<int> lengths = config.eval_lengths;
  if (lengths.empty() || lengths.back() != config.N) lengths.push_back(config.N);
  return lengths;
}

EvalAccumulator::EvalAccumulator(std::vector<int> lengths, double ey2)
    : lengths_(std::move(lengths)), ey2_(ey2) {
  sum_ = Eigen::VectorXd::Zero(lengths_.size());
  sum_sq_ = Eigen::VectorXd::Zero(lengths_.size());
}

void EvalAccumulator::Add(const Eigen::Ref<const Eigen::MatrixXd>& pred,
                          const Eigen::Ref<const Eigen::MatrixXd>& target) {
  SWEEP_CHECK(pred.rows() == Eigen::Index(lengths_.size()) && pred.cols() == target.cols() &&
              pred.rows() == target.rows());
  const Eigen::ArrayXXd sq = (pred - target).array().square();
  sum_ += sq.rowwise().sum().matrix();
  sum_sq_ += sq.square().rowwise().sum().matrix();
  count_ += pred.cols();
}

std::vector<EvalPoint> EvalAccumulator::Curve() const {
  std::vector<EvalPoint> curve;
  const double n = double(std::max<long>(count_, 1));
  for (size_t i = 0; i < lengths_.size(); ++i) {
    EvalPoint pt;
    pt.n = lengths_[i];
    pt.mse = sum_(i) / n;
    const double var =
        count_ > 1 ? std::max(0.0, (sum_sq_(i) - n * pt.mse * pt.mse) / (n - 1)) : 0.0;
    pt.se = std::sqrt(var / n);
    pt.nmse = pt.mse / ey2_;
    curve.push_back(pt);
  }
  return curve;
}

void FillSummary(const std::vector<EvalPoint>& curve, double eps, JobResult& result) {
  result.curve = curve;
  result.n_at_eps.reset();
  if (curve.empty()) return;
  result.mse = curve.back().mse;
  result.nmse = curve.back().nmse;
  for (const EvalPoint& pt : curve) {
    if (pt.nmse <= eps) {
      result.n_at_eps = pt.n;
      break;
    }
  }
}

void FillTaskFacts(const TaskSampler& sampler, JobResult& result) {
  result.ey2 = sampler.SecondMoment();
  result.ie = sampler.spec().link.ie;
  result.ge = sampler.spec().link.ge;
}

absl::StatusOr<std::vector<EvalPoint>> Evaluate(const JobConfig& config, const TaskSampler& sampler,
                                                const QueryPredictor& predict,
                                                const RunHooks& hooks) {
  SWEEP_RETURN_IF_ERROR(ValidateEvalConfig(config));
  const std::vector<int> lengths = EvaluatedLengths(config);
  TaskRng rng = MakeTaskStream(config.seed, Stream::kEval);
  EvalAccumulator acc(lengths, sampler.SecondMoment());
  const Eigen::Index num_lengths = Eigen::Index(lengths.size());
  PromptBatch prompts;
  Eigen::MatrixXd pred, target;
  for (int done = 0; done < config.eval_tasks;) {
    if (hooks.stop.stop_requested()) {
      return absl::CancelledError(absl::StrCat("evaluation cancelled after ", done, " prompts"));
    }
    const int count = std::min(kEvalChunk, config.eval_tasks - done);
    sampler.Sample(count, config.N, rng, prompts);
    pred.resize(num_lengths, count);
    SWEEP_RETURN_IF_ERROR(predict(prompts, lengths, pred));
    target.resize(num_lengths, count);
    for (int p = 0; p < count; ++p) target.col(p).setConstant(prompts.QueryY(p));
    acc.Add(pred, target);
    done += count;
    if (hooks.on_progress) hooks.on_progress(done, config.eval_tasks);
  }
  return acc.Curve();
}

}  // namespace sweep::numerics
