#include "worker/numerics/nets/trained_model.h"

#include <algorithm>
#include <mutex>
#include <random>

#include <Eigen/Core>

#include "absl/strings/str_cat.h"
#include "worker/numerics/rng.h"

namespace sweep::numerics::nets {
namespace {

// Prompts per forward pass in Predict. Forward keeps its activations (~11 KB per token for
// the default mamba), so 128 prompts of T = 81 would add 116 MB to a job; 32 add 29 MB.
constexpr int kPredictChunk = 32;

template <typename T>
Eigen::MatrixXd PredictChunk(SequenceModel<T>& net, const PromptBatch& p, PromptFormat format,
                             int d_model) {
  Mat<T> tokens;
  RowVec<T> pred;
  const SeqShape seq = BuildTokens(p, format, d_model, tokens);
  net.Forward(tokens, seq, pred);
  return ReadPredictions(pred, p, format);
}

PromptBatch Slice(const PromptBatch& p, int first, int count) {
  PromptBatch s;
  s.count = count, s.N = p.N, s.d = p.d;
  s.x = p.x.middleCols(first * (p.N + 1), count * (p.N + 1));
  s.y = p.y.segment(first * (p.N + 1), count * (p.N + 1));
  return s;
}

template <typename T>
Eigen::VectorXd PredictSequence(SequenceModel<T>& net, const Eigen::MatrixXd& tokens) {
  Mat<T> in = tokens.cast<T>();
  RowVec<T> pred;
  net.Forward(in, SeqShape{1, int(tokens.cols())}, pred);
  return pred.transpose().template cast<double>();
}

}  // namespace

void FixGemmBlocking() {
  static std::once_flag once;
  std::call_once(once, [] { Eigen::setCpuCacheSizes(32 << 10, 1 << 20, 32 << 20); });
}

absl::StatusOr<TrainedModel> TrainedModel::Create(const JobConfig& config) {
  FixGemmBlocking();
  TrainedModel m;
  auto shape = ShapeFromConfig(config);
  if (!shape.ok()) return shape.status();
  m.config_ = config;
  m.shape_ = *shape;
  m.format_ = config.format;
  std::mt19937_64 rng = MakeStream(config.seed, Stream::kModelInit);
  if (config.dtype == Dtype::kFloat64) {
    m.f64_ = MakeModel<double>(m.shape_, rng);
  } else {
    m.f32_ = MakeModel<float>(m.shape_, rng);
  }
  return m;
}

absl::StatusOr<Eigen::MatrixXd> Predict(TrainedModel& model, const PromptBatch& prompts) {
  const int d_model = model.shape().d_in - 1;
  const int T = model.format() == PromptFormat::kInterleaved ? 2 * prompts.N + 1 : prompts.N + 1;
  // Mamba has no positions, so it may be evaluated on longer contexts than it was
  // trained on; the transformer's learned positions stop at max_T.
  const bool too_long = model.shape().model == ModelKind::kTransformer && T > model.shape().max_T;
  if (prompts.d > d_model || too_long || prompts.N < 0) {
    return absl::InvalidArgumentError(absl::StrCat("prompts: d = ", prompts.d, ", N = ", prompts.N,
                                                   " do not fit a model trained with d = ", d_model,
                                                   ", N = ", model.config().N));
  }
  Eigen::MatrixXd out(ReadsPerPrompt(prompts, model.format()), prompts.count);
  for (int first = 0; first < prompts.count; first += kPredictChunk) {
    const int count = std::min(kPredictChunk, prompts.count - first);
    const PromptBatch chunk = Slice(prompts, first, count);
    out.middleCols(first, count) = model.f32()
                                       ? PredictChunk(*model.f32(), chunk, model.format(), d_model)
                                       : PredictChunk(*model.f64(), chunk, model.format(), d_model);
  }
  return out;
}

absl::StatusOr<std::vector<Eigen::VectorXd>> PredictTokens(
    TrainedModel& model, const std::vector<Eigen::MatrixXd>& sequences) {
  std::vector<Eigen::VectorXd> out;
  for (size_t i = 0; i < sequences.size(); ++i) {
    const Eigen::MatrixXd& s = sequences[i];
    const bool too_long =
        model.shape().model == ModelKind::kTransformer && s.cols() > model.shape().max_T;
    if (s.rows() != model.shape().d_in || s.cols() < 1 || too_long) {
      return absl::InvalidArgumentError(absl::StrCat(
          "prompts[", i, "]: ", s.cols(), " tokens of width ", s.rows(), "; the model takes 1..",
          model.shape().max_T, " tokens of width ", model.shape().d_in));
    }
    out.push_back(model.f32() ? PredictSequence(*model.f32(), s)
                              : PredictSequence(*model.f64(), s));
  }
  return out;
}

}  // namespace sweep::numerics::nets
